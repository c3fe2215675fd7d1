with clocks as (
    select clock_id, attribution_key, stage, started_on, due_on, closed_on
    from {{ ref('int_indicator_clocks') }}
    where stage is not null
),

stock_dates as (
    select distinct cast(period_start - 1 as date) as stock_date from {{ ref('int_periods') }}
    union
    select distinct measured_through from {{ ref('int_periods') }}
),

open_on as (
    select c.clock_id, c.attribution_key, c.stage, d.stock_date,
           cast(d.stock_date - c.started_on as integer) as age_days,
           d.stock_date > c.due_on as is_overdue
    from clocks as c
    join stock_dates as d
        on d.stock_date >= c.started_on
       and d.stock_date < coalesce(c.closed_on, date '9999-12-31')
),

final as (
    select
        o.clock_id,
        s.hierarchy,
        o.stock_date,
        o.stage,
        s.unit_code,
        o.age_days,
        o.is_overdue
    from open_on as o
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = o.attribution_key
       and o.stock_date between s.from_date and s.to_date
)

select * from final
