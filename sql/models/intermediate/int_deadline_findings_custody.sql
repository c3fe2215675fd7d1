with orders as (
    select * from {{ ref('int_detention_orders_chained') }}
),

clocks as (
    select * from {{ ref('int_clocks_custody') }}
),

rules as (
    select
        rule_id,
        length,
        unit,
        cumulative_max_length,
        cumulative_max_unit,
        legal_basis,
        is_confirmed
    from {{ source('reference', 'deadline_rules') }}
    where clock in ('custody', 'detention', 'detention_extension_request')
),

custody_rule as (
    select * from rules where rule_id = 'custody:order'
),

request_rule as (
    select * from rules where rule_id = 'detention:request_lead'
),

-- custody: each order at most 3 days from start_at, hours counted
custody_orders as (
    select
        o.*,
        cast(o.start_at + to_days(cast(r.length as integer)) as date) as last_allowed_on,
        r.length,
        r.legal_basis
    from orders as o
    cross join custody_rule as r
    where o.clock = 'custody'
),

illegal_custody_orders as (
    select
        'illegal_order:' || o.order_id as finding_id,
        'illegal_order' as rule,
        'error' as severity,
        o.clock_id,
        'custody order ' || o.order_id || ' from ' || strftime(o.start_at, '%d/%m/%Y %H:%M')
            || ' ends ' || strftime(o.stated_end_date, '%d/%m/%Y') || ', after the '
            || o.length * 24 || '-hour limit (' || strftime(o.last_allowed_on, '%d/%m/%Y') || ')'
            as detail,
        o.legal_basis
    from custody_orders as o
    where o.stated_end_date > o.last_allowed_on
),

-- custody: the whole run (order and its extensions) at most the cumulative maximum (9 days)
custody_runs as (
    select
        clock_id,
        min(start_at) as started_at,
        max(case when is_last_in_clock then stated_end_date end) as ended_on,
        count(*) as order_count
    from orders
    where clock = 'custody'
    group by clock_id
),

illegal_custody_runs as (
    select
        'illegal_order:' || c.clock_id as finding_id,
        'illegal_order' as rule,
        'error' as severity,
        c.clock_id,
        'custody from ' || strftime(c.started_at, '%d/%m/%Y %H:%M') || ' (' || c.order_count
            || ' orders) ends ' || strftime(c.ended_on, '%d/%m/%Y') || ', after the '
            || r.cumulative_max_length || '-day maximum ('
            || strftime(cast(c.started_at + to_days(cast(r.cumulative_max_length as integer)) as date), '%d/%m/%Y')
            || ')' as detail,
        r.legal_basis
    from custody_runs as c
    cross join custody_rule as r
    where c.ended_on > cast(c.started_at + to_days(cast(r.cumulative_max_length as integer)) as date)
),

-- the days of each custody clock, from its start to the day before the next link starts (at
-- most its end date), count toward the detention clock that follows it in the chain (Art. 118(4))
custody_credit as (
    select
        n.clock_id as credited_to_clock_id,
        sum(least(o.stated_end_date, o.next_start_date - 1) - c.started_on + 1) as credit_days
    from orders as o
    inner join clocks as c on c.clock_id = o.clock_id
    inner join orders as n on n.order_id = o.next_order_id
    where o.clock = 'custody'
        and o.is_last_in_clock
        and o.next_is_chained
        and n.clock = 'detention'
    group by n.clock_id
),

detention_stages as (
    select
        c.clock_id,
        c.started_on,
        c.due_on,
        c.rule_id,
        coalesce(cc.credit_days, 0) as credit_days,
        c.due_on - c.started_on + 1 as stage_days
    from clocks as c
    left join custody_credit as cc on cc.credited_to_clock_id = c.clock_id
    where c.clock = 'detention'
),

detention_limits as (
    select
        d.*,
        r.cumulative_max_length,
        r.cumulative_max_unit,
        r.legal_basis,
        r.is_confirmed,
        case r.cumulative_max_unit
            when 'days' then r.cumulative_max_length
            when 'months30' then 30 * r.cumulative_max_length
            when 'months' then cast(d.started_on + to_months(cast(r.cumulative_max_length as integer)) as date) - d.started_on
        end as limit_days
    from detention_stages as d
    inner join rules as r on r.rule_id = d.rule_id
),

illegal_detention as (
    select
        'illegal_order:' || d.clock_id as finding_id,
        'illegal_order' as rule,
        case when d.is_confirmed then 'error' else 'warn' end as severity,
        d.clock_id,
        'detention ' || strftime(d.started_on, '%d/%m/%Y') || '–' || strftime(d.due_on, '%d/%m/%Y')
            || ': ' || d.stage_days || ' days'
            || case when d.credit_days > 0 then ' + ' || d.credit_days || ' custody days' else '' end
            || ' = ' || (d.stage_days + d.credit_days) || ' days, over the ' || d.limit_days
            || '-day limit (' || d.cumulative_max_length || ' '
            || replace(d.cumulative_max_unit, 'months30', 'months of 30 days') || ', rule '
            || d.rule_id || case when d.is_confirmed then '' else ', unconfirmed' end || ')'
            as detail,
        d.legal_basis
    from detention_limits as d
    where d.stage_days + d.credit_days > d.limit_days
),

-- held after the last order of a chain ran out (the last clock closed late or still overdue)
held_after_end as (
    select
        'held_without_order:' || c.clock_id as finding_id,
        'held_without_order' as rule,
        'error' as severity,
        c.clock_id,
        'person ' || c.person_id || ' held after ' || c.clock || ' order ended '
            || strftime(c.due_on, '%d/%m/%Y') || ' with no chained order: '
            || case
                when c.status = 'overdue'
                    then 'still held at ' || strftime(cast({{ as_of() }} as date), '%d/%m/%Y') || ' (no release recorded)'
                else 'until ' || strftime(c.closed_on, '%d/%m/%Y') || ' (' || c.closed_by || ')'
            end
            || ', ' || c.days_late || ' days' as detail,
        c.legal_basis
    from clocks as c
    where c.status in ('late', 'overdue')
),

-- an intake no order covers: no order of the person starting by intake + 12 hours (the time
-- allowed to decide custody, Arts. 110, 114) whose end date reaches the intake day
order_cover as (
    select
        person_id,
        start_at,
        arg_max(unit_code, order_id) as unit_code,
        max(stated_end_date) as stated_end_date
    from {{ ref('stg_landing__detention_orders') }}
    where cast(start_at as date) <= {{ as_of() }}
    group by person_id, start_at
),

running_cover as (
    select
        *,
        max(stated_end_date) over (
            partition by person_id order by start_at rows between unbounded preceding and current row
        ) as covered_until
    from order_cover
),

intakes as (
    select movement_id, person_id, movement_at, movement_at + interval 12 hour as decided_by
    from {{ ref('stg_landing__detention_movements') }}
    where movement_type = 'intake'
        and cast(movement_at as date) <= {{ as_of() }}
),

uncovered_intakes as (
    select
        'held_without_order:' || i.movement_id as finding_id,
        'held_without_order' as rule,
        'error' as severity,
        cast(null as varchar) as clock_id,
        i.person_id,
        coalesce(u.unit_code, rc.unit_code) as unit_code,
        'intake ' || i.movement_id || ' of person ' || i.person_id || ' at '
            || strftime(i.movement_at, '%d/%m/%Y %H:%M') || ' with no custody or detention order covering it'
            as detail,
        r.legal_basis
    from intakes as i
    asof left join running_cover as rc
        on i.person_id = rc.person_id and rc.start_at <= i.decided_by
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = rc.unit_code
        and cast(i.movement_at as date) between u.effective_from and u.effective_to
    cross join custody_rule as r
    where rc.covered_until is null or rc.covered_until < cast(i.movement_at as date)
),

-- investigation-stage detention extensions requested less than 10 days before the previous end
extension_requests as (
    select
        case
            when o.requested_date is null then 'unknown'
            else 'warn'
        end as severity,
        'extension_request_late:' || o.order_id as finding_id,
        'extension_request_late' as rule,
        o.clock_id,
        'detention extension ' || o.order_id || ' (extension ' || o.extension_no || ') '
            || case
                when o.requested_date is null then 'has no request date'
                else 'requested ' || strftime(o.requested_date, '%d/%m/%Y')
            end
            || '; the request was due by ' || strftime(o.prev_stated_end_date - cast(r.length as integer), '%d/%m/%Y')
            || ' (' || r.length || ' days before order ' || o.prev_order_id || ' ends '
            || strftime(o.prev_stated_end_date, '%d/%m/%Y') || ')' as detail,
        r.legal_basis
    from orders as o
    cross join request_rule as r
    where o.clock = 'detention'
        and o.stage = 'investigation'
        and o.extension_no >= 1
        and o.prev_stated_end_date is not null
        and (o.requested_date is null or o.requested_date > o.prev_stated_end_date - cast(r.length as integer))
),

clock_findings as (
    select finding_id, rule, severity, clock_id, detail, legal_basis from illegal_custody_orders
    union all
    select finding_id, rule, severity, clock_id, detail, legal_basis from illegal_custody_runs
    union all
    select finding_id, rule, severity, clock_id, detail, legal_basis from illegal_detention
    union all
    select finding_id, rule, severity, clock_id, detail, legal_basis from held_after_end
    union all
    select finding_id, rule, severity, clock_id, detail, legal_basis from extension_requests
),

final as (
    select
        f.finding_id,
        f.rule,
        f.severity,
        f.clock_id,
        c.subject_type,
        c.subject_id,
        c.case_id,
        c.unit_code,
        f.detail,
        f.legal_basis
    from clock_findings as f
    inner join clocks as c on c.clock_id = f.clock_id
    union all
    select
        finding_id,
        rule,
        severity,
        clock_id,
        'person' as subject_type,
        person_id as subject_id,
        cast(null as varchar) as case_id,
        unit_code,
        detail,
        legal_basis
    from uncovered_intakes
)

select * from final
