-- How each criminal-case deadline is built, one row per step: step 0 is the base limit from the
-- clock's start, step k the k-th extension applied (contract outputs §1.3 rules 1, 2 and 5, §1.7).
-- The whole clock is computed under the crime category in force on its last running day (closed_on,
-- or $as_of while open). Each extension replaces the nominal date with its stated_end_date, but no
-- later than the previous nominal date plus its cap (the rule's anchor `start` counts from the
-- clock's start instead) and the clock's cumulative maximum; without a stated date the cap is
-- added. An extension beyond the allowed number has no cap: only the cumulative maximum bounds it.
-- The cumulative maximum is the start stepped by the base limit, then by every allowed cap in order.
-- grain: clock_id, step
-- column clock_id: the clock (mã thời hạn)
-- column step: 0 for the base limit (thời hạn ban đầu), k for the k-th extension (gia hạn lần k)
-- column crime_category: category the clock is computed under (in force on its last running day)
-- column event_id: the extension event; empty for step 0
-- column event_date: date the extension was decided; empty for step 0
-- column rule_id: deadline_rules row applied; for an extension beyond the allowed number, the last allowed row
-- column legal_basis: legal basis of that row (căn cứ pháp lý)
-- column length, unit, anchor: the rule's limit; empty beyond the allowed number
-- column previous_nominal: nominal date before this step; empty for step 0
-- column previous_due_on: previous_nominal moved to the next working day (the deadline this extension extends)
-- column cap_date: the step's own bound (previous nominal + cap, or start + cap for anchor start); empty beyond the allowed number
-- column cumulative_max: the clock's maximum date (thời hạn tối đa), the same on every step
-- column stated_end_date: end date written in the extension decision
-- column nominal: nominal deadline after this step (before the day-off roll)
-- column is_beyond_count: more extensions than the rules allow
-- column is_beyond_cap: the stated end date is later than cap_date
-- column is_beyond_cumulative: the stated end date is later than cumulative_max
-- column text_en: this step of the English explanation
-- column text_vi: this step of the Vietnamese explanation (diễn giải)

with recursive
clocks as (
    select *, coalesce(closed_on, $as_of) as last_running_day
    from intermediate.int_clocks_criminal_spans
),

cases as (
    select case_id, crime_category
    from staging.stg_landing__cases
),

categories as (
    select k.clock_id, coalesce(h.crime_category, c.crime_category) as crime_category
    from clocks as k
    asof left join intermediate.int_case_category_history as h
        on h.case_id = k.case_id and k.last_running_day >= h.valid_from
    left join cases as c on c.case_id = k.case_id
),

rules as (
    select
        rule_id,
        clock,
        crime_category,
        extension_no as slot,
        cast(length as integer) as length,
        unit,
        anchor,
        legal_basis,
        cast(valid_from as date) as valid_from,
        try_cast(valid_to as date) as valid_to
    from reference.deadline_rules
    where clock in (select distinct clock from clocks)
),

-- per clock and slot, the one rule row: its category (or '*'), the version valid at the start
clock_rules as (
    select
        k.clock_id,
        k.clock,
        k.started_on,
        g.crime_category,
        r.slot,
        r.rule_id,
        r.length,
        r.unit,
        r.anchor,
        r.legal_basis
    from clocks as k
    inner join categories as g using (clock_id)
    inner join rules as r
        on r.clock = k.clock
        and (r.crime_category = '*' or r.crime_category = g.crime_category)
    qualify row_number() over (
        partition by k.clock_id, r.slot
        order by
            r.crime_category = '*',
            (r.valid_from <= k.started_on and coalesce(r.valid_to >= k.started_on, true)) desc,
            r.valid_from > k.started_on,
            case when r.valid_from <= k.started_on then r.valid_from end desc nulls last,
            r.valid_from
    ) = 1
),

calendar as (
    select date, working_day_seq, is_working_day
    from intermediate.int_calendar_days
),

working_day_targets as (
    select r.clock_id, t.date as nominal
    from clock_rules as r
    inner join calendar as s on s.date = r.started_on
    inner join calendar as t
        on t.working_day_seq = s.working_day_seq + r.length and t.is_working_day
    where r.slot = 0 and r.unit = 'working_days'
),

base as (
    select
        r.*,
        case r.unit
            when 'days' then r.started_on + r.length
            when 'months' then cast(r.started_on + to_months(r.length) as date)
            when 'months30' then r.started_on + 30 * r.length
            when 'working_days' then w.nominal
        end as nominal
    from clock_rules as r
    left join working_day_targets as w using (clock_id)
    where r.slot = 0
),

-- the start stepped by the base limit, then by each allowed cap in order
cumulative (clock_id, slot, max_date) as (
    select clock_id, 0, nominal
    from base
    union all
    select
        c.clock_id,
        r.slot,
        case r.unit
            when 'days' then (case r.anchor when 'start' then r.started_on else c.max_date end) + r.length
            when 'months' then cast((case r.anchor when 'start' then r.started_on else c.max_date end) + to_months(r.length) as date)
            when 'months30' then (case r.anchor when 'start' then r.started_on else c.max_date end) + 30 * r.length
        end
    from cumulative as c
    inner join clock_rules as r on r.clock_id = c.clock_id and r.slot = c.slot + 1
),

maxima as (
    select clock_id, arg_max(max_date, slot) as cumulative_max, max(slot) as allowed_extensions
    from cumulative
    group by clock_id
),

extensions as (
    select *
    from intermediate.int_clocks_criminal_extensions
),

chain (clock_id, step, nominal) as (
    select clock_id, 0, nominal
    from base
    union all
    select
        c.clock_id,
        e.extension_seq,
        least(
            e.stated_end_date,
            case r.unit
                when 'days' then (case r.anchor when 'start' then r.started_on else c.nominal end) + r.length
                when 'months' then cast((case r.anchor when 'start' then r.started_on else c.nominal end) + to_months(r.length) as date)
                when 'months30' then (case r.anchor when 'start' then r.started_on else c.nominal end) + 30 * r.length
            end,
            m.cumulative_max
        )
    from chain as c
    inner join extensions as e on e.clock_id = c.clock_id and e.extension_seq = c.step + 1
    inner join maxima as m on m.clock_id = c.clock_id
    left join clock_rules as r on r.clock_id = c.clock_id and r.slot = e.rule_slot
),

extension_steps as (
    select
        c.clock_id,
        c.step,
        c.nominal,
        p.nominal as previous_nominal,
        e.event_id,
        e.event_type,
        e.event_date,
        e.stated_end_date,
        r.rule_id,
        r.legal_basis,
        r.length,
        r.unit,
        r.anchor,
        case r.unit
            when 'days' then (case r.anchor when 'start' then r.started_on else p.nominal end) + r.length
            when 'months' then cast((case r.anchor when 'start' then r.started_on else p.nominal end) + to_months(r.length) as date)
            when 'months30' then (case r.anchor when 'start' then r.started_on else p.nominal end) + 30 * r.length
        end as cap_date,
        r.rule_id is null as is_beyond_count
    from chain as c
    inner join chain as p on p.clock_id = c.clock_id and p.step = c.step - 1
    inner join extensions as e on e.clock_id = c.clock_id and e.extension_seq = c.step
    left join clock_rules as r on r.clock_id = c.clock_id and r.slot = e.rule_slot
    where c.step > 0
),

last_allowed_rules as (
    select r.clock_id, r.rule_id, r.legal_basis
    from clock_rules as r
    inner join maxima as m on m.clock_id = r.clock_id and m.allowed_extensions = r.slot
),

steps as (
    select
        clock_id, 0 as step, null::varchar as event_id, null::varchar as event_type, null::date as event_date,
        rule_id, legal_basis, length, unit, anchor,
        null::date as previous_nominal, null::date as cap_date, null::date as stated_end_date,
        nominal, false as is_beyond_count
    from base
    union all
    select
        x.clock_id, x.step, x.event_id, x.event_type, x.event_date,
        coalesce(x.rule_id, l.rule_id), coalesce(x.legal_basis, l.legal_basis),
        x.length, x.unit, x.anchor,
        x.previous_nominal, x.cap_date, x.stated_end_date,
        x.nominal, x.is_beyond_count
    from extension_steps as x
    left join last_allowed_rules as l using (clock_id)
),

labelled as (
    select
        s.*,
        k.clock,
        k.start_event_type,
        k.started_on,
        g.crime_category,
        m.cumulative_max,
        coalesce(s.stated_end_date > s.cap_date, false) as is_beyond_cap,
        coalesce(s.stated_end_date > m.cumulative_max, false) as is_beyond_cumulative,
        coalesce(
            pc.next_working_day,
            s.previous_nominal + case isodow(s.previous_nominal) when 6 then 2 when 7 then 1 else 0 end
        ) as previous_due_on,
        strftime(k.started_on, '%d/%m/%Y') as start_text,
        strftime(s.stated_end_date, '%d/%m/%Y') as stated_text,
        strftime(least(s.cap_date, m.cumulative_max), '%d/%m/%Y') as bound_text,
        s.length || ' ' || case s.unit
            when 'days' then case when s.length = 1 then 'day' else 'days' end
            when 'months' then case when s.length = 1 then 'month' else 'months' end
            when 'months30' then case when s.length = 1 then 'month of 30 days' else 'months of 30 days' end
            when 'working_days' then case when s.length = 1 then 'working day' else 'working days' end
        end as length_en,
        s.length || ' ' || case s.unit
            when 'days' then 'ngày'
            when 'months' then 'tháng'
            when 'months30' then 'tháng (30 ngày)'
            when 'working_days' then 'ngày làm việc'
        end as length_vi,
        case k.clock
            when 'report_resolution' then 'received'
            when 'report_resolution_resumed' then case k.start_event_type
                when 'report_suspension_cancelled' then 'suspension cancelled, received'
                else 'resumed'
            end
            when 'investigation' then 'instituted'
            when 'resumed_investigation' then 'investigation resumed'
            when 'supplementary_investigation_vks' then 'file returned by the procuracy, received'
            when 'supplementary_investigation_court' then 'file returned by the court, received'
            when 'prosecution_decision' then case k.start_event_type
                when 'case_resumed' then 'case resumed'
                else 'file received by the procuracy'
            end
            when 'trial_preparation' then case k.start_event_type
                when 'case_resumed' then 'case resumed'
                else 'accepted by the court'
            end
            when 'trial_decision_after_return' then 'accepted again by the court after a return'
            when 'hearing_opening' then 'trial scheduled'
        end as start_label_en,
        case k.clock
            when 'report_resolution' then 'tiếp nhận'
            when 'report_resolution_resumed' then case k.start_event_type
                when 'report_suspension_cancelled' then 'nhận quyết định hủy tạm đình chỉ'
                else 'phục hồi'
            end
            when 'investigation' then 'khởi tố'
            when 'resumed_investigation' then 'phục hồi điều tra'
            when 'supplementary_investigation_vks' then 'nhận hồ sơ Viện kiểm sát trả'
            when 'supplementary_investigation_court' then 'nhận hồ sơ Tòa án trả'
            when 'prosecution_decision' then case k.start_event_type
                when 'case_resumed' then 'phục hồi vụ án'
                else 'Viện kiểm sát nhận hồ sơ'
            end
            when 'trial_preparation' then case k.start_event_type
                when 'case_resumed' then 'phục hồi vụ án'
                else 'Tòa án thụ lý'
            end
            when 'trial_decision_after_return' then 'Tòa án thụ lý lại sau khi trả hồ sơ'
            when 'hearing_opening' then 'quyết định đưa vụ án ra xét xử'
        end as start_label_vi
    from steps as s
    inner join clocks as k using (clock_id)
    inner join categories as g using (clock_id)
    inner join maxima as m using (clock_id)
    left join intermediate.int_calendar_days as pc on pc.date = s.previous_nominal
),

final as (
    select
        clock_id,
        step,
        crime_category,
        event_id,
        event_date,
        rule_id,
        legal_basis,
        length,
        unit,
        anchor,
        previous_nominal,
        previous_due_on,
        cap_date,
        cumulative_max,
        stated_end_date,
        nominal,
        is_beyond_count,
        is_beyond_cap,
        is_beyond_cumulative,
        case
            when step = 0 then start_label_en || ' ' || start_text || ' + ' || length_en
            else ' + '
                || case event_type
                    when 'report_prolonged' then 'prolonged'
                    when 'report_extended' then 'procuracy extension'
                    else 'extension ' || step
                end
                || ' ('
                || case
                    when stated_end_date is not null and (is_beyond_cap or is_beyond_cumulative)
                        then 'to ' || stated_text || ', limited to ' || bound_text
                    when stated_end_date is not null then 'to ' || stated_text
                    when is_beyond_count then 'beyond the allowed number, up to the maximum'
                    when anchor = 'start' then length_en || ' from '
                        || case clock when 'report_resolution' then 'receipt' else 'the start' end
                    else length_en
                end
                || ')'
        end as text_en,
        case
            when step = 0 then start_label_vi || ' ' || start_text || ' + ' || length_vi
            else ' + '
                || case event_type
                    when 'report_prolonged' then 'kéo dài'
                    when 'report_extended' then 'Viện kiểm sát gia hạn'
                    else 'gia hạn lần ' || step
                end
                || ' ('
                || case
                    when stated_end_date is not null and (is_beyond_cap or is_beyond_cumulative)
                        then 'đến ' || stated_text || ', giới hạn ' || bound_text
                    when stated_end_date is not null then 'đến ' || stated_text
                    when is_beyond_count then 'vượt số lần cho phép, đến mức tối đa'
                    when anchor = 'start' then length_vi || ' kể từ '
                        || case clock when 'report_resolution' then 'ngày tiếp nhận' else 'ngày bắt đầu' end
                    else length_vi
                end
                || ')'
        end as text_vi
    from labelled
)

select * from final
