-- The triaged worklist (danh sách việc cần làm đã phân loại): every clock of the morning
-- worklist (deadline_watchlist) with the section it is shown in. Thresholds come from
-- reference.worklist_settings; "since the last run" is measured from the previous delivery.
with settings as (
    select
        max(case when setting = 'gap_overdue_days' then cast(value as integer) end) as gap_overdue_days,
        max(case when setting = 'gap_custody_days' then cast(value as integer) end) as gap_custody_days
    from {{ source('reference', 'worklist_settings') }}
),

-- the previous run's as-of: the latest day a batch was received before this as-of (each
-- nightly run follows a delivery), else the day before
previous_run as (
    select coalesce(
        (select max(received_on) from {{ ref('batch_ledger') }}
         where received_on < {{ as_of() }}),
        {{ as_of() }} - 1
    ) as previous_as_of
),

owners as (
    select clock, owner_body, coalesce(try_cast(is_vks_own as boolean), false) as is_vks_own
    from {{ source('reference', 'clock_owners') }}
),

watch as (
    select
        w.unit_code,
        w.prosecutor_id,
        w.clock_id,
        w.clock,
        w.subject_id,
        w.due_on,
        w.status,
        w.days_remaining,
        w.days_late,
        w.explanation,
        w.explanation_en,
        coalesce(o.is_vks_own, false) as is_vks_own,
        o.owner_body,
        d.subject_type,
        d.case_id,
        d.person_id,
        d.judgement_id,
        d.started_on,
        d.legal_basis
    from {{ ref('deadline_watchlist') }} as w
    inner join {{ ref('deadlines') }} as d on d.clock_id = w.clock_id
    left join owners as o on o.clock = w.clock
),

-- the latest thing recorded on each case, report, person or judgement (up to as-of)
activity_dates as (
    select case_id as id, 'case' as kind, max(event_date) as last_on
    from {{ ref('stg_landing__case_events') }}
    where case_id is not null and event_date <= {{ as_of() }}
    group by case_id
    union all
    select subject_id, subject_type, max(event_date)
    from {{ ref('stg_landing__case_events') }}
    where subject_id is not null and subject_type in ('report', 'person') and event_date <= {{ as_of() }}
    group by subject_id, subject_type
    union all
    select person_id, 'person', max(cast(movement_at as date))
    from {{ ref('stg_landing__detention_movements') }}
    where cast(movement_at as date) <= {{ as_of() }}
    group by person_id
    union all
    select judgement_id, 'judgement', max(event_date)
    from {{ ref('stg_landing__execution_events') }}
    where event_date <= {{ as_of() }}
    group by judgement_id
),

activity as (
    select kind, id, max(last_on) as last_on
    from activity_dates
    group by kind, id
),

-- the latest activity on the item's case, person, judgement or own subject: one equality
-- lookup each (greatest() skips the nulls of those with none)
with_activity as (
    select
        w.*,
        greatest(on_case.last_on, on_person.last_on, on_judgement.last_on, on_subject.last_on)
            as last_activity_on
    from watch as w
    left join activity as on_case on on_case.kind = 'case' and on_case.id = w.case_id
    left join activity as on_person on on_person.kind = 'person' and on_person.id = w.person_id
    left join activity as on_judgement
        on on_judgement.kind = 'judgement' and on_judgement.id = w.judgement_id
    left join activity as on_subject
        on on_subject.kind = w.subject_type and on_subject.id = w.subject_id
),

steward as (
    -- the exporting system that answers for the unit, or for the unit it belongs to
    select u.unit_code, coalesce(own.source_system, parent.source_system) as source_system
    from {{ source('reference', 'units') }} as u
    left join {{ source('reference', 'source_systems') }} as own on own.unit_code = u.unit_code
    left join {{ source('reference', 'source_systems') }} as parent on parent.unit_code = u.parent_code
    qualify row_number() over (partition by u.unit_code order by own.source_system, parent.source_system) = 1
),

classified as (
    select
        a.*,
        s.gap_overdue_days,
        s.gap_custody_days,
        p.previous_as_of,
        case
            when a.status = 'overdue' and a.clock in ('custody', 'detention')
                and a.days_late > s.gap_custody_days then 'custody_no_release'
            when a.status = 'overdue' and a.days_late > s.gap_overdue_days
                and (a.last_activity_on is null or a.last_activity_on <= a.due_on) then 'stale_overdue'
        end as gap_reason
    from with_activity as a
    cross join settings as s
    cross join previous_run as p
),

final as (
    select
        row_number() over (
            order by c.gap_reason is not null, c.is_vks_own desc,
                     (c.status = 'overdue') desc, c.days_late desc nulls last,
                     c.days_remaining nulls last, c.clock_id
        ) as urgency_rank,
        case
            when c.gap_reason is not null then 'suspected_gap'
            when c.status <> 'overdue' and c.days_remaining = 0 then 'due_today'
            when c.status <> 'overdue' and c.days_remaining = 1 then 'due_tomorrow'
            when c.status = 'overdue' and c.due_on >= c.previous_as_of then 'newly_overdue'
            when c.status = 'overdue' then 'overdue'
            else 'due_soon'
        end as triage,
        c.gap_reason is null
        and (
            (c.status <> 'overdue' and c.days_remaining <= 1)
            or (c.status = 'overdue' and c.due_on >= c.previous_as_of)
        ) as is_today,
        c.unit_code,
        c.prosecutor_id,
        c.clock_id,
        c.clock,
        c.subject_type,
        c.subject_id,
        c.case_id,
        c.started_on,
        c.due_on,
        c.status,
        c.days_remaining,
        c.days_late,
        c.is_vks_own,
        c.owner_body,
        c.legal_basis,
        c.explanation,
        c.explanation_en,
        c.last_activity_on,
        c.gap_reason,
        case c.gap_reason
            when 'custody_no_release' then
                'Quá hạn ' || c.days_late || ' ngày (ngưỡng ' || c.gap_custody_days
                || ' ngày) mà chưa có bản ghi trả tự do hoặc thay đổi biện pháp: có thể thiếu dữ liệu'
            when 'stale_overdue' then
                'Quá hạn ' || c.days_late || ' ngày (ngưỡng ' || c.gap_overdue_days
                || ' ngày) và không có hoạt động nào được ghi nhận sau hạn: có thể thiếu dữ liệu'
        end as gap_detail,
        case c.gap_reason
            when 'custody_no_release' then
                c.days_late || ' days overdue (threshold ' || c.gap_custody_days
                || ' days) with no release or change of measure recorded: data probably missing'
            when 'stale_overdue' then
                c.days_late || ' days overdue (threshold ' || c.gap_overdue_days
                || ' days) with no activity recorded since the deadline: data probably missing'
        end as gap_detail_en,
        case when c.gap_reason is not null then c.unit_code end as steward_unit,
        case when c.gap_reason is not null then st.source_system end as steward_source_system,
        c.previous_as_of
    from classified as c
    left join steward as st on st.unit_code = c.unit_code
)

select * from final
