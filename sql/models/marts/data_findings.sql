with findings as (
    select rule, table_name, record_id, unit_code, detail, detail_vi
    from {{ ref('int_data_findings__ingest') }}
    union
    select rule, table_name, record_id, unit_code, detail, detail_vi
    from {{ ref('int_data_findings__deadlines') }}
),

record_batches as (
    select 'crime_reports' as table_name, report_id as record_id, min(_batch_id) as first_seen_batch
    from {{ source('raw', 'crime_reports') }} group by all
    union all
    select 'cases', case_id, min(_batch_id) from {{ source('raw', 'cases') }} group by all
    union all
    select 'persons', person_id || '|' || case_id, min(_batch_id) from {{ source('raw', 'persons') }} group by all
    union all
    select 'case_events', event_id, min(_batch_id) from {{ source('raw', 'case_events') }} group by all
    union all
    select 'detention_orders', order_id, min(_batch_id) from {{ source('raw', 'detention_orders') }} group by all
    union all
    select 'detention_movements', movement_id, min(_batch_id) from {{ source('raw', 'detention_movements') }} group by all
    union all
    select 'judgements', judgement_id, min(_batch_id) from {{ source('raw', 'judgements') }} group by all
    union all
    select 'execution_events', event_id, min(_batch_id) from {{ source('raw', 'execution_events') }} group by all
    union all
    select 'manual_scores', score_id, min(_batch_id) from {{ source('raw', 'manual_scores') }} group by all
),

final as (
    select
        md5(f.rule || '|' || f.table_name || '|' || f.record_id || '|' || coalesce(f.detail, '')) as finding_id,
        f.rule,
        f.table_name,
        f.record_id,
        f.unit_code,
        f.detail,
        f.detail_vi,
        f.detail as detail_en,
        b.first_seen_batch,
        'open' as status
    from findings as f
    left join record_batches as b on b.table_name = f.table_name and b.record_id = f.record_id
    order by f.rule, f.table_name, f.record_id, f.detail
)

select * from final
