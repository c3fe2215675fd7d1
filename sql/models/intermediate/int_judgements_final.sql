with judgements as (
    select
        judgement_id,
        case_id,
        person_id,
        unit_code,
        instance,
        pronounced_date,
        effective_date,
        verdict,
        sentence_type,
        sentence_months,
        probation_months,
        at_liberty
    from {{ ref('stg_landing__judgements') }}
    where not is_reference_pending
        and pronounced_date <= {{ as_of() }}
),

finals as (
    select *
    from judgements
    qualify row_number() over (
        partition by person_id, case_id
        order by pronounced_date desc, (instance = 'appeal') desc, judgement_id desc
    ) = 1
),

appeals as (
    select distinct
        coalesce(judgement_id, case when subject_type = 'judgement' then subject_id end) as judgement_id
    from {{ ref('stg_landing__case_events') }}
    where event_type in ('appeal_filed', 'protest_filed_same_level', 'protest_filed_superior')
        and not is_reference_pending
        and event_date <= {{ as_of() }}
),

final as (
    select
        f.*,
        a.judgement_id is not null as is_appealed,
        case when f.instance = 'first' then f.pronounced_date + w.length end
            as windows_close_on,
        case
            when f.effective_date is not null then f.effective_date
            when f.instance = 'appeal' then f.pronounced_date
            when a.judgement_id is null then f.pronounced_date + w.length + 1
        end as execution_start_on,
        case
            when f.effective_date is not null then 'effective_date'
            when f.instance = 'appeal' then 'appellate'
            when a.judgement_id is null then 'windows_expired'
        end as execution_start_basis
    from finals as f
    -- the superior protest window in force on the pronouncement date closes the last window
    left join {{ ref('int_deadline_rule_versions') }} as w
        on {{ rule_in_force('w', "'protest_window'", 'f.pronounced_date', stage="'superior'") }}
    left join appeals as a on a.judgement_id = f.judgement_id
)

select * from final
