-- The inter-agency list (danh sách vụ án cần phối hợp liên ngành): per agency (the
-- investigating body, the procuracy, the court of the unit), the cases whose investigation,
-- prosecution or trial-preparation deadline is overdue or falls within the horizon of
-- reference.worklist_settings (interagency_horizon_days).
with settings as (
    select max(case when setting = 'interagency_horizon_days' then cast(value as integer) end)
        as horizon_days
    from {{ source('reference', 'worklist_settings') }}
),

phases (clock, phase, phase_order) as (
    values
        ('investigation', 'investigation', 1),
        ('resumed_investigation', 'investigation', 1),
        ('supplementary_investigation_vks', 'investigation', 1),
        ('supplementary_investigation_court', 'investigation', 1),
        ('prosecution_decision', 'prosecution', 2),
        ('trial_preparation', 'trial_preparation', 3),
        ('trial_decision_after_return', 'trial_preparation', 3),
        ('hearing_opening', 'trial_preparation', 3)
),

selected as (
    select
        d.unit_code,
        d.clock_id,
        d.clock,
        d.case_id,
        d.subject_id,
        d.prosecutor_id,
        d.started_on,
        d.due_on,
        d.status,
        d.days_remaining,
        d.days_late,
        d.legal_basis,
        d.explanation,
        d.explanation_en,
        o.owner_body,
        p.phase,
        p.phase_order,
        s.horizon_days
    from {{ ref('deadlines') }} as d
    inner join phases as p on p.clock = d.clock
    left join {{ source('reference', 'clock_owners') }} as o on o.clock = d.clock
    cross join settings as s
    where d.status = 'overdue'
       or (d.status = 'open' and d.days_remaining <= s.horizon_days)
),

final as (
    select
        unit_code,
        owner_body as agency,
        phase,
        clock_id,
        clock,
        case_id,
        subject_id,
        prosecutor_id,
        started_on,
        due_on,
        status,
        days_remaining,
        days_late,
        legal_basis,
        explanation,
        explanation_en,
        horizon_days,
        row_number() over (
            partition by unit_code, owner_body
            order by (status = 'overdue') desc, due_on, clock_id
        ) as rank_in_agency
    from selected
)

select * from final
