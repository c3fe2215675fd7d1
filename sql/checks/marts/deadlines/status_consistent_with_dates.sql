-- Status, days_late and days_remaining agree with the dates (contract outputs §1.8):
-- on_time and suspended are closed on or before due_on, late after it; open and overdue have no
-- closing date and are on either side of as_of; days_late and days_remaining are the differences.
-- A clock with due_at (an hour limit) is on time or late by closed_at against due_at, and late by
-- the started days after due_at (contract 1.1 D6).
{{ config(meta={'dagster': {'ref': {'name': 'deadlines'}}}) }}

select clock_id, status, due_on, closed_on, as_of, days_late, days_remaining
from {{ ref('deadlines') }}
where not coalesce(
    case status
        when 'on_time' then closed_on <= due_on and days_late = 0 and days_remaining is null
            and (due_at is null or closed_at <= due_at)
        when 'suspended' then closed_on <= due_on and closed_by is not null and days_late = 0
            and days_remaining is null
        when 'late' then days_remaining is null and case
            when due_at is null then closed_on > due_on and days_late = closed_on - due_on
            else closed_at > due_at and days_late = ceil(epoch(closed_at - due_at) / 86400)
        end
        when 'open' then closed_on is null and as_of <= due_on and days_late = 0
            and days_remaining = due_on - as_of
        when 'overdue' then closed_on is null and as_of > due_on and days_late = as_of - due_on
            and days_remaining is null
        else false
    end,
    false
)
