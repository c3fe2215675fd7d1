-- Data findings for stewards (contract outputs §4): cross-record problems that are not a row's own
-- fault and never quarantine — reference_pending, movement_order, fact_conflict. Recomputed every
-- run from the current records, so every finding here is still true (status open); a finding that
-- stops being true (the missing record arrived, a corrected version was sent) disappears.
-- grain: finding_id
-- column finding_id: md5 of rule, table, record and detail: stable while the same facts hold
-- column rule: reference_pending / movement_order / fact_conflict (codes.csv finding_rule)
-- column table_name: the landed table holding the record
-- column record_id: the record's key ('|'-joined for persons: person_id|case_id)
-- column unit_code: the supervising unit when it can be read
-- column detail: what is missing or which facts disagree
-- column first_seen_batch: the first batch that delivered the record (an accepted version)
-- column status: open (every finding listed is still true)

with findings as (
    select rule, table_name, record_id, unit_code, detail
    from intermediate.int_data_findings__ingest
    union
    select rule, table_name, record_id, unit_code, detail
    from intermediate.int_data_findings__deadlines
),

record_batches as (
    select 'crime_reports' as table_name, report_id as record_id, min(_batch_id) as first_seen_batch
    from raw.crime_reports group by all
    union all
    select 'cases', case_id, min(_batch_id) from raw.cases group by all
    union all
    select 'persons', person_id || '|' || case_id, min(_batch_id) from raw.persons group by all
    union all
    select 'case_events', event_id, min(_batch_id) from raw.case_events group by all
    union all
    select 'detention_orders', order_id, min(_batch_id) from raw.detention_orders group by all
    union all
    select 'detention_movements', movement_id, min(_batch_id) from raw.detention_movements group by all
    union all
    select 'judgements', judgement_id, min(_batch_id) from raw.judgements group by all
    union all
    select 'execution_events', event_id, min(_batch_id) from raw.execution_events group by all
    union all
    select 'manual_scores', score_id, min(_batch_id) from raw.manual_scores group by all
),

final as (
    select
        md5(f.rule || '|' || f.table_name || '|' || f.record_id || '|' || coalesce(f.detail, '')) as finding_id,
        f.rule,
        f.table_name,
        f.record_id,
        f.unit_code,
        f.detail,
        b.first_seen_batch,
        'open' as status
    from findings as f
    left join record_batches as b on b.table_name = f.table_name and b.record_id = f.record_id
    order by f.rule, f.table_name, f.record_id, f.detail
)

select * from final
