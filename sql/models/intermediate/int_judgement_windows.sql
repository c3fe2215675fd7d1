with conventions as (
    select coalesce(
        max(try_cast(value as boolean)) filter (where setting = 'roll_windows'), true
    ) as roll_windows
    from {{ source('reference', 'indicator_conventions') }}
),

judgements as (
    select judgement_id, case_id, person_id, unit_code, pronounced_date
    from {{ ref('stg_landing__judgements') }}
    where not is_reference_pending
        and instance = 'first'
        and pronounced_date <= {{ as_of() }}
),

-- the windows the rules define: the appeal window, and a protest window per level
windows as (
    select distinct
        clock,
        stage,
        case when clock = 'appeal_window' then 'appeal' else stage end as "window"
    from {{ ref('int_deadline_rule_versions') }}
    where clock in ('protest_window', 'appeal_window')
),

nominal as (
    select
        j.*,
        w."window",
        r.rule_id,
        r.legal_basis,
        j.pronounced_date + r.length as closes_on_nominal
    from judgements as j
    cross join windows as w
    inner join {{ ref('int_deadline_rule_versions') }} as r
        on {{ rule_in_force('r', 'w.clock', 'j.pronounced_date', stage='w.stage') }}
),

final as (
    select
        n.judgement_id,
        n."window",
        n.case_id,
        n.person_id,
        n.unit_code,
        n.pronounced_date,
        n.closes_on_nominal,
        case
            when not cv.roll_windows then n.closes_on_nominal
            else {{ next_working_day('n.closes_on_nominal', 'c') }}
        end as closes_on,
        n.rule_id,
        n.legal_basis
    from nominal as n
    cross join conventions as cv
    left join {{ ref('int_calendar_days') }} as c on c.date = n.closes_on_nominal
)

select * from final
