-- The final judgement of each person in each case (outputs §1.1, §1.7 "Starts"): the latest
-- pronounced by $as_of, an appellate judgement winning a tie, with the day the
-- issue_execution_decision clock starts: the recorded effective_date; else, for a first-instance
-- judgement nobody appealed or protested, the day after the superior procuracy's protest window
-- (pronounced_date + 30 days, never rolled; Art. 343); else, for an appellate judgement, its
-- pronounced_date. A first-instance judgement with an appeal or protest against it and no
-- effective_date has no start: the appellate judgement will be final.
-- grain: judgement_id
-- column is_appealed: an appeal_filed, protest_filed_same_level or protest_filed_superior event by $as_of names this judgement
-- column windows_close_on: last day of the superior protest window (pronounced_date + 30 days), first-instance judgements only
-- column execution_start_on: the day the issue_execution_decision clock starts; empty when it has none
-- column execution_start_basis: effective_date / windows_expired / appellate

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
    from staging.stg_landing__judgements
    where not is_reference_pending
        and pronounced_date <= $as_of
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
    from staging.stg_landing__case_events
    where event_type in ('appeal_filed', 'protest_filed_same_level', 'protest_filed_superior')
        and not is_reference_pending
        and event_date <= $as_of
),

superior_window as (
    select length
    from reference.deadline_rules
    where rule_id = 'protest_window:superior'
),

final as (
    select
        f.*,
        a.judgement_id is not null as is_appealed,
        case when f.instance = 'first' then f.pronounced_date + cast(w.length as integer) end
            as windows_close_on,
        case
            when f.effective_date is not null then f.effective_date
            when f.instance = 'appeal' then f.pronounced_date
            when a.judgement_id is null then f.pronounced_date + cast(w.length as integer) + 1
        end as execution_start_on,
        case
            when f.effective_date is not null then 'effective_date'
            when f.instance = 'appeal' then 'appellate'
            when a.judgement_id is null then 'windows_expired'
        end as execution_start_basis
    from finals as f
    cross join superior_window as w
    left join appeals as a on a.judgement_id = f.judgement_id
)

select * from final
