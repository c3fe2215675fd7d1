with periods as (
    select period_kind, period_start, measured_through from {{ ref('int_periods') }}
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
        ) as g (m)
)

select * from final
