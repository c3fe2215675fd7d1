with calendar as (
    select date, is_working_day, swaps_reviewed
    from {{ source('reference', 'calendar') }}
),

numbered as (
    select
        *,
        cast(sum(case when is_working_day then 1 else 0 end) over (order by date) as bigint) as working_day_seq
    from calendar
),

final as (
    select
        date,
        is_working_day,
        swaps_reviewed,
        working_day_seq,
        min(case when is_working_day then date end) over (
            order by date rows between current row and unbounded following
        ) as next_working_day
    from numbered
)

select * from final
