-- Every statutory clock (thời hạn tố tụng) as of $as_of, one row per clock: criminal-case clocks,
-- custody and detention, judgement execution, and the procuracy's own deadlines and the
-- hand-overs it supervises (contract outputs §1.8, §1.9). Deadlines, status and a
-- one-line explanation a prosecutor can check by hand.
-- grain: clock_id
-- column clock_id: `<clock>:<subject_id>:<start_ref>` — clock id (mã thời hạn)
-- column clock: the clock kind, contract outputs §1.1 (loại thời hạn)
-- column subject_type: report, case, person or judgement (đối tượng)
-- column subject_id: report_id, case_id, person_id or judgement_id (mã đối tượng)
-- column case_id: the case (vụ án); empty for report clocks
-- column person_id: the person for person clocks (bị can, bị cáo, người bị kết án)
-- column judgement_id: the judgement for execution clocks (bản án)
-- column unit_code: supervising procuracy unit at closed_on, or at as_of while open, after succession (đơn vị)
-- column prosecutor_id: the assigned prosecutor (kiểm sát viên)
-- column crime_category: crime category the clock is computed under (loại tội phạm)
-- column started_on: clock start date (ngày bắt đầu tính thời hạn)
-- column due_on_nominal: deadline by the counting rules, before any day-off roll (hạn danh nghĩa)
-- column due_on: the deadline; for day and month limits moved off a day off to the next working day (hạn cuối)
-- column is_provisional: due_on is in a year whose holiday swaps are not reviewed, or beyond the calendar (tạm tính)
-- column closed_on: date the clock was closed (ngày kết thúc); empty while open
-- column closed_by: event, order or movement id that closed it; the case_id for a report closed by institution
-- column status: on_time / late / open / overdue / suspended (trạng thái: đúng hạn / quá hạn / đang chạy / đã quá hạn / tạm đình chỉ)
-- column days_late: calendar days closed_on − due_on when late, as_of − due_on when overdue, else 0 (số ngày quá hạn)
-- column days_remaining: calendar days due_on − as_of for open clocks, else empty (số ngày còn lại)
-- column is_due_soon: open with at most 10 days remaining (sắp đến hạn)
-- column rule_id: the deadline_rules row applied (quy tắc áp dụng)
-- column legal_basis: its legal basis, e.g. BLTTHS 2015 Art. 172(1) (căn cứ pháp lý)
-- column explanation: how the deadline was computed, in Vietnamese (diễn giải)
-- column explanation_en: the same in English
-- column as_of: the run's as-of date (ngày chốt số liệu)
-- column due_at: the deadline as a local timestamp, for hour limits counted from a timestamp (hạn cuối, giờ); empty otherwise
-- column closed_at: the decision time, for hour limits counted from a timestamp (thời điểm quyết định); empty otherwise
-- column owner_body: the body that owes the deadline: cqdt, vks, toa or thads (reference.clock_owners; cơ quan có nghĩa vụ)
-- column is_vks_own: the procuracy's own deadline, shown first as "Thời hạn của Viện kiểm sát" (thời hạn của Viện kiểm sát)

with clocks as (
    select * from intermediate.int_clocks_criminal
    union all by name
    select * from intermediate.int_clocks_custody
    union all by name
    select * from intermediate.int_clocks_execution
    union all by name
    select * from intermediate.int_clocks_vks
),

owners as (
    select clock, owner_body, coalesce(try_cast(is_vks_own as boolean), false) as is_vks_own
    from reference.clock_owners
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
        days_late,
        days_remaining,
        coalesce(status = 'open' and days_remaining <= 10, false) as is_due_soon,
        rule_id,
        legal_basis,
        explanation,
        explanation_en,
        cast($as_of as date) as as_of,
        due_at,
        closed_at,
        o.owner_body,
        coalesce(o.is_vks_own, false) as is_vks_own
    from clocks
    left join owners as o using (clock)
)

select * from final
