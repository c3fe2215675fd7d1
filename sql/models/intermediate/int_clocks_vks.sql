with orders as (
    select *
    from {{ ref('stg_landing__detention_orders') }}
    where not is_reference_pending
        and vks_received_at is not null
        and cast(vks_received_at as date) <= {{ as_of() }}
),

events as (
    select *
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending
        and event_date <= {{ as_of() }}
),

-- a decision dated after the run's as-of date is not known yet
order_decisions as (
    select
        *,
        least(
            case when cast(vks_approved_at as date) <= {{ as_of() }} then vks_approved_at end,
            case when cast(vks_refused_at as date) <= {{ as_of() }} then vks_refused_at end
        ) as decided_at
    from orders
),

order_starts as (
    select
        case when measure = 'detention' then 'approve_detention' else 'decide_custody_extension' end
            as clock,
        person_id as subject_id,
        person_id,
        case_id,
        cast(null as varchar) as judgement_id,
        order_id as start_ref,
        unit_code as recorded_unit_code,
        false as follows_case,
        vks_received_at as started_at,
        cast(vks_received_at as date) as started_on,
        case when cast(decided_at as date) >= cast(vks_received_at as date) then decided_at end
            as closed_at_raw,
        order_id as closer_ref,
        order_id as label_ref
    from order_decisions
    where (measure = 'detention' and extension_no = 0
            and stage in ('investigation', 'resumed_investigation', 'supplementary_investigation'))
        or (measure = 'custody' and extension_no >= 1)
),

cases as (
    select case_id, unit_code, prosecutor_id from {{ ref('stg_landing__cases') }}
),

-- charges: the person_charged event; else persons.charged_date (start_ref = case_id, D7)
charge_events as (
    select subject_id as person_id, case_id, event_id as start_ref, event_date as started_on
    from events
    where event_type = 'person_charged' and subject_type = 'person'
),

charges as (
    select * from charge_events
    union all
    select p.person_id, p.case_id, p.case_id, p.charged_date
    from {{ ref('stg_landing__persons') }} as p
    where not p.is_reference_pending
        and p.charged_date is not null
        and p.charged_date <= {{ as_of() }}
        and not exists (
            select 1 from charge_events as e
            where e.person_id = p.person_id and e.case_id = p.case_id
        )
),

charge_receipts as (
    select event_id, subject_id as person_id, case_id, event_date
    from events
    where event_type = 'charge_received_by_vks' and subject_type = 'person'
),

-- D14: a unit delivers charge receipts from the earliest charge among its persons that have one
charge_adoption as (
    select k.unit_code, min(c.started_on) as adopted_on
    from charges as c
    inner join cases as k on k.case_id = c.case_id
    where exists (
        select 1 from charge_receipts as r
        where r.person_id = c.person_id and r.case_id = c.case_id
    )
    group by k.unit_code
),

charge_starts as (
    select
        'send_charge_decision' as clock,
        c.person_id as subject_id,
        c.person_id,
        c.case_id,
        cast(null as varchar) as judgement_id,
        c.start_ref,
        k.unit_code as recorded_unit_code,
        true as follows_case,
        cast(null as timestamp) as started_at,
        c.started_on
    from charges as c
    inner join cases as k on k.case_id = c.case_id
    inner join charge_adoption as a on a.unit_code = k.unit_code and c.started_on >= a.adopted_on
),

approval_starts as (
    select
        'approve_charge' as clock,
        r.person_id as subject_id,
        r.person_id,
        r.case_id,
        cast(null as varchar) as judgement_id,
        r.event_id as start_ref,
        k.unit_code as recorded_unit_code,
        true as follows_case,
        cast(null as timestamp) as started_at,
        r.event_date as started_on
    from charge_receipts as r
    left join cases as k on k.case_id = r.case_id
),

judgements as (
    select judgement_id, case_id, person_id, unit_code, pronounced_date
    from {{ ref('stg_landing__judgements') }}
    where not is_reference_pending
        and instance = 'first'
        and pronounced_date <= {{ as_of() }}
),

judgement_receipts as (
    select
        event_id,
        coalesce(judgement_id, case when subject_type = 'judgement' then subject_id end)
            as judgement_id,
        event_date
    from events
    where event_type = 'judgement_received_by_vks'
),

-- D14: a unit delivers judgement receipts from the earliest pronouncement among its
-- first-instance judgements that have one
judgement_adoption as (
    select j.unit_code, min(j.pronounced_date) as adopted_on
    from judgements as j
    where exists (select 1 from judgement_receipts as r where r.judgement_id = j.judgement_id)
    group by j.unit_code
),

judgement_starts as (
    select
        'send_judgement_to_vks' as clock,
        j.judgement_id as subject_id,
        j.person_id,
        j.case_id,
        j.judgement_id,
        '0' as start_ref,
        j.unit_code as recorded_unit_code,
        false as follows_case,
        cast(null as timestamp) as started_at,
        j.pronounced_date as started_on
    from judgements as j
    inner join judgement_adoption as a
        on a.unit_code = j.unit_code and j.pronounced_date >= a.adopted_on
),

-- closers of the event clocks: the earliest on or after the start (ties: approval before
-- cancellation, then event_id)
event_closers as (
    select
        'send_charge_decision' as clock, person_id || '|' || case_id as subject_key,
        event_date, 1 as closer_rank, event_id
    from charge_receipts
    union all
    select
        'approve_charge', subject_id || '|' || case_id, event_date,
        case event_type when 'charge_approved' then 1 else 2 end, event_id
    from events
    where event_type in ('charge_approved', 'charge_cancelled_by_vks') and subject_type = 'person'
    union all
    select 'send_judgement_to_vks', judgement_id, event_date, 1, event_id
    from judgement_receipts
    where judgement_id is not null
),

closers as (
    select
        clock,
        subject_key,
        event_date,
        arg_min(event_id, struct_pack(closer_rank := closer_rank, event_id := event_id)) as event_id
    from event_closers
    group by clock, subject_key, event_date
),

event_starts as (
    select *, case when clock = 'send_judgement_to_vks' then judgement_id
        else person_id || '|' || case_id end as subject_key
    from (
        select * from charge_starts
        union all
        select * from approval_starts
        union all
        select * from judgement_starts
    )
),

event_clocks as (
    select
        s.clock, s.subject_id, s.person_id, s.case_id, s.judgement_id, s.start_ref,
        s.recorded_unit_code, s.follows_case, s.started_at, s.started_on,
        cast(null as timestamp) as closed_at_raw,
        c.event_date as closed_on_raw,
        c.event_id as closer_ref,
        s.start_ref as label_ref
    from event_starts as s
    asof left join closers as c
        on c.clock = s.clock and c.subject_key = s.subject_key and c.event_date >= s.started_on
),

starts as (
    select
        clock, subject_id, person_id, case_id, judgement_id, start_ref, recorded_unit_code,
        follows_case, started_at, started_on, closed_at_raw,
        cast(closed_at_raw as date) as closed_on_raw, closer_ref, label_ref
    from order_starts
    union all
    select
        clock, subject_id, person_id, case_id, judgement_id, start_ref, recorded_unit_code,
        follows_case, started_at, started_on, closed_at_raw, closed_on_raw, closer_ref, label_ref
    from event_clocks
),

with_rule as (
    select s.*, r.rule_id, r.length, r.unit, r.legal_basis
    from starts as s
    inner join {{ ref('int_deadline_rule_versions') }} as r
        on {{ rule_in_force('r', 's.clock', 's.started_on') }}
),

-- hour limits from a timestamp give due_at; from a date (24 hours) the next day; day limits
-- start + N, rolled
with_due as (
    select
        s.*,
        case when s.unit = 'hours' and s.started_at is not null
            then s.started_at + to_hours(s.length) end as due_at,
        case
            when s.unit = 'hours' and s.started_at is not null
                then cast(s.started_at + to_hours(s.length) as date)
            when s.unit = 'hours' then s.started_on + cast(ceil(s.length / 24) as integer)
            else s.started_on + s.length
        end as due_on_nominal
    from with_rule as s
),

with_roll as (
    select
        s.*,
        case
            when s.unit = 'hours' then s.due_on_nominal
            else {{ next_working_day('s.due_on_nominal', 'c') }}
        end as due_on
    from with_due as s
    left join {{ ref('int_calendar_days') }} as c on c.date = s.due_on_nominal
),

with_provisional as (
    select s.*, coalesce(not d.swaps_reviewed, true) as is_provisional
    from with_roll as s
    left join {{ ref('int_calendar_days') }} as d on d.date = s.due_on
),

closed as (
    select
        *,
        closed_on_raw as closed_on,
        case when closed_on_raw is not null then closer_ref end as closed_by,
        case when due_at is not null then closed_at_raw end as closed_at,
        coalesce(closed_on_raw, {{ as_of() }}) as last_running_day
    from with_provisional
),

with_case as (
    select
        c.*,
        coalesce(ch.crime_category, k.crime_category) as crime_category,
        k.prosecutor_id,
        case when c.follows_case then coalesce(h.unit_code, k.unit_code) else c.recorded_unit_code end
            as attributed_unit_code
    from closed as c
    left join {{ ref('stg_landing__cases') }} as k on k.case_id = c.case_id
    left join {{ ref('int_case_category_history') }} as ch
        on ch.case_id = c.case_id
        and c.last_running_day >= ch.valid_from
        and (ch.valid_to is null or c.last_running_day <= ch.valid_to)
    left join {{ ref('int_case_unit_history') }} as h
        on c.follows_case
        and h.case_id = c.case_id
        and c.last_running_day >= h.valid_from
        and (h.valid_to is null or c.last_running_day <= h.valid_to)
),

with_unit as (
    select c.*, coalesce(u.unit_code, c.attributed_unit_code) as unit_code
    from with_case as c
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = c.attributed_unit_code
        and c.last_running_day between u.effective_from and u.effective_to
),

statused as (
    select
        *,
        case
            when closed_on is not null and due_at is not null
                then case when closed_at <= due_at then 'on_time' else 'late' end
            when closed_on is not null then case when closed_on <= due_on then 'on_time' else 'late' end
            when {{ as_of() }} <= due_on then 'open'
            else 'overdue'
        end as status
    from with_unit
),

explained as (
    select
        *,
        case clock
            when 'approve_detention' then 'VKS nhận đề nghị '
                || strftime(started_at, '%d/%m/%Y %H:%M') || ' + ' || length || ' ngày = '
                || strftime(due_on_nominal, '%d/%m/%Y')
                || {{ day_off_note('vi') }}
                || ' (phê chuẩn lệnh tạm giam ' || label_ref || ')'
            when 'decide_custody_extension' then 'VKS nhận đề nghị '
                || strftime(started_at, '%d/%m/%Y %H:%M') || ' + ' || length || ' giờ = '
                || strftime(due_at, '%d/%m/%Y %H:%M')
                || ' (phê chuẩn gia hạn tạm giữ ' || label_ref || ')'
            when 'send_charge_decision' then 'khởi tố bị can '
                || strftime(started_on, '%d/%m/%Y') || ' + ' || length || ' giờ = '
                || strftime(due_on, '%d/%m/%Y') || ' (gửi quyết định khởi tố bị can cho VKS)'
            when 'approve_charge' then 'VKS nhận quyết định khởi tố bị can '
                || strftime(started_on, '%d/%m/%Y') || ' + ' || length || ' ngày = '
                || strftime(due_on_nominal, '%d/%m/%Y')
                || {{ day_off_note('vi') }}
            else 'tuyên án sơ thẩm ' || strftime(started_on, '%d/%m/%Y') || ' + ' || length
                || ' ngày = ' || strftime(due_on_nominal, '%d/%m/%Y')
                || {{ day_off_note('vi') }}
                || ' (Tòa án gửi bản án cho VKS)'
        end as explanation,
        case clock
            when 'approve_detention' then 'procuracy received the request '
                || strftime(started_at, '%d/%m/%Y %H:%M') || ' + ' || length || ' days = '
                || strftime(due_on_nominal, '%d/%m/%Y')
                || {{ day_off_note('en') }}
                || ' (approval of detention order ' || label_ref || ')'
            when 'decide_custody_extension' then 'procuracy received the request '
                || strftime(started_at, '%d/%m/%Y %H:%M') || ' + ' || length || ' hours = '
                || strftime(due_at, '%d/%m/%Y %H:%M')
                || ' (custody extension ' || label_ref || ')'
            when 'send_charge_decision' then 'person charged '
                || strftime(started_on, '%d/%m/%Y') || ' + ' || length || ' hours = '
                || strftime(due_on, '%d/%m/%Y') || ' (charge decision sent to the procuracy)'
            when 'approve_charge' then 'procuracy received the charge decision '
                || strftime(started_on, '%d/%m/%Y') || ' + ' || length || ' days = '
                || strftime(due_on_nominal, '%d/%m/%Y')
                || {{ day_off_note('en') }}
            else 'first-instance judgement pronounced ' || strftime(started_on, '%d/%m/%Y') || ' + '
                || length || ' days = ' || strftime(due_on_nominal, '%d/%m/%Y')
                || {{ day_off_note('en') }}
                || ' (court sends the judgement to the procuracy)'
        end as explanation_en
    from statused
),

final as (
    select
        clock || ':' || subject_id || ':' || start_ref as clock_id,
        clock,
        case when clock = 'send_judgement_to_vks' then 'judgement' else 'person' end as subject_type,
        subject_id,
        {{ clock_record_columns() }},
        status,
        cast(case
            when status = 'late' and due_at is not null
                then ceil(epoch(closed_at - due_at) / 86400)
            when status = 'late' then closed_on - due_on
            when status = 'overdue' then {{ as_of() }} - due_on
            else 0
        end as bigint) as days_late,
        cast(case when status = 'open' then due_on - {{ as_of() }} end as bigint) as days_remaining,
        rule_id,
        legal_basis,
        explanation,
        explanation_en,
        due_at,
        closed_at
    from explained
)

select * from final
