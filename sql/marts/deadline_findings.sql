-- Legal findings on statutory clocks (phát hiện vi phạm thời hạn), one row per finding: extensions
-- beyond the limit or late, late extension requests, too many returns, illegal custody and
-- detention orders, persons held without an order (contract outputs §1.6), suspensions before
-- the time limit expired (§1.9).
-- grain: finding_id
-- column finding_id: finding id (mã phát hiện), unique across rules
-- column rule: illegal_order / extension_beyond_limit / late_extension / extension_request_late / too_many_returns / held_without_order / premature_suspension (quy tắc)
-- column severity: error, warn, or unknown when the data cannot tell (mức độ)
-- column clock_id: the clock concerned, when there is one (mã thời hạn)
-- column subject_type: report, case, person or judgement (đối tượng)
-- column subject_id: report_id, case_id, person_id or judgement_id (mã đối tượng)
-- column case_id: the case (vụ án)
-- column unit_code: supervising procuracy unit (đơn vị)
-- column detail: what was found, with the dates to check it by hand (chi tiết)
-- column legal_basis: the rule broken (căn cứ pháp lý)
-- column order_id: the custody or detention order at fault, for a per-order finding (lệnh); empty otherwise
-- column dated_on: the order's start (one order), the stage's first start (a whole stage), the suspension's or extension's date (ngày vi phạm)

with findings as (
    select * from intermediate.int_deadline_findings_criminal
    union all by name
    select * from intermediate.int_deadline_findings_custody
    union all by name
    select * from intermediate.int_deadline_findings_suspension
),

final as (
    select
        finding_id,
        rule,
        severity,
        clock_id,
        subject_type,
        subject_id,
        case_id,
        unit_code,
        detail,
        legal_basis,
        dated_on,
        order_id
    from findings
)

select * from final
