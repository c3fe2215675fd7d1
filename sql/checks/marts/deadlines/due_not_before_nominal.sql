-- The deadline is never earlier than the nominal deadline: the day-off roll only moves it later.
{{ config(meta={'dagster': {'ref': {'name': 'deadlines'}}}) }}

select clock_id, due_on_nominal, due_on
from {{ ref('deadlines') }}
where due_on < due_on_nominal
