with versions as (
    {{ latest_versions('crime_reports', ['report_id']) }}
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
    where not coalesce(is_deleted, false)
),

final as (
    select * from current_versions
)

select * from final
