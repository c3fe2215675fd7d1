with events as (
    select *
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending
        and event_date <= {{ as_of() }}
        and subject_type in ('report', 'case')
),

reports as (
    select report_id, received_date
    from {{ ref('stg_landing__crime_reports') }}
),

cases as (
    select case_id, report_id, instituted_date
    from {{ ref('stg_landing__cases') }}
),

court_accepts as (
    select
        event_id,
        subject_id,
        event_date,
        row_number() over (partition by subject_id order by event_date, event_id) as accept_no,
        lag(event_date) over (partition by subject_id order by event_date, event_id) as previous_accept_on
    from events
    where subject_type = 'case' and event_type = 'court_accepted'
),

accepted_court_returns as (
    select subject_id, event_date
    from events
    where subject_type = 'case' and event_type = 'returned_by_court' and coalesce(is_accepted, false)
),

-- a court_accepted after an accepted court return dated since the previous court_accepted
accepts_after_return as (
    select distinct a.event_id
    from court_accepts as a
    inner join accepted_court_returns as r
        on r.subject_id = a.subject_id
        and r.event_date >= a.previous_accept_on
        and r.event_date <= a.event_date
    where a.accept_no > 1
),

case_suspensions as (
    select event_id, subject_id, event_date, event_type
    from events
    where subject_type = 'case' and event_type in ('case_suspended_by_vks', 'case_suspended_by_court')
),

-- case_resumed restarts the clock its latest earlier suspension closed; none without one
case_resumptions as (
    select
        r.event_id,
        r.subject_id,
        r.event_date,
        case s.event_type
            when 'case_suspended_by_vks' then 'prosecution_decision'
            when 'case_suspended_by_court' then 'trial_preparation'
        end as clock
    from events as r
    inner join case_suspensions as s
        on s.subject_id = r.subject_id and s.event_date <= r.event_date
    where r.subject_type = 'case' and r.event_type = 'case_resumed'
    qualify row_number() over (
        partition by r.event_id order by s.event_date desc, s.event_id desc
    ) = 1
),

starts as (
    select 'report_resolution' as clock, 'report' as subject_type, report_id as subject_id,
        null as case_id, '0' as start_ref, null as start_event_type,
        received_date as started_on, false as is_resumption, true as is_started_on_receipt
    from reports
    union all
    select 'report_resolution_resumed', 'report', subject_id, null, event_id, event_type,
        case event_type
            when 'report_suspension_cancelled' then coalesce(received_date, event_date)
            else event_date
        end,
        true,
        event_type = 'report_suspension_cancelled' and received_date is not null
    from events
    where subject_type = 'report' and event_type in ('report_resumed', 'report_suspension_cancelled')
    union all
    select 'investigation', 'case', case_id, case_id, '0', null, instituted_date, false, false
    from cases
    union all
    select 'resumed_investigation', 'case', subject_id, subject_id, event_id, event_type, event_date,
        true, false
    from events
    where subject_type = 'case' and event_type = 'investigation_resumed'
    union all
    select 'supplementary_investigation_vks', 'case', subject_id, subject_id, event_id, event_type,
        coalesce(received_date, event_date), false, received_date is not null
    from events
    where subject_type = 'case' and event_type = 'returned_by_vks'
    union all
    select 'supplementary_investigation_court', 'case', subject_id, subject_id, event_id, event_type,
        coalesce(received_date, event_date), false, received_date is not null
    from events
    where subject_type = 'case' and event_type = 'returned_by_court' and coalesce(is_accepted, false)
    union all
    select 'prosecution_decision', 'case', subject_id, subject_id, event_id, event_type, event_date,
        false, false
    from events
    where subject_type = 'case' and event_type = 'file_received_by_vks'
    union all
    select 'trial_preparation', 'case', subject_id, subject_id, event_id, 'court_accepted', event_date,
        false, false
    from court_accepts
    where accept_no = 1
    union all
    select 'trial_decision_after_return', 'case', a.subject_id, a.subject_id, a.event_id,
        'court_accepted', a.event_date, false, false
    from court_accepts as a
    inner join accepts_after_return using (event_id)
    union all
    select 'hearing_opening', 'case', subject_id, subject_id, event_id, event_type, event_date,
        false, false
    from events
    where subject_type = 'case' and event_type = 'trial_scheduled'
    union all
    select clock, 'case', subject_id, subject_id, event_id, 'case_resumed', event_date, true, false
    from case_resumptions
),

clocks as (
    select
        clock || ':' || subject_id || ':' || start_ref as clock_id,
        case
            when clock in ('report_resolution', 'report_resolution_resumed') then 'report'
            when clock in ('investigation', 'resumed_investigation') then 'investigation'
            when clock = 'prosecution_decision' then 'prosecution'
            when clock in ('trial_preparation', 'trial_decision_after_return') then 'trial_preparation'
        end as family,
        *
    from starts
    where started_on <= {{ as_of() }}
),

-- the closers of each clock kind in the contract's order (outputs §1.1); `case_instituted` is a
-- case row whose report_id is the report
closer_rules (clock, closer_type, closer_rank, needs_acceptance, is_suspension) as (
    values
        ('report_resolution', 'report_resolved', 1, false, false),
        ('report_resolution', 'case_instituted', 2, false, false),
        ('report_resolution', 'report_suspended', 3, false, true),
        ('report_resolution_resumed', 'report_resolved', 1, false, false),
        ('report_resolution_resumed', 'case_instituted', 2, false, false),
        ('report_resolution_resumed', 'report_suspended', 3, false, true),
        ('investigation', 'investigation_concluded', 1, false, false),
        ('investigation', 'case_terminated', 2, false, false),
        ('investigation', 'investigation_suspended', 3, false, true),
        ('resumed_investigation', 'investigation_concluded', 1, false, false),
        ('resumed_investigation', 'case_terminated', 2, false, false),
        ('resumed_investigation', 'investigation_suspended', 3, false, true),
        ('supplementary_investigation_vks', 'file_received_by_vks', 1, false, false),
        ('supplementary_investigation_vks', 'case_terminated', 2, false, false),
        ('supplementary_investigation_court', 'file_received_by_vks', 1, false, false),
        ('supplementary_investigation_court', 'case_terminated', 2, false, false),
        ('prosecution_decision', 'indicted', 1, false, false),
        ('prosecution_decision', 'returned_by_vks', 2, false, false),
        ('prosecution_decision', 'case_suspended_by_vks', 3, false, true),
        ('prosecution_decision', 'case_terminated', 4, false, false),
        ('trial_preparation', 'trial_scheduled', 1, false, false),
        ('trial_preparation', 'returned_by_court', 2, true, false),
        ('trial_preparation', 'case_suspended_by_court', 3, false, true),
        ('trial_preparation', 'case_terminated', 4, false, false),
        ('trial_decision_after_return', 'trial_scheduled', 1, false, false),
        ('trial_decision_after_return', 'returned_by_court', 2, true, false),
        ('trial_decision_after_return', 'case_suspended_by_court', 3, false, true),
        ('trial_decision_after_return', 'case_terminated', 4, false, false),
        ('hearing_opening', 'hearing_opened', 1, false, false),
        ('hearing_opening', 'returned_by_court', 2, true, false),
        ('hearing_opening', 'case_suspended_by_court', 3, false, true),
        ('hearing_opening', 'case_terminated', 4, false, false)
),

closer_candidates as (
    select subject_type, subject_id, event_type as closer_type, event_id as closer_id, event_date,
        coalesce(is_accepted, false) as is_accepted
    from events
    where event_type in (select closer_type from closer_rules)
    union all
    select 'report', report_id, 'case_instituted', case_id, instituted_date, false
    from cases
    where report_id is not null and instituted_date <= {{ as_of() }}
),

closings as (
    select
        k.clock_id,
        c.event_date as closed_on,
        c.closer_id as closed_by,
        c.closer_type,
        r.is_suspension
    from clocks as k
    inner join closer_rules as r on r.clock = k.clock
    inner join closer_candidates as c
        on c.subject_type = k.subject_type
        and c.subject_id = k.subject_id
        and c.closer_type = r.closer_type
    where c.event_date >= k.started_on
        and c.closer_id <> k.start_ref
        and (c.is_accepted or not r.needs_acceptance)
        and not (r.is_suspension and k.is_resumption and c.event_date = k.started_on)
    qualify row_number() over (
        partition by k.clock_id order by c.event_date, r.closer_rank, c.closer_id
    ) = 1
),

final as (
    select
        k.clock_id,
        k.clock,
        k.family,
        k.subject_type,
        k.subject_id,
        k.case_id,
        k.start_ref,
        k.start_event_type,
        k.started_on,
        k.is_resumption,
        k.is_started_on_receipt,
        c.closed_on,
        c.closed_by,
        c.closer_type,
        coalesce(c.is_suspension, false) as is_closed_by_suspension
    from clocks as k
    left join closings as c using (clock_id)
)

select * from final
