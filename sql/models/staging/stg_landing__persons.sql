with versions as (
    select
        *,
        row_number() over (
            partition by person_id, case_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from {{ source('raw', 'persons') }}
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
    where version_rank = 1 and not coalesce(is_deleted, false)
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
