with orders as (
    select * from {{ ref('int_detention_orders_chained') }}
),

clock_orders as (
    select
        clock_id,
        any_value(clock) as clock,
        any_value(person_id) as person_id,
        any_value(chain_case_id) as case_id,
        min(start_at) as started_at,
        min(start_date) as started_on,
        max(case when order_no_in_clock = 1 then stage end) as stage,
        max(case when order_no_in_clock = 1 then unit_code end) as order_unit_code,
        max(case when is_last_in_clock then order_id end) as last_order_id,
        max(case when is_last_in_clock then extension_no end) as last_extension_no,
        max(case when is_last_in_clock then stated_end_date end) as due_on,
        -- the next order of the person and case after the clock's last one: the next link of
        -- the chain, or the first order of a later, unchained chain
        max(case when is_last_in_clock then next_order_id end) as next_first_order_id,
        max(case when is_last_in_clock then next_start_date end) as next_started_on,
        coalesce(bool_or(is_last_in_clock and next_is_chained), false) as has_next_link
    from orders
    group by clock_id
),

closing_movements as (
    select person_id, movement_at, min(movement_id) as movement_id
    from {{ ref('stg_landing__detention_movements') }}
    where movement_type in ('release', 'escape', 'death')
        and cast(movement_at as date) <= {{ as_of() }}
    group by person_id, movement_at
),

sent_to_prison as (
    select j.person_id, j.case_id, e.event_date, min(e.event_id) as event_id
    from {{ ref('stg_landing__execution_events') }} as e
    inner join {{ ref('stg_landing__judgements') }} as j
        on j.judgement_id = e.judgement_id and not j.is_reference_pending
    where e.event_type = 'sent_to_prison'
        and not e.is_reference_pending
        and e.event_date <= {{ as_of() }}
    group by j.person_id, j.case_id, e.event_date
),

with_movement as (
    select
        s.*,
        cast(m.movement_at as date) as movement_on,
        m.movement_id
    from clock_orders as s
    asof left join closing_movements as m
        on s.person_id = m.person_id and m.movement_at >= s.started_at
),

with_prison as (
    select
        s.*,
        p.event_date as prison_on,
        p.event_id as prison_event_id
    from with_movement as s
    asof left join sent_to_prison as p
        on s.person_id = p.person_id and s.case_id = p.case_id and p.event_date >= s.started_on
),

closed as (
    select
        *,
        case
            when has_next_link then least(next_started_on, due_on)
            else least(
                movement_on,
                prison_on,
                case when next_first_order_id is not null then next_started_on - 1 end
            )
        end as closed_on
    from with_prison
),

closers as (
    select
        *,
        case
            when has_next_link then next_first_order_id
            when closed_on = movement_on then movement_id
            when closed_on = prison_on then prison_event_id
            when closed_on is not null then next_first_order_id
        end as closed_by,
        coalesce(closed_on, {{ as_of() }}) as last_running_day
    from closed
),

with_category as (
    select
        c.*,
        coalesce(ch.crime_category, k.crime_category) as crime_category,
        k.prosecutor_id
    from closers as c
    left join {{ ref('stg_landing__cases') }} as k
        on k.case_id = c.case_id
    left join {{ ref('int_case_category_history') }} as ch
        on ch.case_id = c.case_id
        and c.last_running_day >= ch.valid_from
        and (ch.valid_to is null or c.last_running_day <= ch.valid_to)
),

-- the rule row in force for the clock's start (a custody order's, a detention stage's)
with_rule as (
    select
        c.*,
        r.rule_id,
        r.legal_basis
    from with_category as c
    left join {{ ref('int_deadline_rule_versions') }} as r
        on {{ rule_in_force(
            'r', 'c.clock', 'c.started_on', category='c.crime_category',
            stage="case when c.clock = 'custody' then '*' else c.stage end") }}
),

with_unit as (
    select
        c.*,
        coalesce(u.unit_code, c.order_unit_code) as unit_code
    from with_rule as c
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = c.order_unit_code
        and c.last_running_day between u.effective_from and u.effective_to
),

stage_labels as (
    select code, lower(label_vi) as label_vi, lower(label_en) as label_en
    from {{ source('reference', 'codes') }}
    where list = 'detention_stage'
),

final as (
    select
        c.clock_id,
        c.clock,
        'person' as subject_type,
        c.person_id as subject_id,
        c.case_id,
        c.person_id,
        cast(null as varchar) as judgement_id,
        c.unit_code,
        c.prosecutor_id,
        c.crime_category,
        c.started_on,
        c.due_on as due_on_nominal,
        c.due_on,
        coalesce(not d.swaps_reviewed, true) as is_provisional,
        c.closed_on,
        c.closed_by,
        {{ clock_status('c.due_on', 'c.closed_on') }} as status,
        {{ days_late(clock_status('c.due_on', 'c.closed_on'), 'c.due_on', 'c.closed_on') }} as days_late,
        {{ days_remaining(clock_status('c.due_on', 'c.closed_on'), 'c.due_on') }} as days_remaining,
        c.rule_id,
        c.legal_basis,
        case c.clock
            when 'custody' then 'tạm giữ từ ' || strftime(c.started_on, '%d/%m/%Y')
                || ': lệnh tạm giữ đến hết ngày '
            else 'tạm giam giai đoạn ' || coalesce(sl.label_vi, c.stage) || ' từ '
                || strftime(c.started_on, '%d/%m/%Y') || ': lệnh tạm giam đến hết ngày '
        end
        || strftime(c.due_on, '%d/%m/%Y') || ' (lệnh ' || c.last_order_id
        || case when c.last_extension_no > 0 then ', gia hạn lần ' || c.last_extension_no else '' end
        || ')' as explanation,
        case c.clock
            when 'custody' then 'custody from ' || strftime(c.started_on, '%d/%m/%Y')
                || ': custody order '
            else 'detention (' || coalesce(sl.label_en, c.stage) || ') from '
                || strftime(c.started_on, '%d/%m/%Y') || ': detention order '
        end
        || c.last_order_id
        || case when c.last_extension_no > 0 then ' (extension ' || c.last_extension_no || ')' else '' end
        || ' ends ' || strftime(c.due_on, '%d/%m/%Y') as explanation_en
    from with_unit as c
    left join {{ ref('int_calendar_days') }} as d on d.date = c.due_on
    left join stage_labels as sl on sl.code = c.stage
)

select * from final
