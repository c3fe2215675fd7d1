with versions as (
    {{ latest_versions('cases', ['case_id']) }}
),

current_versions as (
    select
        case_id,
        unit_code,
        prosecutor_id,
        report_id,
        instituted_date,
        penal_code_article,
        penal_code_clause,
        crime_category,
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
