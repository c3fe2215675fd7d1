-- Appellate protest windows (thời hạn kháng nghị phúc thẩm) of first-instance judgements, one row
-- per judgement and window (outputs §1.8, BLTTHS Art. 337(1)): same_level (the same-level
-- procuracy, 15 days) and superior (the immediately superior procuracy, 30 days), both counted
-- from pronouncement, start day excluded; since 1.1 a last day that is a day off rolls to the
-- next working day (convention roll_windows, C5/D12, intermediate.int_judgement_windows).
-- A protest filed after the rolled end is late. A window is not a deadline and is never
-- overdue: status used (a protest of that level filed on or before closes_on), late (filed only
-- after it), expired (none, and as_of is past closes_on) or open (none yet, the window still
-- running). Events after $as_of are ignored.
-- grain: judgement_id, "window"
-- column judgement_id: the first-instance judgement (bản án sơ thẩm)
-- column window: same_level (Viện kiểm sát cùng cấp) or superior (Viện kiểm sát cấp trên trực tiếp)
-- column case_id: the case (vụ án)
-- column person_id: the person the judgement is about (bị cáo)
-- column pronounced_date: day the judgement was pronounced (ngày tuyên án)
-- column unit_code: the judgement's supervising unit, mapped to its successor after its valid_to (at closes_on, or as_of while open)
-- column opens_on: pronounced_date (ngày tuyên án); counting starts the next day
-- column closes_on: last day to protest: pronounced_date + 15 or 30 days, rolled off a day off (roll_windows)
-- column status: used / late / expired / open (kháng nghị trong hạn / quá hạn / hết hạn không kháng nghị / đang trong hạn)
-- column protest_event_id: the protest of that level: the first filed in time, else the first filed late
-- column protested_on: event_date of that protest
-- column days_remaining: closes_on − as_of while open, else empty
-- column rule_id: the deadline_rules row applied (protest_window:same_level / protest_window:superior)
-- column legal_basis: legal basis of the window
-- column as_of: the run's as-of date

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
    from intermediate.int_judgement_windows
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
    from staging.stg_landing__case_events
    where event_type in ('protest_filed_same_level', 'protest_filed_superior')
        and not is_reference_pending
        and event_date <= $as_of
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
    left join intermediate.int_case_unit_successions as u
        on u.origin_code = m.unit_code
        and least(m.closes_on, $as_of) between u.effective_from and u.effective_to
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
            when $as_of > closes_on then 'expired'
            else 'open'
        end as status,
        protest_event_id,
        protested_on,
        cast(case when protested_on is null and $as_of <= closes_on then closes_on - $as_of end as bigint)
            as days_remaining,
        rule_id,
        legal_basis,
        cast($as_of as date) as as_of
    from with_unit
)

select * from final
