-- Windows are counted from pronouncement and never rolled to a working day: closes_on is
-- exactly opens_on + the rule's length (15 days same_level, 30 days superior).
{{ config(meta={'dagster': {'ref': {'name': 'protest_windows'}}}) }}

select w.judgement_id, w."window", w.opens_on, w.closes_on, r.length
from {{ ref('protest_windows') }} as w
left join {{ source('reference', 'deadline_rules') }} as r on r.rule_id = w.rule_id
where r.rule_id is null
    or w.opens_on <> w.pronounced_date
    or w.closes_on <> w.opens_on + cast(r.length as integer)
