-- The calendar with the helpers every deadline needs: the next working day on or after a date
-- (the Art. 134 roll) and a running count of working days (N-th working day after a start).
-- Dates outside the reference calendar are not listed; callers treat them as weekends-only
-- and mark the deadline provisional.
-- grain: date
-- column next_working_day: the first working day on or after this date
-- column working_day_seq: number of working days from the calendar start up to and including this date
-- column swaps_reviewed: the year's Government swaps are in the calendar; otherwise deadlines here are provisional

with calendar as (
    select date, is_working_day, swaps_reviewed
    from reference.calendar
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
