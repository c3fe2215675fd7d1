-- Overdue work is part of open work: for every stage, unit and stock date, 0 <= overdue <= open.
{{ config(meta={'dagster': {'ref': {'name': 'int_stage_stocks'}}}) }}

select *
from {{ ref('int_stage_stocks') }}
where overdue_count < 0 or overdue_count > open_count or open_count < 0
