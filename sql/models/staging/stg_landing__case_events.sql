with versions as (
    {{ latest_versions('case_events', ['event_id']) }}
),

current_versions as (
    select
        event_id,
        event_type,
        subject_type,
        subject_id,
        case_id,
        event_date,
        received_date,
        judgement_id,
        stated_end_date,
        extension_no,
        requested_date,
        outcome,
        issuing_body,
        return_by,
        return_ground,
        crime_category,
        penal_code_article,
        to_unit_code,
        is_accepted,
        suspension_ground,
        updated_at,
        _batch_id,
        _file_name,
        _row_number
    from versions
    where not coalesce(is_deleted, false)
),

final as (
    select
        v.*,
        coalesce(case v.subject_type
            when 'report' then not exists (
                select 1 from {{ live_records('crime_reports') }} as r where r.report_id = v.subject_id
            )
            when 'case' then not exists (
                select 1 from {{ live_records('cases') }} as c where c.case_id = v.subject_id
            )
            when 'person' then not exists (
                select 1 from {{ live_records('persons') }} as p
                where p.person_id = v.subject_id and p.case_id = v.case_id
            )
            when 'judgement' then not exists (
                select 1 from {{ live_records('judgements') }} as j where j.judgement_id = v.subject_id
            )
            else true
        end, false) as is_reference_pending
    from current_versions as v
)

select * from final
