-- Open work of each stage per unit at the end of each stock date, by age: the state of every
-- clock on that date from started_on, due_on and closed_on (open when started on or before the
-- date and not closed by it; overdue when also past due_on), attributed to the unit the record
-- belongs to at the end of that day. Stock dates are the day before every period start and
-- every period's measured_through (month ends, and $as_of for the running period).
-- Computed independently of int_stage_flows; the two must balance.
-- grain: stage, hierarchy, unit_code, stock_date, age_days
-- column stock_date: the stock is taken at the end of this day (tồn cuối ngày)
-- column age_days: stock_date − started_on of the open clocks counted in this row
-- column open_count: open clocks of the stage (chưa giải quyết)
-- column overdue_count: of open_count, clocks past due_on (quá hạn)

with clocks as (
    select attribution_key, stage, started_on, due_on, closed_on
    from intermediate.int_indicator_clocks
    where stage is not null
),

stock_dates as (
    select distinct cast(period_start - 1 as date) as stock_date from intermediate.int_periods
    union
    select distinct measured_through from intermediate.int_periods
),

open_on as (
    select c.attribution_key, c.stage, d.stock_date,
           cast(d.stock_date - c.started_on as integer) as age_days,
           d.stock_date > c.due_on as is_overdue
    from clocks as c
    join stock_dates as d
        on d.stock_date >= c.started_on
       and d.stock_date < coalesce(c.closed_on, date '9999-12-31')
),

final as (
    select
        o.stage,
        s.hierarchy,
        s.unit_code,
        o.stock_date,
        o.age_days,
        count(*) as open_count,
        count(*) filter (where o.is_overdue) as overdue_count
    from open_on as o
    join intermediate.int_unit_segments as s
        on s.attribution_key = o.attribution_key
       and o.stock_date between s.from_date and s.to_date
    group by all
)

select * from final
