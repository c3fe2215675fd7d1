-- The morning worklist (danh sách cần xử lý): open clocks due within 10 days and overdue clocks,
-- most urgent first: urgency_rank 1 is the earliest deadline (the longest overdue), then by
-- clock_id. Contract outputs §1.8.
-- grain: clock_id
-- column urgency_rank: 1 = most urgent; order by it (mức độ khẩn)
-- column unit_code: supervising procuracy unit (đơn vị)
-- column prosecutor_id: the assigned prosecutor (kiểm sát viên)
-- column clock_id: the clock (mã thời hạn)
-- column clock: the clock kind (loại thời hạn)
-- column subject_id: report_id, case_id, person_id or judgement_id (mã đối tượng)
-- column due_on: the deadline (hạn cuối)
-- column status: open or overdue (trạng thái)
-- column days_remaining: calendar days left for open clocks (số ngày còn lại)
-- column days_late: calendar days past due_on for overdue clocks (số ngày quá hạn)
-- column explanation: how the deadline was computed, in Vietnamese (diễn giải)
-- column explanation_en: the same in English
-- column is_vks_own: the procuracy's own deadline ("Thời hạn của Viện kiểm sát"), listed first on the worklist
-- column owner_body: the body that owes the deadline (cơ quan có nghĩa vụ)

with deadlines as (
    select *
    from marts.deadlines
    where (status = 'open' and is_due_soon) or status = 'overdue'
),

final as (
    select
        row_number() over (order by due_on, clock_id) as urgency_rank,
        unit_code,
        prosecutor_id,
        clock_id,
        clock,
        subject_id,
        due_on,
        status,
        days_remaining,
        days_late,
        explanation,
        explanation_en,
        is_vks_own,
        owner_body
    from deadlines
)

select * from final
