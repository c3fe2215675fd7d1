with finals as (
    select * from {{ ref('int_judgements_final') }}
    where verdict = 'convicted'
),

events as (
    select event_id, judgement_id, event_type, event_date
    from {{ ref('stg_landing__execution_events') }}
    where not is_reference_pending
        and event_date <= {{ as_of() }}
),

thads_receipts as (
    select distinct judgement_id
    from events
    where event_type = 'decision_received_by_thads'
),

starts as (
    select
        'issue_execution_decision' as clock,
        f.judgement_id,
        '0' as start_ref,
        f.execution_start_on as started_on,
        f.execution_start_basis = 'appellate_proxy' as is_proxy,
        f.execution_start_basis as start_basis
    from finals as f
    where f.execution_start_on is not null
        and f.execution_start_on <= {{ as_of() }}

    union all

    select
        'dispatch_execution_decision',
        e.judgement_id,
        e.event_id,
        e.event_date,
        true,
        e.event_type
    from events as e
    inner join finals as f on f.judgement_id = e.judgement_id
    where e.event_type = 'execution_decision'

    union all

    select
        'report_to_serve',
        e.judgement_id,
        e.event_id,
        e.event_date,
        false,
        e.event_type
    from events as e
    inner join finals as f on f.judgement_id = e.judgement_id
    where e.event_type = 'decision_served'
        and f.sentence_type = 'prison'
        and f.at_liberty

    union all

    select
        'summon_suspended_sentence',
        e.judgement_id,
        e.event_id,
        e.event_date,
        e.event_type = 'decision_received_by_vks',
        e.event_type
    from events as e
    inner join finals as f on f.judgement_id = e.judgement_id
    left join thads_receipts as t on t.judgement_id = e.judgement_id
    where f.sentence_type = 'suspended'
        and (
            e.event_type = 'decision_received_by_thads'
            or (e.event_type = 'decision_received_by_vks' and t.judgement_id is null)
        )
),

with_rule as (
    select
        s.*,
        r.rule_id as base_rule,
        r.length,
        r.unit,
        r.legal_basis
    from starts as s
    inner join {{ ref('int_deadline_rule_versions') }} as r
        on {{ rule_in_force('r', 's.clock', 's.started_on') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

-- day limits: start + N days; working-day limits: the N-th working day after the start.
-- Outside the calendar's years only weekends are days off.
with_anchor as (
    select
        *,
        -- a weekend start counts from the Friday before (weekends-only fallback)
        started_on - case isodow(started_on) when 6 then 1 when 7 then 2 else 0 end as weekday_anchor
    from with_rule
),

with_due as (
    select
        s.*,
        case
            when s.unit = 'working_days' then coalesce(
                wd.date,
                s.weekday_anchor
                    + cast(s.length + 2 * ((isodow(s.weekday_anchor) - 1 + s.length) // 5) as integer)
            )
            else s.started_on + s.length
        end as due_on_nominal
    from with_anchor as s
    left join calendar as sc on sc.date = s.started_on and s.unit = 'working_days'
    left join calendar as wd
        on wd.working_day_seq = sc.working_day_seq + s.length and wd.is_working_day
),

with_roll as (
    select
        s.*,
        case
            when s.unit = 'working_days' then s.due_on_nominal
            else {{ next_working_day('s.due_on_nominal', 'dc') }}
        end as due_on
    from with_due as s
    left join calendar as dc on dc.date = s.due_on_nominal
),

with_provisional as (
    select
        s.*,
        coalesce(not dr.swaps_reviewed, true) as is_provisional
    from with_roll as s
    left join calendar as dr on dr.date = s.due_on
),

-- one closer per clock kind, judgement and day: ties by the closers' order, then event_id
closer_events as (
    select
        case event_type
            when 'execution_decision' then 'issue_execution_decision'
            when 'decision_received_by_vks' then 'dispatch_execution_decision'
            when 'reported_to_serve' then 'report_to_serve'
            when 'escorted' then 'report_to_serve'
            when 'summoned' then 'summon_suspended_sentence'
        end as clock,
        case event_type when 'escorted' then 2 else 1 end as closer_rank,
        judgement_id,
        event_date,
        event_id
    from events
    where event_type in (
        'execution_decision', 'decision_received_by_vks', 'reported_to_serve', 'escorted', 'summoned'
    )
),

closers as (
    select
        clock,
        judgement_id,
        event_date,
        arg_min(event_id, struct_pack(closer_rank := closer_rank, event_id := event_id)) as event_id
    from closer_events
    group by clock, judgement_id, event_date
),

closed as (
    select
        s.*,
        c.event_date as closed_on,
        c.event_id as closed_by,
        coalesce(c.event_date, {{ as_of() }}) as last_running_day
    from with_provisional as s
    asof left join closers as c
        on s.clock = c.clock and s.judgement_id = c.judgement_id and c.event_date >= s.started_on
),

with_subject as (
    select
        c.*,
        f.case_id,
        f.person_id,
        f.unit_code as judgement_unit_code,
        f.pronounced_date,
        f.windows_close_on,
        k.prosecutor_id,
        coalesce(ch.crime_category, k.crime_category) as crime_category
    from closed as c
    inner join finals as f on f.judgement_id = c.judgement_id
    left join {{ ref('stg_landing__cases') }} as k on k.case_id = f.case_id
    left join {{ ref('int_case_category_history') }} as ch
        on ch.case_id = f.case_id
        and c.last_running_day >= ch.valid_from
        and (ch.valid_to is null or c.last_running_day <= ch.valid_to)
),

with_unit as (
    select
        c.*,
        coalesce(u.unit_code, c.judgement_unit_code) as unit_code
    from with_subject as c
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = c.judgement_unit_code
        and c.last_running_day between u.effective_from and u.effective_to
),

explained as (
    select
        *,
        case clock
            when 'issue_execution_decision' then
                case start_basis
                    when 'effective_date' then 'bản án có hiệu lực pháp luật '
                    when 'appellate_receipt' then 'Tòa án cấp sơ thẩm nhận bản án phúc thẩm '
                    when 'appellate_proxy' then 'bản án phúc thẩm tuyên ngày '
                    else 'tuyên án ' || strftime(pronounced_date, '%d/%m/%Y')
                        || ', không có kháng cáo, kháng nghị, hết thời hạn kháng nghị '
                        || strftime(windows_close_on, '%d/%m/%Y') || ': có hiệu lực '
                end
            when 'dispatch_execution_decision' then 'quyết định thi hành án '
            when 'report_to_serve' then 'tống đạt quyết định thi hành án '
            else case when is_proxy then 'VKS nhận quyết định thi hành án (thay cho cơ quan THAHS) '
                else 'cơ quan THAHS nhận quyết định thi hành án ' end
        end
        || strftime(started_on, '%d/%m/%Y')
        || case when start_basis = 'appellate_proxy'
            then ' (chưa rõ ngày Tòa án cấp sơ thẩm nhận bản án)' else '' end
        || ' + ' || length
        || case when unit = 'working_days' then ' ngày làm việc' else ' ngày' end
        || ' = ' || strftime(due_on_nominal, '%d/%m/%Y')
        || {{ day_off_note('vi') }}
        || case when clock = 'dispatch_execution_decision'
            then ' (đối chiếu theo ngày VKS nhận quyết định)' else '' end
            as explanation,
        case clock
            when 'issue_execution_decision' then
                case start_basis
                    when 'effective_date' then 'judgement effective '
                    when 'appellate_receipt' then 'appellate judgement received by the first-instance court '
                    when 'appellate_proxy' then 'appellate judgement pronounced '
                    else 'pronounced ' || strftime(pronounced_date, '%d/%m/%Y')
                        || ', no appeal or protest, protest windows closed '
                        || strftime(windows_close_on, '%d/%m/%Y') || ': effective '
                end
            when 'dispatch_execution_decision' then 'execution decision '
            when 'report_to_serve' then 'execution decision served '
            else case when is_proxy then 'procuracy received the execution decision (proxy for the execution agency) '
                else 'execution agency received the execution decision ' end
        end
        || strftime(started_on, '%d/%m/%Y')
        || case when start_basis = 'appellate_proxy'
            then ' (the first-instance court''s receipt date is unknown)' else '' end
        || ' + ' || length
        || case when unit = 'working_days' then ' working days' else ' days' end
        || ' = ' || strftime(due_on_nominal, '%d/%m/%Y')
        || {{ day_off_note('en') }}
        || case when clock = 'dispatch_execution_decision'
            then ' (checked against the procuracy''s receipt, a proxy)' else '' end
            as explanation_en
    from with_unit
),

final as (
    select
        clock || ':' || judgement_id || ':' || start_ref as clock_id,
        clock,
        'judgement' as subject_type,
        judgement_id as subject_id,
        {{ clock_record_columns() }},
        {{ clock_status('due_on', 'closed_on') }} as status,
        {{ days_late(clock_status('due_on', 'closed_on'), 'due_on', 'closed_on') }} as days_late,
        {{ days_remaining(clock_status('due_on', 'closed_on'), 'due_on') }} as days_remaining,
        base_rule || case when is_proxy then ':proxy' else '' end as rule_id,
        legal_basis,
        explanation,
        explanation_en
    from explained
)

select * from final
