with deadlines as (
    select *
    from {{ ref('deadlines') }}
    where (status = 'open' and is_due_soon) or status = 'overdue'
),

final as (
    select
        row_number() over (order by due_on, clock_id) as urgency_rank,
        unit_code,
        prosecutor_id,
        clock_id,
        clock,
        subject_id,
        due_on,
        status,
        days_remaining,
        days_late,
        explanation,
        explanation_en,
        is_vks_own,
        owner_body
    from deadlines
)

select * from final
