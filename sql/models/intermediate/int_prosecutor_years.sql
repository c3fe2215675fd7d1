-- Per prosecutor, unit (as was) and statistical year: the closed clocks (suspensions within the
-- deadline excluded), on time among them, wrongful prosecutions and accepted court returns in
-- the prosecutor's cases, and whether the caseload is too small to show (small_counts.sql).
with years as (
    select period_start, period_end, measured_through, period_name, is_complete
    from {{ ref('int_periods') }}
    where period_kind = 'statistical_year'
),

clocks as (
    select c.prosecutor_id, c.attribution_key, c.closed_on, c.is_on_time
    from {{ ref('int_indicator_clocks') }} as c
    where c.prosecutor_id is not null
      and c.closed_on is not null
      and not (c.is_closed_by_suspension and c.is_on_time)
),

workload as (
    select s.unit_code, y.period_start, c.prosecutor_id,
           count(*) as closed_clocks,
           count(*) filter (where c.is_on_time) as on_time_clocks
    from clocks as c
    join years as y on c.closed_on between y.period_start and y.measured_through
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = c.attribution_key and s.hierarchy = 'as_was'
       and c.closed_on between s.from_date and s.to_date
    group by all
),

cases as (
    select case_id, prosecutor_id from {{ ref('stg_landing__cases') }} where prosecutor_id is not null
),

wrongful as (
    select c.prosecutor_id, y.period_start, count(*) as n
    from {{ ref('int_wrongful_prosecutions') }} as w
    join cases as c on c.case_id = w.case_id
    join years as y on w.dated_on between y.period_start and y.measured_through
    group by all
),

court_returns as (
    select c.prosecutor_id, y.period_start, count(distinct e.subject_id) as n
    from {{ ref('stg_landing__case_events') }} as e
    join cases as c on c.case_id = e.subject_id
    join years as y on e.event_date between y.period_start and y.measured_through
    where e.event_type = 'returned_by_court' and e.subject_type = 'case'
      and coalesce(e.is_accepted, false) and not e.is_reference_pending
    group by all
),

final as (
    select
        w.unit_code,
        w.period_start,
        y.period_end,
        y.period_name,
        y.is_complete,
        w.prosecutor_id,
        w.closed_clocks,
        w.on_time_clocks,
        w.on_time_clocks / w.closed_clocks as on_time_rate,
        coalesce(x.n, 0) as wrongful_prosecution_count,
        coalesce(r.n, 0) as court_return_count,
        {{ exemplary_min_closed() }} as min_closed_clocks,
        w.closed_clocks < {{ exemplary_min_closed() }} as is_suppressed
    from workload as w
    join years as y on y.period_start = w.period_start
    left join wrongful as x on x.prosecutor_id = w.prosecutor_id and x.period_start = w.period_start
    left join court_returns as r on r.prosecutor_id = w.prosecutor_id and r.period_start = w.period_start
)

select * from final
