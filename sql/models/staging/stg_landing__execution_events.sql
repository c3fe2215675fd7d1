with versions as (
    select
        *,
        row_number() over (
            partition by event_id
            order by updated_at desc, _batch_id desc, _row_number desc
        ) as version_rank
    from {{ source('raw', 'execution_events') }}
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
    where version_rank = 1 and not coalesce(is_deleted, false)
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
