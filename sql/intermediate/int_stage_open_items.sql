-- Open work of each stage at the end of each stock date, one row per open clock, date and unit
-- view: the state of the clock on that date from started_on, due_on and closed_on (open when
-- started on or before the date and not closed by it; overdue when also past due_on), attributed
-- to the unit its record belongs to at the end of that day. Stock dates are the day before every
-- period start and every period's measured_through (month ends, and $as_of for the running
-- period). Computed independently of int_stage_flows; the two must balance.
-- grain: clock_id, hierarchy, stock_date
-- column stock_date: the stock is taken at the end of this day (tồn cuối ngày)
-- column age_days: stock_date − started_on (tuổi, ngày)
-- column is_overdue: stock_date is past due_on (quá hạn)

with clocks as (
    select clock_id, attribution_key, stage, started_on, due_on, closed_on
    from intermediate.int_indicator_clocks
    where stage is not null
),

stock_dates as (
    select distinct cast(period_start - 1 as date) as stock_date from intermediate.int_periods
    union
    select distinct measured_through from intermediate.int_periods
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
    join intermediate.int_unit_segments as s
        on s.attribution_key = o.attribution_key
       and o.stock_date between s.from_date and s.to_date
)

select * from final
