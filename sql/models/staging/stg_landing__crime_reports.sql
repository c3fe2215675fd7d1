with versions as (
    select
        *,
        row_number() over (
            partition by report_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from {{ source('raw', 'crime_reports') }}
),

current_versions as (
    select
        report_id,
        unit_code,
        prosecutor_id,
        source_type,
        received_date,
        handling_body,
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
