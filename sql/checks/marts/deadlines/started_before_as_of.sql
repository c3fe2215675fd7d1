-- No clock starts after the run's as-of date, and none closes before it starts or after as_of.
{{ config(meta={'dagster': {'ref': {'name': 'deadlines'}}}) }}

select clock_id, started_on, closed_on, as_of
from {{ ref('deadlines') }}
where started_on > as_of or closed_on < started_on or closed_on > as_of
