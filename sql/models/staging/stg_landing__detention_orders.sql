with versions as (
    {{ latest_versions('detention_orders', ['order_id']) }}
),

current_versions as (
    select
        order_id,
        person_id,
        case_id,
        unit_code,
        facility_code,
        measure,
        stage,
        extension_no,
        start_at,
        stated_end_date,
        vks_approved_at,
        requested_date,
        vks_received_at,
        vks_refused_at,
        updated_at,
        _batch_id,
        _file_name,
        _row_number
    from versions
    where not coalesce(is_deleted, false)
),

final as (
    select
        v.*,
        coalesce(
            v.case_id is not null and not exists (
                select 1 from {{ live_records('persons') }} as p
                where p.person_id = v.person_id and p.case_id = v.case_id
            ),
            false
        ) as is_reference_pending
    from current_versions as v
)

select * from final
