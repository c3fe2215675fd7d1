with versions as (
    {{ latest_versions('persons', ['person_id', 'case_id']) }}
),

current_versions as (
    select
        person_id,
        case_id,
        sex,
        charged_date,
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
            not exists (select 1 from {{ live_records('cases') }} as c where c.case_id = v.case_id),
            false
        ) as is_reference_pending
    from current_versions as v
)

select * from final
