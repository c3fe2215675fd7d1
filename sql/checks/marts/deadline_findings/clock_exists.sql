-- A finding that names a clock names one that is in marts.deadlines.
{{ config(meta={'dagster': {'ref': {'name': 'deadline_findings'}}}) }}

select f.finding_id, f.clock_id
from {{ ref('deadline_findings') }} as f
left join {{ ref('deadlines') }} as d using (clock_id)
where f.clock_id is not null and d.clock_id is null
