with periods as (
    select period_kind, period_start, measured_through from {{ ref('int_periods') }}
),

overdue_spells as (
    select
        case clock when 'custody' then 'overdue_custody_count' else 'overdue_detention_count' end as indicator_code,
        person_id,
        attribution_key,
        cast(due_on + 1 as date) as past_from,
        coalesce(closed_on, cast({{ as_of() }} as date)) as past_to
    from {{ ref('int_indicator_clocks') }}
    where clock in ('custody', 'detention')
      and coalesce(closed_on, cast({{ as_of() }} as date)) > due_on
),

wrongful as (
    select 'wrongful_prosecution_count' as indicator_code, person_id, attribution_key, dated_on
    from {{ ref('int_wrongful_prosecutions') }}
),

-- a person with a single spell (or a single wrongful prosecution) needs no deduplication
single_persons as (
    select indicator_code, person_id
    from (select indicator_code, person_id from overdue_spells
          union all
          select indicator_code, person_id from wrongful)
    group by all
    having count(*) = 1
),

items as (
    select o.indicator_code, o.person_id, o.attribution_key, p.period_kind, p.period_start,
           least(o.past_to, p.measured_through) as counted_on
    from overdue_spells as o
    join periods as p
        on o.past_from <= p.measured_through and o.past_to >= p.period_start
    union all
    select w.indicator_code, w.person_id, w.attribution_key, p.period_kind, p.period_start, w.dated_on
    from wrongful as w
    join periods as p on w.dated_on between p.period_start and p.measured_through
),

attributed as (
    select i.indicator_code, i.person_id, s.hierarchy, r.rollup_code as unit_code, i.period_kind, i.period_start,
           sp.person_id is not null as is_single
    from items as i
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = i.attribution_key
       and i.counted_on between s.from_date and s.to_date
    join {{ ref('int_unit_rollups') }} as r on r.hierarchy = s.hierarchy and r.unit_code = s.unit_code
    left join single_persons as sp on sp.indicator_code = i.indicator_code and sp.person_id = i.person_id
),

counted as (
    select indicator_code, hierarchy, unit_code, period_kind, period_start, count(*) as n
    from attributed
    where is_single
    group by all
    union all
    select indicator_code, hierarchy, unit_code, period_kind, period_start, count(distinct person_id)
    from attributed
    where not is_single
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
        cast(sum(n) as double) as numerator,
        cast(null as double) as denominator,
        cast(null as double) as value
    from counted
    group by all
)

select * from final
