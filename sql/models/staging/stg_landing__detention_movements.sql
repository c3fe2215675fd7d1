with versions as (
    {{ latest_versions('detention_movements', ['movement_id']) }}
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
    where not coalesce(is_deleted, false)
),

final as (
    select * from current_versions
)

select * from final
