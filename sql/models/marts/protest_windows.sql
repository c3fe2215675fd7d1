with judgement_windows as (
    select
        judgement_id,
        "window",
        case_id,
        person_id,
        unit_code,
        pronounced_date,
        rule_id,
        legal_basis,
        pronounced_date as opens_on,
        closes_on
    from {{ ref('int_judgement_windows') }}
    where "window" in ('same_level', 'superior')
),

protests as (
    select
        case event_type
            when 'protest_filed_same_level' then 'same_level'
            when 'protest_filed_superior' then 'superior'
        end as "window",
        coalesce(judgement_id, case when subject_type = 'judgement' then subject_id end) as judgement_id,
        event_id,
        event_date
    from {{ ref('stg_landing__case_events') }}
    where event_type in ('protest_filed_same_level', 'protest_filed_superior')
        and not is_reference_pending
        and event_date <= {{ as_of() }}
),

-- the protest reported: the first filed in time, else the first filed late
first_protests as (
    select
        w.judgement_id,
        w."window",
        p.event_id,
        p.event_date
    from judgement_windows as w
    inner join protests as p
        on p.judgement_id = w.judgement_id
        and p."window" = w."window"
        and p.event_date >= w.opens_on
    qualify row_number() over (
        partition by w.judgement_id, w."window"
        order by (p.event_date > w.closes_on), p.event_date, p.event_id
    ) = 1
),

matched as (
    select
        w.*,
        f.event_id as protest_event_id,
        f.event_date as protested_on
    from judgement_windows as w
    left join first_protests as f
        on f.judgement_id = w.judgement_id and f."window" = w."window"
),

with_unit as (
    select
        m.*,
        coalesce(u.unit_code, m.unit_code) as attributed_unit_code
    from matched as m
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = m.unit_code
        and least(m.closes_on, {{ as_of() }}) between u.effective_from and u.effective_to
),

final as (
    select
        judgement_id,
        "window",
        case_id,
        person_id,
        attributed_unit_code as unit_code,
        pronounced_date,
        opens_on,
        closes_on,
        case
            when protested_on <= closes_on then 'used'
            when protested_on is not null then 'late'
            when {{ as_of() }} > closes_on then 'expired'
            else 'open'
        end as status,
        protest_event_id,
        protested_on,
        cast(case when protested_on is null and {{ as_of() }} <= closes_on then closes_on - {{ as_of() }} end as bigint)
            as days_remaining,
        rule_id,
        legal_basis,
        cast({{ as_of() }} as date) as as_of
    from with_unit
)

select * from final
