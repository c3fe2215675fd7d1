-- The ledger tells the truth: for every loaded file, raw.<table> holds exactly rows_accepted rows
-- of it and raw.quarantine exactly rows_quarantined distinct rows; refused files left nothing.
{{ config(meta={'dagster': {'ref': {'name': 'batch_ledger'}}}) }}

with raw_rows as (
    select 'crime_reports' as table_name, _batch_id as batch_id, _file_name as file_name, count(*) as n
    from {{ source('raw', 'crime_reports') }} group by all
    union all
    select 'cases', _batch_id, _file_name, count(*) from {{ source('raw', 'cases') }} group by all
    union all
    select 'persons', _batch_id, _file_name, count(*) from {{ source('raw', 'persons') }} group by all
    union all
    select 'case_events', _batch_id, _file_name, count(*) from {{ source('raw', 'case_events') }} group by all
    union all
    select 'detention_orders', _batch_id, _file_name, count(*) from {{ source('raw', 'detention_orders') }} group by all
    union all
    select 'detention_movements', _batch_id, _file_name, count(*) from {{ source('raw', 'detention_movements') }} group by all
    union all
    select 'judgements', _batch_id, _file_name, count(*) from {{ source('raw', 'judgements') }} group by all
    union all
    select 'execution_events', _batch_id, _file_name, count(*) from {{ source('raw', 'execution_events') }} group by all
    union all
    select 'manual_scores', _batch_id, _file_name, count(*) from {{ source('raw', 'manual_scores') }} group by all
),

quarantined as (
    select batch_id, file_name, count(distinct row_number) as n
    from {{ source('raw', 'quarantine') }}
    group by all
),

loaded as (
    select batch_id, file_name, table_name, rows_accepted, rows_quarantined
    from {{ ref('batch_ledger') }}
    where status = 'loaded'
),

final as (
    select
        coalesce(l.batch_id, r.batch_id, q.batch_id) as batch_id,
        coalesce(l.file_name, r.file_name, q.file_name) as file_name,
        l.rows_accepted,
        coalesce(r.n, 0) as rows_in_raw,
        l.rows_quarantined,
        coalesce(q.n, 0) as rows_in_quarantine
    from loaded as l
    full join raw_rows as r on r.batch_id = l.batch_id and r.file_name = l.file_name
    full join quarantined as q
        on q.batch_id = coalesce(l.batch_id, r.batch_id) and q.file_name = coalesce(l.file_name, r.file_name)
    where
        l.batch_id is null
        or l.rows_accepted <> coalesce(r.n, 0)
        or l.rows_quarantined <> coalesce(q.n, 0)
)

select * from final
