-- Every custody and detention order placed in its chain and its clock (outputs §1.5, §1.7).
-- Orders of one person and case form a chain while each starts on or before the previous
-- order's stated_end_date + 1 day; an order with an empty case_id takes the case of the person's
-- next order when it chains with it ("custody before the case was instituted"). Within a chain,
-- each run of consecutive orders of the same measure (custody) or detention stage is one clock,
-- identified by `<clock>:<person_id>:<first order_id>`. Orders are taken in the order
-- (start_at, extension_no, order_id); orders starting after $as_of and orders whose person in
-- the case has not arrived (reference_pending) are left out.
-- grain: order_id
-- column chain_case_id: the case the order counts for: its own case_id, or for an order without one the case of the next order it chains with (empty when it chains with none)
-- column chain_id: order_id of the first order of the chain
-- column clock: custody or detention
-- column clock_id: the clock the order belongs to, `<clock>:<person_id>:<first order_id>`
-- column clock_no: position of the order's clock among the person's clocks in the case (1, 2, …)
-- column order_no_in_clock: 1 for the order that starts the clock, then 2, 3 … in (start_at, extension_no, order_id) order
-- column is_last_in_clock: the order whose stated_end_date is the clock's deadline
-- column prev_order_id: the order before this one in the chain (empty for the first of a chain)
-- column prev_stated_end_date: stated_end_date of the order before this one in the chain

with orders as (
    select
        order_id,
        person_id,
        case_id,
        unit_code,
        facility_code,
        measure,
        stage,
        extension_no,
        start_at,
        cast(start_at as date) as start_date,
        stated_end_date,
        vks_approved_at,
        requested_date,
        case when measure = 'custody' then 'custody' else 'detention' end as clock,
        case when measure = 'custody' then 'custody' else 'detention:' || stage end as clock_kind
    from staging.stg_landing__detention_orders
    where not is_reference_pending
        and cast(start_at as date) <= $as_of
),

-- the person's next order, whatever its case: an order without a case chains with it
person_sequence as (
    select
        *,
        lead(start_date) over (
            partition by person_id order by start_at, extension_no, order_id
        ) as person_next_start_date
    from orders
),

-- a "stop" ends a run of case-less orders that chain forward; the stop's case is the run's case
stops as (
    select
        *,
        case
            when case_id is not null then 1
            when person_next_start_date is null then 1
            when person_next_start_date > stated_end_date + 1 then 1
            else 0
        end as is_stop
    from person_sequence
),

stop_groups as (
    select
        *,
        cast(sum(is_stop) over (
            partition by person_id
            order by start_at desc, extension_no desc, order_id desc
            rows between unbounded preceding and current row
        ) as bigint) as stop_group
    from stops
),

with_chain_case as (
    select
        *,
        max(case when is_stop = 1 then case_id end) over (
            partition by person_id, stop_group
        ) as chain_case_id
    from stop_groups
),

linked as (
    select
        *,
        lag(order_id) over chain_order as prev_order_id,
        lag(stated_end_date) over chain_order as prev_stated_end_date,
        lag(clock_kind) over chain_order as prev_clock_kind
    from with_chain_case
    window chain_order as (
        partition by person_id, chain_case_id order by start_at, extension_no, order_id
    )
),

flagged as (
    select
        *,
        case when prev_order_id is null or start_date > prev_stated_end_date + 1 then 1 else 0 end
            as starts_chain,
        case
            when prev_order_id is null or start_date > prev_stated_end_date + 1 then 1
            when clock_kind <> prev_clock_kind then 1
            else 0
        end as starts_clock
    from linked
),

numbered as (
    select
        *,
        cast(sum(starts_chain) over chain_order as bigint) as chain_no,
        cast(sum(starts_clock) over chain_order as bigint) as clock_no
    from flagged
    window chain_order as (
        partition by person_id, chain_case_id order by start_at, extension_no, order_id
        rows between unbounded preceding and current row
    )
),

identified as (
    select
        *,
        first_value(order_id) over (
            partition by person_id, chain_case_id, chain_no
            order by start_at, extension_no, order_id
        ) as chain_id,
        first_value(order_id) over clock_order as clock_first_order_id,
        row_number() over clock_order as order_no_in_clock,
        count(*) over (partition by person_id, chain_case_id, clock_no) as orders_in_clock
    from numbered
    window clock_order as (
        partition by person_id, chain_case_id, clock_no order by start_at, extension_no, order_id
    )
),

final as (
    select
        order_id,
        person_id,
        case_id,
        chain_case_id,
        unit_code,
        facility_code,
        measure,
        stage,
        extension_no,
        start_at,
        start_date,
        stated_end_date,
        vks_approved_at,
        requested_date,
        clock,
        chain_id,
        clock || ':' || person_id || ':' || clock_first_order_id as clock_id,
        clock_no,
        order_no_in_clock,
        order_no_in_clock = orders_in_clock as is_last_in_clock,
        case when starts_chain = 1 then null else prev_order_id end as prev_order_id,
        case when starts_chain = 1 then null else prev_stated_end_date end as prev_stated_end_date
    from identified
)

select * from final
