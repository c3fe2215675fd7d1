-- The calendar months each reporting period is made of, up to the month of $as_of: monthly
-- flows are summed into every period through this table (every period starts on the first
-- day of a month and ends on the last day of one).
-- grain: period_kind, period_start, month_start
-- column month_start: first day of a month inside the period

with periods as (
    select period_kind, period_start, measured_through from intermediate.int_periods
),

final as (
    select
        p.period_kind,
        p.period_start,
        cast(m as date) as month_start
    from periods as p,
        generate_series(
            cast(p.period_start as timestamp),
            cast(date_trunc('month', p.measured_through) as timestamp),
            interval 1 month
        ) as g(m)
)

select * from final
