-- Windows are counted from pronouncement: closes_on is opens_on + the rule's length (15 days
-- same_level, 30 days superior), moved to the next working day only when that day is off and
-- the convention roll_windows is on (contract 1.1 C5); never earlier, never past a working day.
{{ config(meta={'dagster': {'ref': {'name': 'protest_windows'}}}) }}

with conventions as (
    select coalesce(
        max(try_cast(value as boolean)) filter (where setting = 'roll_windows'), true
    ) as roll_windows
    from {{ source('reference', 'indicator_conventions') }}
)

select w.judgement_id, w."window", w.opens_on, w.closes_on, r.length
from {{ ref('protest_windows') }} as w
cross join conventions as cv
left join {{ source('reference', 'deadline_rules') }} as r on r.rule_id = w.rule_id
left join {{ source('reference', 'calendar') }} as c on c.date = w.opens_on + cast(r.length as integer)
where r.rule_id is null
    or w.opens_on <> w.pronounced_date
    or w.closes_on < w.opens_on + cast(r.length as integer)
    or (not cv.roll_windows and w.closes_on <> w.opens_on + cast(r.length as integer))
    or (w.closes_on > w.opens_on + cast(r.length as integer) and coalesce(c.is_working_day, false))
