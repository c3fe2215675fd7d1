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

window_rules as (
    select
        case when clock = 'appeal_window' then 'appeal' else split_part(rule_id, ':', 2) end
            as "window",
        rule_id,
        cast(length as integer) as length,
        legal_basis,
        valid_from
    from {{ source('reference', 'deadline_rules') }}
    where clock in ('protest_window', 'appeal_window')
),

-- each rule version applies from its valid_from to the next version's; the first also before
windows as (
    select
        *,
        case when row_number() over versions = 1 then date '0001-01-01' else valid_from end
            as effective_from,
        coalesce(lead(valid_from) over versions - 1, date '9999-12-31') as effective_to
    from window_rules
    window versions as (partition by "window" order by valid_from)
),

nominal as (
    select
        j.*,
        w."window",
        w.rule_id,
        w.legal_basis,
        j.pronounced_date + w.length as closes_on_nominal
    from judgements as j
    inner join windows as w
        on j.pronounced_date between w.effective_from and w.effective_to
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
            else coalesce(
                c.next_working_day,
                n.closes_on_nominal
                    + cast(case isodow(n.closes_on_nominal) when 6 then 2 when 7 then 1 else 0 end as integer)
            )
        end as closes_on,
        n.rule_id,
        n.legal_basis
    from nominal as n
    cross join conventions as cv
    left join {{ ref('int_calendar_days') }} as c on c.date = n.closes_on_nominal
)

select * from final
