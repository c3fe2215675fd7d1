with versions as (
    select
        *,
        row_number() over (
            partition by movement_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from {{ source('raw', 'detention_movements') }}
),

current_versions as (
    select
        movement_id,
        person_id,
        facility_code,
        movement_type,
        movement_at,
        reason,
        updated_at,
        _batch_id,
        _file_name,
        _row_number
    from versions
    where version_rank = 1 and not coalesce(is_deleted, false)
),

final as (
    select * from current_versions
)

select * from final
