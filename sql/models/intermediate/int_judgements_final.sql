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

windows as (
    select judgement_id, "window", closes_on
    from {{ ref('int_judgement_windows') }}
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
        from {{ ref('stg_landing__case_events') }}
        where event_type in ('appeal_filed', 'protest_filed_same_level', 'protest_filed_superior')
            and not is_reference_pending
            and event_date <= {{ as_of() }}
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
