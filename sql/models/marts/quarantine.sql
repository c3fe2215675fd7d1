with quarantine as (
    select * from {{ source('raw', 'quarantine') }}
),

accepted_versions as (
    select 'crime_reports' as table_name, report_id as record_id, updated_at, _batch_id, _loaded_at
    from {{ source('raw', 'crime_reports') }}
    union all
    select 'cases', case_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'cases') }}
    union all
    select 'persons', person_id || '|' || case_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'persons') }}
    union all
    select 'case_events', event_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'case_events') }}
    union all
    select 'detention_orders', order_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'detention_orders') }}
    union all
    select 'detention_movements', movement_id, updated_at, _batch_id, _loaded_at
    from {{ source('raw', 'detention_movements') }}
    union all
    select 'judgements', judgement_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'judgements') }}
    union all
    select 'execution_events', event_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'execution_events') }}
    union all
    select 'manual_scores', score_id, updated_at, _batch_id, _loaded_at from {{ source('raw', 'manual_scores') }}
),

-- the day each batch was received (exported_at, else the time its id names)
receipts as (
    select batch_id, coalesce(cast(min(received_at) as date), cast(min(loaded_at) as date)) as received_on
    from {{ source('raw', 'batch_ledger') }}
    group by batch_id
),

quarantined_rows as (
    select distinct batch_id, file_name, row_number, table_name, record_id, updated_at
    from quarantine
    where record_id is not null
),

resolutions as (
    select
        q.batch_id,
        q.file_name,
        q.row_number,
        min(v._batch_id) as resolved_by_batch,
        arg_min(v._loaded_at, v._batch_id) as resolved_at
    from quarantined_rows as q
    inner join accepted_versions as v
        on v.table_name = q.table_name and v.record_id = q.record_id
    where
        v.updated_at > q.updated_at
        or (v._batch_id > q.batch_id and (q.updated_at is null or v.updated_at >= q.updated_at))
    group by all
),

-- a row is first seen in the earliest batch that rejected the same record while earlier
-- rejections of it were still open (a row resent still broken keeps its first day)
rejected as (
    select distinct q.batch_id, q.file_name, q.row_number, q.table_name, q.record_id,
        rc.received_on, r.resolved_by_batch
    from quarantine as q
    left join receipts as rc on rc.batch_id = q.batch_id
    left join resolutions as r
        on r.batch_id = q.batch_id and r.file_name = q.file_name and r.row_number = q.row_number
),

first_seen as (
    select
        q.batch_id,
        q.file_name,
        q.row_number,
        min(e.received_on) as first_seen_on
    from rejected as q
    left join rejected as e
        on
            e.table_name = q.table_name
            and e.record_id = q.record_id
            and e.batch_id <= q.batch_id
            and (e.resolved_by_batch is null or e.resolved_by_batch > q.batch_id)
    group by all
),

final as (
    select
        q.batch_id,
        q.file_name,
        q.row_number,
        q.column_name,
        q.rule,
        q.table_name,
        q.record_id,
        q.unit_code,
        q.updated_at,
        q.severity,
        q.message_vi,
        q.message_en,
        q.message_vi as detail_vi,
        q.message_en as detail_en,
        q.raw_value,
        case when r.resolved_by_batch is null then 'open' else 'resolved' end as status,
        r.resolved_by_batch,
        r.resolved_at,
        coalesce(f.first_seen_on, rc.received_on) as first_seen_on,
        rr.received_on as resolved_on,
        cast(greatest(datediff(
            'day',
            coalesce(f.first_seen_on, rc.received_on),
            case when rr.received_on is not null then least(rr.received_on, {{ as_of() }}) else {{ as_of() }} end
        ), 0) as integer) as days_open,
        q.loaded_at as quarantined_at
    from quarantine as q
    left join resolutions as r
        on r.batch_id = q.batch_id and r.file_name = q.file_name and r.row_number = q.row_number
    left join first_seen as f
        on f.batch_id = q.batch_id and f.file_name = q.file_name and f.row_number = q.row_number
    left join receipts as rc on rc.batch_id = q.batch_id
    left join receipts as rr on rr.batch_id = r.resolved_by_batch
    order by q.batch_id, q.file_name, q.row_number, q.column_name, q.rule
)

select * from final
