with deadlines as (
    select * from {{ ref('int_deadlines') }}
    where started_on <= cast({{ as_of() }} as date)
),

stages as (
    select clock, stage from {{ source('reference', 'indicator_stages') }}
),

events as (
    select event_id, event_type, outcome
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending
),

cases as (
    select case_id, unit_code from {{ ref('stg_landing__cases') }}
),

reports as (
    select report_id, unit_code from {{ ref('stg_landing__crime_reports') }}
),

judgements as (
    select judgement_id, unit_code from {{ ref('stg_landing__judgements') }}
),

orders as (
    select order_id, unit_code from {{ ref('stg_landing__detention_orders') }}
),

-- marts.deadlines.unit_code is already mapped to a successor at closed_on / as_of; indicators
-- attribute at their own dates, so they start from the unit the record itself carries.
based as (
    select
        d.*,
        coalesce(
            case when d.subject_type = 'case' then k.unit_code end,
            case when d.subject_type = 'report' then r.unit_code end,
            case when d.subject_type = 'judgement' then j.unit_code end,
            case when d.clock in ('custody', 'detention', 'approve_detention',
                                  'decide_custody_extension') then o.unit_code end,
            d.unit_code
        ) as base_unit_code,
        d.subject_type = 'case' and k.case_id is not null as has_case_row
    from deadlines as d
    left join cases as k on k.case_id = d.case_id and d.subject_type = 'case'
    left join reports as r on r.report_id = d.subject_id and d.subject_type = 'report'
    left join judgements as j on j.judgement_id = d.judgement_id and d.subject_type = 'judgement'
    left join orders as o on o.order_id = regexp_extract(d.clock_id, '[^:]+$')
        and d.clock in ('custody', 'detention', 'approve_detention', 'decide_custody_extension')
),

final as (
    select
        d.clock_id,
        d.clock,
        s.stage,
        d.subject_type,
        d.subject_id,
        d.case_id,
        d.person_id,
        d.judgement_id,
        d.base_unit_code as unit_code,
        d.prosecutor_id,
        case when d.has_case_row then 'case:' || d.case_id
             else 'unit:' || d.base_unit_code end as attribution_key,
        d.started_on,
        d.due_on,
        case when d.closed_on <= cast({{ as_of() }} as date) then d.closed_on end as closed_on,
        d.closed_by,
        coalesce(e.event_type, case when c.case_id is not null then 'case_instituted' end) as closer_type,
        coalesce(e.event_type in ('report_suspended', 'investigation_suspended',
                                  'case_suspended_by_vks', 'case_suspended_by_court'), false)
            as is_closed_by_suspension,
        coalesce(e.event_type = 'report_resolved' and e.outcome = 'transferred', false) as is_closed_by_transfer,
        case when d.closed_on <= cast({{ as_of() }} as date)
            then coalesce(d.closed_at <= d.due_at, d.closed_on <= d.due_on) end as is_on_time
    from based as d
    left join stages as s on s.clock = d.clock
    left join events as e on e.event_id = d.closed_by
    left join cases as c on c.case_id = d.closed_by and d.subject_type = 'report'
)

select * from final
