with versions as (
    {{ latest_versions('execution_events', ['event_id']) }}
),

current_versions as (
    select
        event_id,
        judgement_id,
        person_id,
        event_type,
        event_date,
        issuing_body,
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
            not exists (
                select 1 from {{ live_records('judgements') }} as j
                where j.judgement_id = v.judgement_id
            ),
            false
        ) as is_reference_pending
    from current_versions as v
)

select * from final
