-- Criminal-case statutory clocks (thời hạn tố tụng) with their deadlines and status as of $as_of:
-- crime reports, investigation, supplementary investigation, prosecution, trial preparation and
-- hearing (contract outputs §1). due_on is due_on_nominal moved to the next working day
-- (convention, §1.3 rule 4); a deadline in a year whose Government swaps are not reviewed, or
-- beyond the calendar, is provisional. The unit is the case's unit after its latest transfer up to
-- closed_on (or $as_of while open), mapped to its successor after its valid_to (§2.2).
-- Same columns, in the same order, as intermediate.int_clocks_custody and int_clocks_execution.
-- grain: clock_id
-- column clock_id: `<clock>:<subject_id>:<start_ref>` (mã thời hạn)
-- column clock: the clock kind (loại thời hạn), contract outputs §1.1
-- column subject_type: report or case (đối tượng)
-- column subject_id: report_id or case_id
-- column case_id: the case (vụ án); empty for report clocks
-- column person_id: empty for criminal-case clocks
-- column judgement_id: empty for criminal-case clocks
-- column unit_code: supervising procuracy unit (đơn vị) at closed_on, or $as_of while open, after succession
-- column prosecutor_id: the case's or report's prosecutor (kiểm sát viên)
-- column crime_category: category the clock is computed under: the one in force on its last running day (loại tội phạm)
-- column started_on: clock start date (ngày bắt đầu)
-- column due_on_nominal: deadline by the counting rules, before the day-off roll (hạn danh nghĩa)
-- column due_on: deadline after moving a day off to the next working day (hạn cuối)
-- column is_provisional: due_on falls in a year whose holiday swaps are not reviewed (tạm tính)
-- column closed_on: date of the closing event (ngày kết thúc); empty while open
-- column closed_by: closing event_id, or the case_id for a report closed by institution
-- column status: on_time / late / open / overdue / suspended (trạng thái)
-- column days_late: calendar days closed_on − due_on when late, $as_of − due_on when overdue, else 0 (số ngày quá hạn)
-- column days_remaining: calendar days due_on − $as_of for open clocks, else empty (số ngày còn lại)
-- column rule_id: the deadline_rules row that set the deadline (the last extension's, else the base)
-- column legal_basis: its legal basis (căn cứ pháp lý)
-- column explanation: how the deadline was computed, in Vietnamese (diễn giải)
-- column explanation_en: the same in English

with reports as (
    select report_id, unit_code, prosecutor_id
    from staging.stg_landing__crime_reports
),

cases as (
    select case_id, unit_code, prosecutor_id
    from staging.stg_landing__cases
),

-- the case's unit after its latest transfer up to closed_on (or $as_of while open); a report's unit
spans as (
    select
        s.*,
        coalesce(h.unit_code, c.unit_code, r.unit_code) as recorded_unit_code,
        coalesce(c.prosecutor_id, r.prosecutor_id) as prosecutor_id
    from (
        select *, coalesce(closed_on, $as_of) as attributed_on
        from intermediate.int_clocks_criminal_spans
    ) as s
    left join intermediate.int_case_unit_history as h
        on h.case_id = s.case_id
        and s.attributed_on >= h.valid_from
        and (h.valid_to is null or s.attributed_on <= h.valid_to)
    left join cases as c on c.case_id = s.case_id
    left join reports as r on s.subject_type = 'report' and r.report_id = s.subject_id
),

-- then the unit answering for it on that day (re-organisation of 2025-07-01)
attributed as (
    select s.*, coalesce(u.unit_code, s.recorded_unit_code) as unit_code
    from spans as s
    left join intermediate.int_case_unit_successions as u
        on u.origin_code = s.recorded_unit_code
        and s.attributed_on between u.effective_from and u.effective_to
),

deadlines as (
    select
        l.clock_id,
        l.crime_category,
        l.nominal as due_on_nominal,
        coalesce(
            c.next_working_day,
            l.nominal + case isodow(l.nominal) when 6 then 2 when 7 then 1 else 0 end
        ) as due_on,
        l.rule_id,
        l.legal_basis,
        l.explanation_en as chain_en,
        l.explanation_vi as chain_vi
    from intermediate.int_clocks_criminal_steps as l
    left join intermediate.int_calendar_days as c on c.date = l.nominal
    where l.is_last_step
),

assembled as (
    select
        s.clock_id,
        s.clock,
        s.subject_type,
        s.subject_id,
        s.case_id,
        null::varchar as person_id,
        null::varchar as judgement_id,
        s.unit_code,
        s.prosecutor_id,
        d.crime_category,
        s.started_on,
        d.due_on_nominal,
        d.due_on,
        not coalesce(y.swaps_reviewed, false) as is_provisional,
        s.closed_on,
        s.closed_by,
        s.is_closed_by_suspension,
        d.rule_id,
        d.legal_basis,
        d.chain_en,
        d.chain_vi
    from attributed as s
    inner join deadlines as d using (clock_id)
    left join intermediate.int_calendar_days as y on y.date = d.due_on
),

with_status as (
    select
        *,
        case
            when closed_on is not null and closed_on > due_on then 'late'
            when closed_on is not null and is_closed_by_suspension then 'suspended'
            when closed_on is not null then 'on_time'
            when $as_of > due_on then 'overdue'
            else 'open'
        end as status
    from assembled
),

final as (
    select
        clock_id,
        clock,
        subject_type,
        subject_id,
        case_id,
        person_id,
        judgement_id,
        unit_code,
        prosecutor_id,
        crime_category,
        started_on,
        due_on_nominal,
        due_on,
        is_provisional,
        closed_on,
        closed_by,
        status,
        cast(case status
            when 'late' then closed_on - due_on
            when 'overdue' then $as_of - due_on
            else 0
        end as bigint) as days_late,
        cast(case when status = 'open' then due_on - $as_of end as bigint) as days_remaining,
        rule_id,
        legal_basis,
        chain_vi || ' = ' || strftime(due_on_nominal, '%d/%m/%Y')
            || case when due_on <> due_on_nominal
                then ', ngày nghỉ → ' || strftime(due_on, '%d/%m/%Y') else '' end
            || case when is_provisional then ' (tạm tính: lịch nghỉ năm này chưa được rà soát)' else '' end
            as explanation,
        chain_en || ' = ' || strftime(due_on_nominal, '%d/%m/%Y')
            || case when due_on <> due_on_nominal
                then ', a day off → ' || strftime(due_on, '%d/%m/%Y') else '' end
            || case when is_provisional then ' (provisional: that year''s holiday swaps are not reviewed)' else '' end
            as explanation_en
    from with_status
)

select * from final
