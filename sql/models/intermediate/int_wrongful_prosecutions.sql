with conventions as (
    select
        coalesce(max(value) filter (where setting = 'acquittal_requires_charge_approved'), 'false') = 'true'
            as acquittal_needs_approval,
        coalesce(max(value) filter (where setting = 'wrongful_judgement_date'), 'pronounced') as judgement_date
    from {{ source('reference', 'indicator_conventions') }}
),

events as (
    select *
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending and event_date <= cast({{ as_of() }} as date)
),

persons as (
    select person_id, case_id from {{ ref('stg_landing__persons') }} where not is_reference_pending
),

cases as (
    select case_id, prosecutor_id from {{ ref('stg_landing__cases') }}
),

approvals as (
    select subject_id as person_id, case_id, min(event_date) as approved_on
    from events
    where event_type = 'charge_approved' and subject_type = 'person'
    group by all
),

terminations as (
    select subject_id as person_id, case_id, event_id, event_date, outcome, issuing_body
    from events
    where event_type = 'person_terminated' and subject_type = 'person'
      and outcome in ('no_crime_event', 'not_a_crime', 'unproven_time_expired')
    union all
    select p.person_id, e.subject_id, e.event_id, e.event_date, e.outcome, e.issuing_body
    from events as e
    join persons as p on p.case_id = e.subject_id
    where e.event_type = 'case_terminated' and e.subject_type = 'case'
      and e.outcome in ('no_crime_event', 'not_a_crime', 'unproven_time_expired')
),

terminated as (
    select
        t.person_id, t.case_id,
        'terminated_after_charge_approval' as rule,
        case when t.issuing_body in ('cqdt', 'other_investigating') then 1
             when t.issuing_body = 'vks' then 2 else 0 end as domain_rule,
        t.outcome, t.issuing_body, a.approved_on as charge_approved_on,
        t.event_date as dated_on, t.event_id as source_id
    from terminations as t
    join approvals as a on a.person_id = t.person_id and a.case_id = t.case_id and a.approved_on <= t.event_date
),

judgements as (
    select *
    from {{ ref('stg_landing__judgements') }}
    where not is_reference_pending and pronounced_date <= cast({{ as_of() }} as date)
),

final_judgements as (
    select *
    from judgements
    qualify row_number() over (
        partition by person_id, case_id
        order by pronounced_date desc, case when instance = 'appeal' then 0 else 1 end, judgement_id desc
    ) = 1
),

acquitted as (
    select
        j.person_id, j.case_id,
        'acquitted_by_final_judgement' as rule,
        3 as domain_rule,
        j.verdict as outcome, 'toa' as issuing_body, a.approved_on as charge_approved_on,
        case when c.judgement_date = 'effective' then coalesce(j.effective_date, j.pronounced_date)
             else j.pronounced_date end as dated_on,
        j.judgement_id as source_id
    from final_judgements as j
    cross join conventions as c
    left join approvals as a on a.person_id = j.person_id and a.case_id = j.case_id
    where j.verdict = 'acquitted'
      and (a.approved_on is not null or not c.acquittal_needs_approval)
      and (case when c.judgement_date = 'effective' then coalesce(j.effective_date, j.pronounced_date)
                else j.pronounced_date end) <= cast({{ as_of() }} as date)
),

candidates as (
    select * from terminated
    union all
    select * from acquitted
),

chosen as (
    select *
    from candidates
    qualify row_number() over (partition by person_id, case_id order by dated_on, rule desc, source_id) = 1
),

final as (
    select
        w.person_id,
        w.case_id,
        s.raw_unit_code as unit_code,
        c.prosecutor_id,
        w.rule,
        w.domain_rule,
        w.outcome,
        w.issuing_body,
        w.charge_approved_on,
        w.dated_on,
        w.source_id,
        'case:' || w.case_id as attribution_key
    from chosen as w
    left join cases as c on c.case_id = w.case_id
    left join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = 'case:' || w.case_id and s.hierarchy = 'as_was'
       and w.dated_on between s.from_date and s.to_date
)

select * from final
