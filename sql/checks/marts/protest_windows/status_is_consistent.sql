-- A window's status agrees with its protest and the as-of date: used = a protest on or before
-- closes_on, late = only after it, expired = none and as_of past closes_on, open = none and the
-- window still running. A window is never overdue.
{{ config(meta={'dagster': {'ref': {'name': 'protest_windows'}}}) }}

select judgement_id, "window", status, protested_on, closes_on
from {{ ref('protest_windows') }}
where not coalesce(case status
    when 'used' then protested_on is not null and protested_on <= closes_on
    when 'late' then protested_on is not null and protested_on > closes_on
    when 'expired' then protested_on is null and as_of > closes_on
    when 'open' then protested_on is null and as_of <= closes_on and days_remaining = closes_on - as_of
    else false
end, false)
