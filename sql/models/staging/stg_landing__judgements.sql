with versions as (
    {{ latest_versions('judgements', ['judgement_id']) }}
),

current_versions as (
    select
        judgement_id,
        case_id,
        person_id,
        unit_code,
        instance,
        pronounced_date,
        effective_date,
        verdict,
        sentence_type,
        sentence_months,
        probation_months,
        at_liberty,
        appeal_result,
        fault,
        received_date,
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
        coalesce(
            not exists (
                select 1 from {{ live_records('persons') }} as p
                where p.person_id = v.person_id and p.case_id = v.case_id
            ),
            false
        ) as is_reference_pending
    from current_versions as v
)

select * from final
