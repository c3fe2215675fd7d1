with versions as (
    select
        *,
        row_number() over (
            partition by case_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from {{ source('raw', 'cases') }}
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
    where version_rank = 1 and not coalesce(is_deleted, false)
),

final as (
    select * from current_versions
)

select * from final
