-- Clocks whose deadline is rolled (every clock but custody and detention, whose deadline is the
-- order's stated end date, and the hour limits, never rolled: decide_custody_extension and
-- send_charge_decision) are never due on a day off: a calendar day off inside the calendar, a
-- weekend outside it.
{{ config(meta={'dagster': {'ref': {'name': 'deadlines'}}}) }}

select d.clock_id, d.clock, d.due_on
from {{ ref('deadlines') }} as d
left join {{ ref('int_calendar_days') }} as c on c.date = d.due_on
where d.clock not in ('custody', 'detention', 'decide_custody_extension', 'send_charge_decision')
    and (
        (c.date is not null and not c.is_working_day)
        or (c.date is null and isodow(d.due_on) in (6, 7))
    )
