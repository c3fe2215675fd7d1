-- Every first-instance judgement pronounced by the as-of date (and not held back as
-- reference_pending) has exactly its same_level and superior windows.
{{ config(meta={'dagster': {'ref': {'name': 'protest_windows'}}}) }}

with expected as (
    select judgement_id
    from {{ ref('stg_landing__judgements') }}
    where instance = 'first' and not is_reference_pending and pronounced_date <= {{ as_of() }}
),

actual as (
    select judgement_id, count(*) filter (where "window" = 'same_level') as same_level,
        count(*) filter (where "window" = 'superior') as superior, count(*) as windows
    from {{ ref('protest_windows') }}
    group by judgement_id
)

select coalesce(e.judgement_id, a.judgement_id) as judgement_id, a.same_level, a.superior, a.windows
from expected as e
full outer join actual as a on a.judgement_id = e.judgement_id
where e.judgement_id is null or a.judgement_id is null
    or a.same_level <> 1 or a.superior <> 1 or a.windows <> 2
