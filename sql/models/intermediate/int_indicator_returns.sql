with conventions as (
    select
        coalesce(max(value) filter (where setting = 'return_rate_denominator'), 'received_or_returned')
            as denominator_rule,
        coalesce(max(value) filter (where setting = 'court_return_counting'), 'per_period') as court_counting
    from {{ source('reference', 'indicator_conventions') }}
),

events as (
    select event_id, event_type, subject_id as case_id, event_date, is_accepted
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending
      and event_date <= cast({{ as_of() }} as date)
      and subject_type = 'case'
      and event_type in ('file_received_by_vks', 'returned_by_vks', 'returned_by_court', 'indicted')
),

court_returns as (
    select *,
           row_number() over (partition by case_id order by event_date, event_id) as return_no
    from events
    where event_type = 'returned_by_court' and coalesce(is_accepted, false)
),

first_court_return as (
    select case_id, event_date as first_returned_on from court_returns where return_no = 1
),

-- one row per (indicator, side, case, date)
items as (
    select 'vks_return_rate' as indicator_code, 'denominator' as side, e.case_id, e.event_date
    from events as e
    left join first_court_return as f on f.case_id = e.case_id
    where e.event_type = 'file_received_by_vks'
      and (f.first_returned_on is null or e.event_date < f.first_returned_on)
    union all
    select 'vks_return_rate', side, e.case_id, e.event_date
    from events as e
    left join first_court_return as f on f.case_id = e.case_id
    cross join conventions as c
    cross join (values ('numerator'), ('denominator')) as s (side)
    where e.event_type = 'returned_by_vks'
      and (f.first_returned_on is null or e.event_date < f.first_returned_on)
      and (s.side = 'numerator' or c.denominator_rule = 'received_or_returned')
    union all
    select 'court_return_rate', 'denominator', case_id, event_date
    from events
    where event_type = 'indicted'
    union all
    select 'court_return_rate', side, r.case_id, r.event_date
    from court_returns as r
    cross join conventions as c
    cross join (values ('numerator'), ('denominator')) as s (side)
    where (r.return_no = 1 or c.court_counting = 'per_period')
      and (s.side = 'numerator' or c.denominator_rule = 'received_or_returned')
),

attributed as (
    select i.indicator_code, i.side, i.case_id, s.hierarchy, s.unit_code,
           cast(date_trunc('month', i.event_date) as date) as month_start
    from items as i
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = 'case:' || i.case_id
       and i.event_date between s.from_date and s.to_date
),

-- Distinct cases per month, unit and roll-up unit. A case seen in one month only adds 1 to
-- every period containing that month; a case seen in several months is deduplicated per period.
monthly as (
    select distinct a.indicator_code, a.side, a.case_id, a.hierarchy, r.rollup_code as unit_code, a.month_start
    from attributed as a
    join {{ ref('int_unit_rollups') }} as r on r.hierarchy = a.hierarchy and r.unit_code = a.unit_code
),

spread as (
    select *, count(*) over (partition by indicator_code, side, case_id, hierarchy, unit_code) as months_seen
    from monthly
),

single_month as (
    select s.indicator_code, s.side, s.hierarchy, s.unit_code, pm.period_kind, pm.period_start, count(*) as n
    from spread as s
    join {{ ref('int_period_months') }} as pm on pm.month_start = s.month_start
    where s.months_seen = 1
    group by all
),

several_months as (
    select s.indicator_code, s.side, s.hierarchy, s.unit_code, pm.period_kind, pm.period_start,
           count(distinct s.case_id) as n
    from spread as s
    join {{ ref('int_period_months') }} as pm on pm.month_start = s.month_start
    where s.months_seen > 1
    group by all
),

final as (
    select
        indicator_code,
        'all' as stage,
        hierarchy,
        unit_code,
        period_kind,
        period_start,
        cast(coalesce(sum(n) filter (where side = 'numerator'), 0) as double) as numerator,
        cast(coalesce(sum(n) filter (where side = 'denominator'), 0) as double) as denominator,
        cast(null as double) as value
    from (select * from single_month union all select * from several_months)
    group by all
)

select * from final
