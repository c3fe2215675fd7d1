with versions as (
    select
        *,
        row_number() over (
            partition by score_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from {{ source('raw', 'manual_scores') }}
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
    where version_rank = 1 and not coalesce(is_deleted, false)
),

final as (
    select * from current_versions
)

select * from final
