with orders as (
    select * from {{ ref('int_detention_orders_chained') }}
),

clocks as (
    select * from {{ ref('int_clocks_custody') }}
),

rules as (
    select
        rule_id,
        length,
        unit,
        cumulative_max_length,
        cumulative_max_unit,
        legal_basis,
        is_confirmed
    from {{ source('reference', 'deadline_rules') }}
    where clock in ('custody', 'detention', 'detention_extension_request', 'detention_order',
                    'detention_national_security', 'detention_supplementary_court')
),

custody_rule as (
    select * from rules where rule_id = 'custody:order'
),

-- the Vietnamese names a finding's detail_vi uses for codes
code_labels as (
    select list, code, lower(label_vi) as label_vi
    from {{ source('reference', 'codes') }}
    where list in ('crime_category', 'detention_stage', 'clock')
),

request_rule as (
    select * from rules where rule_id = 'detention:request_lead'
),

-- custody: each order at most 3 days from start_at, hours counted
custody_orders as (
    select
        o.*,
        cast(o.start_at + to_days(cast(r.length as integer)) as date) as last_allowed_on,
        r.length,
        r.legal_basis
    from orders as o
    cross join custody_rule as r
    where o.clock = 'custody'
),

illegal_custody_orders as (
    select
        'illegal_order:' || o.clock_id || ':' || o.order_id as finding_id,
        o.order_id,
        'illegal_order' as rule,
        'error' as severity,
        o.clock_id,
        o.start_date as dated_on,
        'custody order ' || o.order_id || ' from ' || strftime(o.start_at, '%d/%m/%Y %H:%M')
            || ' ends ' || strftime(o.stated_end_date, '%d/%m/%Y') || ', after the '
            || o.length * 24 || '-hour limit (' || strftime(o.last_allowed_on, '%d/%m/%Y') || ')'
            as detail,
        'lệnh tạm giữ ' || o.order_id || ' từ ' || strftime(o.start_at, '%d/%m/%Y %H:%M')
            || ' đến hết ngày ' || strftime(o.stated_end_date, '%d/%m/%Y') || ', quá giới hạn '
            || o.length * 24 || ' giờ (' || strftime(o.last_allowed_on, '%d/%m/%Y') || ')'
            as detail_vi,
        o.legal_basis
    from custody_orders as o
    where o.stated_end_date > o.last_allowed_on
),

-- custody: the whole run (order and its extensions) at most the cumulative maximum (9 days)
custody_runs as (
    select
        clock_id,
        min(start_at) as started_at,
        min(start_date) as started_on,
        max(case when is_last_in_clock then stated_end_date end) as ended_on,
        count(*) as order_count
    from orders
    where clock = 'custody'
    group by clock_id
),

illegal_custody_runs as (
    select
        'illegal_order:' || c.clock_id as finding_id,
        'illegal_order' as rule,
        'error' as severity,
        c.clock_id,
        c.started_on as dated_on,
        'custody from ' || strftime(c.started_at, '%d/%m/%Y %H:%M') || ' (' || c.order_count
            || ' orders) ends ' || strftime(c.ended_on, '%d/%m/%Y') || ', after the '
            || r.cumulative_max_length || '-day maximum ('
            || strftime(cast(c.started_at + to_days(cast(r.cumulative_max_length as integer)) as date), '%d/%m/%Y')
            || ')' as detail,
        'tạm giữ từ ' || strftime(c.started_at, '%d/%m/%Y %H:%M') || ' (' || c.order_count
            || ' lệnh) đến hết ngày ' || strftime(c.ended_on, '%d/%m/%Y') || ', quá thời hạn tối đa '
            || r.cumulative_max_length || ' ngày ('
            || strftime(cast(c.started_at + to_days(cast(r.cumulative_max_length as integer)) as date), '%d/%m/%Y')
            || ')' as detail_vi,
        r.legal_basis
    from custody_runs as c
    cross join custody_rule as r
    where c.ended_on > cast(c.started_at + to_days(cast(r.cumulative_max_length as integer)) as date)
),

-- the days of each custody clock, from its start to the day before the next link starts (at
-- most its end date), count toward the detention clock that follows it in the chain (Art. 118(4))
custody_credit as (
    select
        n.clock_id as credited_to_clock_id,
        sum(least(o.stated_end_date, o.next_start_date - 1) - c.started_on + 1) as credit_days
    from orders as o
    inner join clocks as c on c.clock_id = o.clock_id
    inner join orders as n on n.order_id = o.next_order_id
    where o.clock = 'custody'
        and o.is_last_in_clock
        and o.next_is_chained
        and n.clock = 'detention'
    group by n.clock_id
),

detention_stages as (
    select
        c.clock_id,
        c.case_id,
        c.started_on,
        c.due_on,
        c.rule_id,
        c.crime_category,
        o.stage,
        coalesce(cc.credit_days, 0) as credit_days,
        c.due_on - c.started_on + 1 as stage_days
    from clocks as c
    inner join orders as o on o.clock_id = c.clock_id and o.order_no_in_clock = 1
    left join custody_credit as cc on cc.credited_to_clock_id = c.clock_id
    where c.clock = 'detention'
),

-- the returns that start a supplementary investigation: by the procuracy, or accepted by the court
returns as (
    select
        subject_id as case_id,
        event_id,
        event_date,
        case event_type
            when 'returned_by_vks' then 'supplementary_investigation_vks'
            else 'supplementary_investigation_court'
        end as return_clock
    from {{ ref('stg_landing__case_events') }}
    where subject_type = 'case'
        and not is_reference_pending
        and event_date <= {{ as_of() }}
        and (event_type = 'returned_by_vks'
            or (event_type = 'returned_by_court' and coalesce(is_accepted, false)))
),

-- D9: the latest return dated on or before a supplementary stage's first start sets its limit
stage_returns as (
    select d.clock_id, r.event_id as return_event_id, r.return_clock
    from detention_stages as d
    asof inner join returns as r on r.case_id = d.case_id and r.event_date <= d.started_on
    where d.stage = 'supplementary_investigation'
),

detention_limits as (
    select
        d.*,
        coalesce(rc.rule_id, r.rule_id) as limit_rule_id,
        coalesce(rc.cumulative_max_length, r.cumulative_max_length) as cumulative_max_length,
        coalesce(rc.cumulative_max_unit, r.cumulative_max_unit) as cumulative_max_unit,
        coalesce(rc.legal_basis, r.legal_basis) as legal_basis,
        coalesce(rc.is_confirmed, r.is_confirmed) as is_confirmed,
        n.rule_id as ns_rule_id,
        30 * n.cumulative_max_length as ns_limit_days,
        n.legal_basis as ns_legal_basis,
        sr.return_clock
    from detention_stages as d
    inner join rules as r on r.rule_id = d.rule_id
    left join stage_returns as sr on sr.clock_id = d.clock_id
    left join rules as rc
        on sr.return_clock = 'supplementary_investigation_court'
        and rc.rule_id = 'detention:supplementary_investigation:court'
    left join rules as n on n.rule_id = d.rule_id || ':national_security'
),

detention_limit_days as (
    select
        *,
        case cumulative_max_unit
            when 'days' then cumulative_max_length
            when 'months30' then 30 * cumulative_max_length
            when 'months' then cast(started_on + to_months(cast(cumulative_max_length as integer)) as date) - started_on
        end as limit_days
    from detention_limits
),

illegal_detention as (
    select
        'illegal_order:' || d.clock_id as finding_id,
        'illegal_order' as rule,
        case
            when d.ns_rule_id is not null and d.stage_days + d.credit_days <= d.ns_limit_days then 'warn'
            when d.is_confirmed then 'error'
            else 'warn'
        end as severity,
        d.clock_id,
        d.started_on as dated_on,
        'detention ' || strftime(d.started_on, '%d/%m/%Y') || '–' || strftime(d.due_on, '%d/%m/%Y')
            || ': ' || d.stage_days || ' days'
            || case when d.credit_days > 0 then ' + ' || d.credit_days || ' custody days' else '' end
            || ' = ' || (d.stage_days + d.credit_days) || ' days, over the ' || d.limit_days
            || '-day limit (' || d.cumulative_max_length || ' '
            || replace(d.cumulative_max_unit, 'months30', 'months of 30 days') || ', rule '
            || d.limit_rule_id || case when d.is_confirmed then '' else ', unconfirmed' end || ')'
            || case when d.ns_rule_id is not null and d.stage_days + d.credit_days <= d.ns_limit_days
                then '; only lawful for a national-security crime (' || d.ns_limit_days
                    || ' days, ' || d.ns_rule_id || ')' else '' end
            as detail,
        'tạm giam ' || strftime(d.started_on, '%d/%m/%Y') || '–' || strftime(d.due_on, '%d/%m/%Y')
            || ': ' || d.stage_days || ' ngày'
            || case when d.credit_days > 0 then ' + ' || d.credit_days || ' ngày tạm giữ' else '' end
            || ' = ' || (d.stage_days + d.credit_days) || ' ngày, quá giới hạn ' || d.limit_days
            || ' ngày (' || d.cumulative_max_length || ' '
            || case d.cumulative_max_unit
                when 'months30' then 'tháng, mỗi tháng 30 ngày'
                when 'months' then 'tháng'
                when 'hours' then 'giờ'
                else 'ngày'
            end
            || case when d.is_confirmed then '' else ', quy định chưa được xác nhận' end || ')'
            || case when d.ns_rule_id is not null and d.stage_days + d.credit_days <= d.ns_limit_days
                then '; chỉ hợp pháp nếu là tội xâm phạm an ninh quốc gia (' || d.ns_limit_days
                    || ' ngày)' else '' end
            as detail_vi,
        case when d.ns_rule_id is not null and d.stage_days + d.credit_days <= d.ns_limit_days
            then d.ns_legal_basis else d.legal_basis end as legal_basis
    from detention_limit_days as d
    where d.stage_days + d.credit_days > d.limit_days
),

case_clocks as (
    select clock_id, clock, case_id, started_on, due_on
    from {{ ref('int_clocks_criminal') }}
    where clock in ('trial_preparation', 'resumed_investigation',
                    'supplementary_investigation_vks', 'supplementary_investigation_court')
),

-- C1, D9, D16, D20: the case clock a stage must not outlast: the latest trial_preparation
-- (resumed_investigation) clock started on or before the stage's last stated_end_date; for a
-- supplementary stage the clock its limiting return started
stage_case_clocks as (
    select d.clock_id, k.clock_id as case_clock_id, k.clock as case_clock, k.due_on as case_due_on
    from detention_limits as d
    asof inner join case_clocks as k
        on k.case_id = d.case_id
        and k.clock = case d.stage when 'trial_preparation' then 'trial_preparation'
            else 'resumed_investigation' end
        and k.started_on <= d.due_on
    where d.stage in ('trial_preparation', 'resumed_investigation')
    union all
    select d.clock_id, k.clock_id, k.clock, k.due_on
    from detention_limits as d
    inner join stage_returns as sr on sr.clock_id = d.clock_id
    inner join case_clocks as k
        on k.clock_id = sr.return_clock || ':' || d.case_id || ':' || sr.return_event_id
),

stage_after_due as (
    select
        'illegal_order:' || d.clock_id || ':after_due' as finding_id,
        'illegal_order' as rule,
        'warn' as severity,
        d.clock_id,
        d.started_on as dated_on,
        'detention (' || d.stage || ') ' || strftime(d.started_on, '%d/%m/%Y') || '–'
            || strftime(d.due_on, '%d/%m/%Y') || ' ends after the ' || k.case_clock
            || ' deadline ' || strftime(k.case_due_on, '%d/%m/%Y') || ' (' || k.case_clock_id || ')'
            as detail,
        'tạm giam (giai đoạn ' || coalesce(sl.label_vi, d.stage) || ') '
            || strftime(d.started_on, '%d/%m/%Y') || '–' || strftime(d.due_on, '%d/%m/%Y')
            || ' kết thúc sau ' || coalesce(kl.label_vi, k.case_clock) || ' (hết hạn ngày '
            || strftime(k.case_due_on, '%d/%m/%Y') || ')'
            as detail_vi,
        d.legal_basis
    from detention_limits as d
    inner join stage_case_clocks as k on k.clock_id = d.clock_id
    left join code_labels as sl on sl.list = 'detention_stage' and sl.code = d.stage
    left join code_labels as kl on kl.list = 'clock' and kl.code = k.case_clock
    where d.due_on > k.case_due_on
),

-- C3: each order of an investigation stage within its own cap; the k-th order takes the rule
-- detention_order:investigation:<category>:<k - 1> (D10: the stage's category on its last
-- running day); the first order counts from start_at, start day included, plus the custody
-- days credited to the stage; a later one from the previous order's stated_end_date (D11)
stage_orders as (
    select
        o.order_id,
        o.clock_id,
        o.start_date,
        o.stated_end_date,
        o.order_no_in_clock,
        o.prev_order_id,
        o.prev_stated_end_date,
        d.crime_category,
        d.credit_days,
        case
            when o.order_no_in_clock = 1 then o.stated_end_date - o.start_date + 1 + d.credit_days
            else o.stated_end_date - o.prev_stated_end_date
        end as order_days,
        r.rule_id as cap_rule_id,
        cast(r.length as integer) as cap_days,
        r.is_confirmed as cap_is_confirmed,
        r.legal_basis as cap_legal_basis,
        (select count(*) - 1 from rules as a
         where a.rule_id like 'detention_order:investigation:' || d.crime_category || ':%')
            as allowed_later_orders
    from orders as o
    inner join detention_stages as d on d.clock_id = o.clock_id
    left join rules as r
        on r.rule_id = 'detention_order:investigation:' || d.crime_category || ':'
            || (o.order_no_in_clock - 1)
    where d.stage = 'investigation' and d.crime_category is not null
),

order_caps as (
    select * from rules where rule_id like 'detention_order:investigation:%:1'
),

illegal_stage_orders as (
    select
        'illegal_order:' || o.clock_id || ':' || o.order_id as finding_id,
        o.order_id,
        'illegal_order' as rule,
        case when o.cap_rule_id is not null and o.order_days <= o.cap_days then 'warn' else 'error' end
            as severity,
        o.clock_id,
        o.start_date as dated_on,
        case
            when o.cap_rule_id is null then
                'detention order ' || o.order_id || ' is later order ' || (o.order_no_in_clock - 1)
                || ' of the investigation stage; a ' || o.crime_category || ' case allows '
                || o.allowed_later_orders || ' (' || o.order_days || ' days)'
            when o.order_no_in_clock = 1 then
                'detention order ' || o.order_id || ' ' || strftime(o.start_date, '%d/%m/%Y') || '–'
                || strftime(o.stated_end_date, '%d/%m/%Y') || ': ' || (o.order_days - o.credit_days)
                || ' days' || case when o.credit_days > 0 then ' + ' || o.credit_days
                    || ' custody days = ' || o.order_days || ' days' else '' end
            else
                'detention order ' || o.order_id || ' (later order ' || (o.order_no_in_clock - 1)
                || ') extends ' || strftime(o.prev_stated_end_date, '%d/%m/%Y') || ' to '
                || strftime(o.stated_end_date, '%d/%m/%Y') || ': ' || o.order_days || ' days'
        end
        || case
            when o.cap_rule_id is null then ''
            when o.order_days > o.cap_days then ', over the ' || o.cap_days || '-day cap ('
                || o.cap_rule_id || ')'
            else ' within ' || o.cap_days || ' days, but only lawful for a national-security crime ('
                || o.cap_rule_id || ')'
        end as detail,
        case
            when o.cap_rule_id is null then
                'lệnh tạm giam ' || o.order_id || ' là lệnh tiếp theo thứ ' || (o.order_no_in_clock - 1)
                || ' của giai đoạn điều tra; vụ án tội ' || coalesce(cl.label_vi, o.crime_category)
                || ' chỉ cho phép ' || o.allowed_later_orders || ' lệnh tiếp theo (' || o.order_days
                || ' ngày)'
            when o.order_no_in_clock = 1 then
                'lệnh tạm giam ' || o.order_id || ' ' || strftime(o.start_date, '%d/%m/%Y') || '–'
                || strftime(o.stated_end_date, '%d/%m/%Y') || ': ' || (o.order_days - o.credit_days)
                || ' ngày' || case when o.credit_days > 0 then ' + ' || o.credit_days
                    || ' ngày tạm giữ = ' || o.order_days || ' ngày' else '' end
            else
                'lệnh tạm giam ' || o.order_id || ' (lệnh tiếp theo thứ ' || (o.order_no_in_clock - 1)
                || ') gia hạn từ ' || strftime(o.prev_stated_end_date, '%d/%m/%Y') || ' đến '
                || strftime(o.stated_end_date, '%d/%m/%Y') || ': ' || o.order_days || ' ngày'
        end
        || case
            when o.cap_rule_id is null then ''
            when o.order_days > o.cap_days then ', quá giới hạn ' || o.cap_days || ' ngày'
            else ' trong ' || o.cap_days || ' ngày, nhưng chỉ hợp pháp nếu là tội xâm phạm an ninh quốc gia'
        end as detail_vi,
        coalesce(o.cap_legal_basis, c.legal_basis) as legal_basis
    from stage_orders as o
    left join order_caps as c on c.rule_id = 'detention_order:investigation:' || o.crime_category || ':1'
    left join code_labels as cl on cl.list = 'crime_category' and cl.code = o.crime_category
    where o.cap_rule_id is null
        or o.order_days > o.cap_days
        or not o.cap_is_confirmed
),

-- held after the last order of a chain ran out (the last clock closed late or still overdue)
held_after_end as (
    select
        'held_without_order:' || c.clock_id as finding_id,
        'held_without_order' as rule,
        'error' as severity,
        c.clock_id,
        c.due_on + 1 as dated_on,
        'person ' || c.person_id || ' held after ' || c.clock || ' order ended '
            || strftime(c.due_on, '%d/%m/%Y') || ' with no chained order: '
            || case
                when c.status = 'overdue'
                    then 'still held at ' || strftime(cast({{ as_of() }} as date), '%d/%m/%Y') || ' (no release recorded)'
                else 'until ' || strftime(c.closed_on, '%d/%m/%Y') || ' (' || c.closed_by || ')'
            end
            || ', ' || c.days_late || ' days' as detail,
        'người ' || c.person_id || ' vẫn bị giam giữ sau khi lệnh ' || coalesce(kl.label_vi, c.clock)
            || ' hết hạn ngày ' || strftime(c.due_on, '%d/%m/%Y') || ' mà không có lệnh tiếp theo: '
            || case
                when c.status = 'overdue'
                    then 'vẫn bị giam giữ đến ngày ' || strftime(cast({{ as_of() }} as date), '%d/%m/%Y')
                        || ' (chưa ghi nhận trả tự do)'
                else 'đến ngày ' || strftime(c.closed_on, '%d/%m/%Y') || ' (' || c.closed_by || ')'
            end
            || ', ' || c.days_late || ' ngày' as detail_vi,
        c.legal_basis
    from clocks as c
    left join code_labels as kl on kl.list = 'clock' and kl.code = c.clock
    where c.status in ('late', 'overdue')
),

-- an intake no order covers: no order of the person starting by intake + 12 hours (the time
-- allowed to decide custody, Arts. 110, 114) whose end date reaches the intake day
order_cover as (
    select
        person_id,
        start_at,
        arg_max(unit_code, order_id) as unit_code,
        max(stated_end_date) as stated_end_date
    from {{ ref('stg_landing__detention_orders') }}
    where cast(start_at as date) <= {{ as_of() }}
    group by person_id, start_at
),

running_cover as (
    select
        *,
        max(stated_end_date) over (
            partition by person_id order by start_at rows between unbounded preceding and current row
        ) as covered_until
    from order_cover
),

intakes as (
    select movement_id, person_id, movement_at, movement_at + interval 12 hour as decided_by
    from {{ ref('stg_landing__detention_movements') }}
    where movement_type = 'intake'
        and cast(movement_at as date) <= {{ as_of() }}
),

uncovered_intakes as (
    select
        'held_without_order:' || i.movement_id as finding_id,
        'held_without_order' as rule,
        'error' as severity,
        cast(null as varchar) as clock_id,
        cast(i.movement_at as date) as dated_on,
        i.person_id,
        coalesce(u.unit_code, rc.unit_code) as unit_code,
        'intake ' || i.movement_id || ' of person ' || i.person_id || ' at '
            || strftime(i.movement_at, '%d/%m/%Y %H:%M') || ' with no custody or detention order covering it'
            as detail,
        'tiếp nhận ' || i.movement_id || ' của người ' || i.person_id || ' lúc '
            || strftime(i.movement_at, '%d/%m/%Y %H:%M') || ' mà không có lệnh tạm giữ hoặc tạm giam nào'
            as detail_vi,
        r.legal_basis
    from intakes as i
    asof left join running_cover as rc
        on i.person_id = rc.person_id and rc.start_at <= i.decided_by
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = rc.unit_code
        and cast(i.movement_at as date) between u.effective_from and u.effective_to
    cross join custody_rule as r
    where rc.covered_until is null or rc.covered_until < cast(i.movement_at as date)
),

-- investigation-stage detention extensions requested less than 10 days before the previous end
extension_requests as (
    select
        case
            when o.requested_date is null then 'unknown'
            else 'warn'
        end as severity,
        'extension_request_late:' || o.order_id as finding_id,
        o.order_id,
        'extension_request_late' as rule,
        o.clock_id,
        o.start_date as dated_on,
        'detention extension ' || o.order_id || ' (extension ' || o.extension_no || ') '
            || case
                when o.requested_date is null then 'has no request date'
                else 'requested ' || strftime(o.requested_date, '%d/%m/%Y')
            end
            || '; the request was due by ' || strftime(o.prev_stated_end_date - cast(r.length as integer), '%d/%m/%Y')
            || ' (' || r.length || ' days before order ' || o.prev_order_id || ' ends '
            || strftime(o.prev_stated_end_date, '%d/%m/%Y') || ')' as detail,
        'gia hạn tạm giam ' || o.order_id || ' (lần ' || o.extension_no || ') '
            || case
                when o.requested_date is null then 'không có ngày đề nghị'
                else 'đề nghị ngày ' || strftime(o.requested_date, '%d/%m/%Y')
            end
            || '; hạn đề nghị là ' || strftime(o.prev_stated_end_date - cast(r.length as integer), '%d/%m/%Y')
            || ' (' || r.length || ' ngày trước khi lệnh ' || o.prev_order_id || ' hết hạn ngày '
            || strftime(o.prev_stated_end_date, '%d/%m/%Y') || ')' as detail_vi,
        r.legal_basis
    from orders as o
    cross join request_rule as r
    where o.clock = 'detention'
        and o.stage = 'investigation'
        and o.extension_no >= 1
        and o.prev_stated_end_date is not null
        and (o.requested_date is null or o.requested_date > o.prev_stated_end_date - cast(r.length as integer))
),

clock_findings as (
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, order_id
    from illegal_custody_orders
    union all
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, null
    from illegal_custody_runs
    union all
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, null
    from illegal_detention
    union all
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, null
    from stage_after_due
    union all
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, order_id
    from illegal_stage_orders
    union all
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, null
    from held_after_end
    union all
    select finding_id, rule, severity, clock_id, dated_on, detail, detail_vi, legal_basis, order_id
    from extension_requests
),

final as (
    select
        f.finding_id,
        f.rule,
        f.severity,
        f.clock_id,
        c.subject_type,
        c.subject_id,
        c.case_id,
        c.unit_code,
        f.detail,
        f.detail_vi,
        f.legal_basis,
        f.dated_on,
        f.order_id
    from clock_findings as f
    inner join clocks as c on c.clock_id = f.clock_id
    union all
    select
        finding_id,
        rule,
        severity,
        clock_id,
        'person' as subject_type,
        person_id as subject_id,
        cast(null as varchar) as case_id,
        unit_code,
        detail,
        detail_vi,
        legal_basis,
        dated_on,
        cast(null as varchar) as order_id
    from uncovered_intakes
)

select * from final
