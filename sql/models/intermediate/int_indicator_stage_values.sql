with conventions as (
    select
        coalesce(max(value) filter (where setting = 'suspension_counts_as_resolved'), 'true') = 'true'
            as suspension_resolves,
        coalesce(max(value) filter (where setting = 'disposition_time_scale'), 'period_days')
            as disposition_scale
    from {{ source('reference', 'indicator_conventions') }}
),

periods as (
    select period_kind, period_start, measured_through, period_days from {{ ref('int_periods') }}
),

rollups as (
    select hierarchy, unit_code, rollup_code from {{ ref('int_unit_rollups') }}
),

period_flows as (
    select f.stage, f.hierarchy, f.unit_code, pm.period_kind, pm.period_start,
           sum(f.received) as received,
           sum(f.resolved) as resolved,
           sum(f.resolved_suspended) as resolved_suspended,
           sum(f.resolved_transferred) as resolved_transferred,
           sum(f.transferred_in + f.reorganised_in) as moved_in,
           sum(f.transferred_out + f.reorganised_out) as moved_out
    from {{ ref('int_stage_flows') }} as f
    join {{ ref('int_period_months') }} as pm on pm.month_start = f.month_start
    group by all
),

opening as (
    select s.stage, s.hierarchy, s.unit_code, p.period_kind, p.period_start, s.open_count as open_at_start
    from {{ ref('int_stage_stocks') }} as s
    join periods as p on s.stock_date = p.period_start - 1
),

closing as (
    select s.stage, s.hierarchy, s.unit_code, p.period_kind, p.period_start,
           s.open_count as open_at_end, s.overdue_count as overdue_at_end
    from {{ ref('int_stage_stocks') }} as s
    join periods as p on s.stock_date = p.measured_through
),

leaf as (
    select stage, hierarchy, unit_code, period_kind, period_start,
           received, resolved, resolved_suspended, resolved_transferred, moved_in, moved_out,
           0 as open_at_start, 0 as open_at_end, 0 as overdue_at_end
    from period_flows
    union all
    select stage, hierarchy, unit_code, period_kind, period_start, 0, 0, 0, 0, 0, 0, open_at_start, 0, 0
    from opening
    union all
    select stage, hierarchy, unit_code, period_kind, period_start, 0, 0, 0, 0, 0, 0, 0, open_at_end, overdue_at_end
    from closing
),

rolled as (
    select l.stage, l.hierarchy, r.rollup_code as unit_code, l.period_kind, l.period_start,
           sum(received) as received, sum(resolved) as resolved,
           sum(resolved_suspended) as resolved_suspended,
           sum(resolved_transferred) as resolved_transferred,
           sum(moved_in) as moved_in, sum(moved_out) as moved_out,
           sum(open_at_start) as open_at_start, sum(open_at_end) as open_at_end,
           sum(overdue_at_end) as overdue_at_end
    from leaf as l
    join rollups as r on r.hierarchy = l.hierarchy and r.unit_code = l.unit_code
    group by all
),

-- Nearest-rank 90th percentile of the age of open items (quantile_disc), per unit and roll-up.
p90 as (
    select o.stage, o.hierarchy, r.rollup_code as unit_code, o.stock_date,
           quantile_disc(o.age_days, 0.9) as p90_age,
           count(*) as total_n
    from {{ ref('int_stage_open_items') }} as o
    join rollups as r on r.hierarchy = o.hierarchy and r.unit_code = o.unit_code
    where o.stock_date in (select measured_through from periods)
    group by all
),

values_long as (
    select 'report_resolution_rate' as indicator_code, 'all' as stage, hierarchy, unit_code,
           period_kind, period_start,
           cast(resolved - resolved_transferred
                - case when c.suspension_resolves then 0 else resolved_suspended end as double) as numerator,
           cast(open_at_start + received + moved_in - moved_out - resolved_transferred
                - case when c.suspension_resolves then 0 else resolved_suspended end as double) as denominator,
           cast(null as double) as value
    from rolled, conventions as c
    where stage = 'report'
    union all
    select 'report_overdue_rate', 'all', hierarchy, unit_code, period_kind, period_start,
           overdue_at_end, open_at_end, null
    from rolled
    where stage = 'report'
    union all
    select 'clearance_rate', stage, hierarchy, unit_code, period_kind, period_start,
           resolved, received, null
    from rolled
    union all
    select 'disposition_time_days', r.stage, r.hierarchy, r.unit_code, r.period_kind, r.period_start,
           r.open_at_end, r.resolved,
           case when r.resolved > 0
                then (case when c.disposition_scale = 'fixed_365' then 365 else p.period_days end)
                     * r.open_at_end / r.resolved end
    from rolled as r
    join periods as p on p.period_kind = r.period_kind and p.period_start = r.period_start
    cross join conventions as c
    union all
    select 'pending_age_p90_days', q.stage, q.hierarchy, q.unit_code, p.period_kind, p.period_start,
           null, q.total_n, q.p90_age
    from p90 as q
    join periods as p on p.measured_through = q.stock_date
),

final as (
    select * from values_long
)

select * from final
