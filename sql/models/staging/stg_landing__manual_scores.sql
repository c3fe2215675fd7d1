with versions as (
    {{ latest_versions('manual_scores', ['score_id']) }}
),

current_versions as (
    select
        score_id,
        unit_code,
        indicator_code,
        period_kind,
        period_start,
        value,
        note,
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
