with events as (
    select *
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending and event_date <= cast({{ as_of() }} as date)
),

judgements as (
    select judgement_id, case_id, unit_code from {{ ref('stg_landing__judgements') }} where not is_reference_pending
),

orders as (
    select order_id, unit_code, cast(start_at as date) as started_on, requested_date, stage, measure, extension_no
    from {{ ref('stg_landing__detention_orders') }}
    where not is_reference_pending
),

clocks as (
    select clock_id, attribution_key, started_on from {{ ref('int_indicator_clocks') }}
),

missed as (
    select 'missed_crime_signal_count' as indicator_code, attribution_key, event_date as counted_on,
           1 as num, 1 as den
    from {{ ref('int_missed_crime_signals') }}
    where attribution_key is not null
),

withdrawals as (
    select judgement_id, min(event_date) as withdrawn_on
    from events
    where event_type = 'protest_withdrawn' and judgement_id is not null
    group by all
),

protests as (
    select
        'protest_acceptance_rate' as indicator_code,
        coalesce('unit:' || j.unit_code, 'case:' || coalesce(e.case_id, j.case_id)) as attribution_key,
        e.event_date as counted_on,
        case when coalesce(e.is_accepted, false) then 1 else 0 end as num,
        1 as den
    from events as e
    left join judgements as j on j.judgement_id = e.judgement_id
    left join withdrawals as w on w.judgement_id = e.judgement_id and w.withdrawn_on <= e.event_date
    where e.event_type = 'protest_decided' and w.judgement_id is null
),

findings as (
    select f.*, regexp_extract(f.finding_id, '[^:]+$') as last_ref,
           substr(f.finding_id, length(f.rule) + 2) as ref
    from {{ ref('int_deadline_findings') }} as f
    where f.rule in ('illegal_order', 'extension_request_late', 'premature_suspension')
),

illegal_orders as (
    select
        'illegal_order_count' as indicator_code,
        coalesce(any_value(c.attribution_key), 'unit:' || any_value(f.unit_code)) as attribution_key,
        min(f.dated_on) as counted_on,
        1 as num, 1 as den
    from findings as f
    left join clocks as c on c.clock_id = f.clock_id
    where f.rule = 'illegal_order' and f.severity = 'error'
    group by f.clock_id
),

premature_suspensions as (
    select
        'premature_suspension_count' as indicator_code,
        coalesce(c.attribution_key, 'unit:' || f.unit_code) as attribution_key,
        f.dated_on as counted_on,
        1 as num, 1 as den
    from findings as f
    left join clocks as c on c.clock_id = f.clock_id
    where f.rule = 'premature_suspension' and f.severity = 'error'
),

-- Extension requests with a request date: the denominator.
requests as (
    select 'event' as kind, event_id as ref, 'case:' || subject_id as attribution_key, requested_date
    from events
    where event_type = 'investigation_extended' and subject_type = 'case' and requested_date is not null
    union all
    select 'order', order_id, 'unit:' || unit_code, requested_date
    from orders
    where measure = 'detention' and stage = 'investigation' and extension_no >= 1
      and requested_date is not null and requested_date <= cast({{ as_of() }} as date)
),

late_requests as (
    select 'order' as kind, ref from findings where rule = 'extension_request_late'
    union
    select 'event', last_ref from findings where rule = 'extension_request_late'
),

extension_requests as (
    select
        'extension_request_late_rate' as indicator_code,
        r.attribution_key,
        r.requested_date as counted_on,
        case when l.ref is not null then 1 else 0 end as num,
        1 as den
    from requests as r
    left join late_requests as l on l.kind = r.kind and l.ref = r.ref
),

items as (
    select * from missed
    union all select * from protests
    union all select * from illegal_orders
    union all select * from premature_suspensions
    union all select * from extension_requests
),

final as (
    select
        i.indicator_code,
        s.hierarchy,
        s.unit_code,
        cast(date_trunc('month', i.counted_on) as date) as month_start,
        cast(sum(i.num) as double) as numerator,
        cast(sum(i.den) as double) as denominator
    from items as i
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = i.attribution_key
       and i.counted_on between s.from_date and s.to_date
    where i.counted_on <= cast({{ as_of() }} as date)
    group by all
)

select * from final
