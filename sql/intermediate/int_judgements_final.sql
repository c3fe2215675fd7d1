-- The final judgement of each person in each case (outputs §1.1, §1.7 "Starts", §1.9 C2, C5, D2,
-- D12): the latest pronounced by $as_of, an appellate judgement winning a tie, with the day the
-- issue_execution_decision clock starts:
-- - an appellate judgement takes effect on pronouncement, and the clock starts when the
--   first-instance court receives it (received_date, Art. 364); without that date at its
--   pronounced_date, as a proxy; a recorded effective_date is not used (D2);
-- - a first-instance judgement: its recorded effective_date; else, when no appeal or protest was
--   filed in time against it, the day after the superior procuracy's protest window, rolled off
--   a day off under the convention roll_windows (intermediate.int_judgement_windows). A late
--   appeal or protest does not stop that (D12). With an appeal or protest in time and no
--   effective_date it has no start: the appellate judgement will be final.
-- grain: judgement_id
-- column received_date: appellate judgements: the day the first-instance court received it (1.1)
-- column is_appealed: an appeal_filed, protest_filed_same_level or protest_filed_superior event by $as_of names this judgement, filed by the last day of its window
-- column windows_close_on: last day of the superior protest window (rolled when roll_windows is on), first-instance judgements only
-- column execution_start_on: the day the issue_execution_decision clock starts; empty when it has none
-- column execution_start_basis: effective_date / windows_expired / appellate_receipt / appellate_proxy (pronounced_date standing in for the unknown receipt)

with judgements as (
    select
        judgement_id,
        case_id,
        person_id,
        unit_code,
        instance,
        pronounced_date,
        effective_date,
        received_date,
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

windows as (
    select judgement_id, "window", closes_on
    from intermediate.int_judgement_windows
),

-- appeals and protests filed by the last day of their own window
appeals as (
    select distinct e.judgement_id
    from (
        select
            coalesce(judgement_id, case when subject_type = 'judgement' then subject_id end)
                as judgement_id,
            case event_type
                when 'appeal_filed' then 'appeal'
                when 'protest_filed_same_level' then 'same_level'
                else 'superior'
            end as "window",
            event_date
        from staging.stg_landing__case_events
        where event_type in ('appeal_filed', 'protest_filed_same_level', 'protest_filed_superior')
            and not is_reference_pending
            and event_date <= $as_of
    ) as e
    inner join windows as w on w.judgement_id = e.judgement_id and w."window" = e."window"
    where e.event_date <= w.closes_on
),

final as (
    select
        f.*,
        a.judgement_id is not null as is_appealed,
        w.closes_on as windows_close_on,
        case
            when f.instance = 'appeal' then coalesce(f.received_date, f.pronounced_date)
            when f.effective_date is not null then f.effective_date
            when a.judgement_id is null then w.closes_on + 1
        end as execution_start_on,
        case
            when f.instance = 'appeal' and f.received_date is not null then 'appellate_receipt'
            when f.instance = 'appeal' then 'appellate_proxy'
            when f.effective_date is not null then 'effective_date'
            when a.judgement_id is null then 'windows_expired'
        end as execution_start_basis
    from finals as f
    left join windows as w on w.judgement_id = f.judgement_id and w."window" = 'superior'
    left join appeals as a on a.judgement_id = f.judgement_id
)

select * from final
