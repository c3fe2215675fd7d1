-- The quarantine for stewards (contract outputs §4): one row per broken rule of a landed row that was
-- kept out of raw.<table>, with the raw value (*** for personal data). A quarantined row is resolved
-- when an accepted version of the same record supersedes it: one with a later updated_at, or one
-- from a later batch that is at least as new (any later accepted version when the quarantined
-- row's updated_at was unreadable). Until then it is open, and its previous valid version (if any)
-- stays current in staging.
-- grain: batch_id, file_name, row_number, column_name, rule
-- column batch_id: landing batch that delivered the row (lô dữ liệu)
-- column file_name: file of the batch (tệp)
-- column table_name: contract table of the file (bảng)
-- column column_name: column that broke the rule (cột)
-- column severity: error (every quarantine rule keeps the row out of raw; mức độ)
-- column message_vi: the rule in Vietnamese, naming the column (thông báo lỗi)
-- column message_en: the rule in English, naming the column
-- column row_number: 1-based data row (header excluded) in CSV and XLSX, 0-based row index in Parquet
-- column record_id: the record's key when readable ('|'-joined for persons: person_id|case_id)
-- column unit_code: the row's unit_code when readable
-- column updated_at: the row's updated_at when readable (local time)
-- column rule: missing_required / unparseable / unknown_code / date_order / duplicate_conflict
-- column raw_value: the cell as landed (*** for full_name, national_id, birth_date)
-- column status: open / resolved
-- column resolved_by_batch: the first batch that delivered a superseding accepted version
-- column resolved_at: when that batch was loaded
-- column age_days: for open rows, days from the row's updated_at (else its load date) to as_of
-- column quarantined_at: when the row was quarantined

with quarantine as (
    select * from raw.quarantine
),

accepted_versions as (
    select 'crime_reports' as table_name, report_id as record_id, updated_at, _batch_id, _loaded_at
    from raw.crime_reports
    union all
    select 'cases', case_id, updated_at, _batch_id, _loaded_at from raw.cases
    union all
    select 'persons', person_id || '|' || case_id, updated_at, _batch_id, _loaded_at from raw.persons
    union all
    select 'case_events', event_id, updated_at, _batch_id, _loaded_at from raw.case_events
    union all
    select 'detention_orders', order_id, updated_at, _batch_id, _loaded_at from raw.detention_orders
    union all
    select 'detention_movements', movement_id, updated_at, _batch_id, _loaded_at
    from raw.detention_movements
    union all
    select 'judgements', judgement_id, updated_at, _batch_id, _loaded_at from raw.judgements
    union all
    select 'execution_events', event_id, updated_at, _batch_id, _loaded_at from raw.execution_events
    union all
    select 'manual_scores', score_id, updated_at, _batch_id, _loaded_at from raw.manual_scores
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
        q.raw_value,
        case when r.resolved_by_batch is null then 'open' else 'resolved' end as status,
        r.resolved_by_batch,
        r.resolved_at,
        case
            when r.resolved_by_batch is null
                then greatest(datediff('day', coalesce(cast(q.updated_at as date), cast(q.loaded_at as date)), $as_of), 0)
        end as age_days,
        q.loaded_at as quarantined_at
    from quarantine as q
    left join resolutions as r
        on r.batch_id = q.batch_id and r.file_name = q.file_name and r.row_number = q.row_number
    order by q.batch_id, q.file_name, q.row_number, q.column_name, q.rule
)

select * from final
