with orders as (
    select
        order_id,
        person_id,
        case_id,
        extension_no,
        start_at,
        cast(start_at as date) as start_date,
        stated_end_date,
        unit_code,
        stage,
        requested_date,
        case when measure = 'custody' then 'custody' else 'detention:' || stage end as clock_kind
    from {{ ref('stg_landing__detention_orders') }}
    where not is_reference_pending
        and cast(start_at as date) <= {{ as_of() }}
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

-- a "stop" ends a run of case-less orders that chain forward: an order with a case, or a
-- case-less order that does not chain with the next one; the run takes the stop's case
stops as (
    select
        *,
        case
            when case_id is not null then case_id
            when person_next_start_date is null then ''
            when person_next_start_date > stated_end_date + 1 then ''
        end as stop_case_id
    from person_sequence
),

with_chain_case as (
    select
        * exclude (stop_case_id),
        coalesce(case_id, nullif(first_value(stop_case_id ignore nulls) over (
            partition by person_id order by start_at, extension_no, order_id
            rows between current row and unbounded following
        ), '')) as chain_case_id
    from stops
),

linked as (
    select
        *,
        row_number() over chain_order as order_no_in_case,
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
        prev_order_id is null or start_date > prev_stated_end_date + 1 as starts_chain,
        prev_order_id is null or start_date > prev_stated_end_date + 1
            or clock_kind <> prev_clock_kind as starts_clock
    from linked
),

-- one pass in the chain order: the first order of the chain and of the clock, the last order
-- of the clock, and the next order
numbered as (
    select
        *,
        last_value(case when starts_chain then order_id end ignore nulls) over running as chain_id,
        last_value(case when starts_clock then order_id end ignore nulls) over running
            as clock_first_order_id,
        max(case when starts_clock then order_no_in_case end) over running as clock_first_no,
        coalesce(lead(starts_clock) over running, true) as is_last_in_clock,
        lead(order_id) over running as next_order_id,
        lead(start_date) over running as next_start_date,
        not lead(starts_chain) over running as next_is_chained
    from flagged
    window running as (
        partition by person_id, chain_case_id order by start_at, extension_no, order_id
        rows between unbounded preceding and current row
    )
),

final as (
    select
        n.order_id,
        n.person_id,
        n.case_id,
        n.chain_case_id,
        n.unit_code,
        n.stage,
        n.extension_no,
        n.start_at,
        n.start_date,
        n.stated_end_date,
        n.requested_date,
        split_part(n.clock_kind, ':', 1) as clock,
        n.chain_id,
        split_part(n.clock_kind, ':', 1) || ':' || n.person_id || ':' || n.clock_first_order_id
            as clock_id,
        n.order_no_in_case - n.clock_first_no + 1 as order_no_in_clock,
        n.is_last_in_clock,
        n.next_order_id,
        n.next_start_date,
        n.next_is_chained,
        case when n.starts_chain then null else n.prev_order_id end as prev_order_id,
        case when n.starts_chain then null else n.prev_stated_end_date end as prev_stated_end_date
    from numbered as n
)

select * from final
