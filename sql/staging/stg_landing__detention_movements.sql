-- Current version of every detention_movements record: the highest (updated_at, batch_id, row number) per
-- key wins whatever the loading order; retracted records (is_deleted) are dropped.
-- grain: movement_id
-- column _batch_id: batch that delivered the current version

with versions as (
    select
        *,
        row_number() over (
            partition by movement_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from raw.detention_movements
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
