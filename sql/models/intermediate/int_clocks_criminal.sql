with reports as (
    select report_id, unit_code, prosecutor_id
    from {{ ref('stg_landing__crime_reports') }}
),

cases as (
    select case_id, unit_code, prosecutor_id
    from {{ ref('stg_landing__cases') }}
),

-- the case's unit after its latest transfer up to closed_on (or as_of while open); a report's unit
spans as (
    select
        s.*,
        coalesce(h.unit_code, c.unit_code, r.unit_code) as recorded_unit_code,
        coalesce(c.prosecutor_id, r.prosecutor_id) as prosecutor_id
    from (
        select *, coalesce(closed_on, {{ as_of() }}) as attributed_on
        from {{ ref('int_clocks_criminal_spans') }}
    ) as s
    left join {{ ref('int_case_unit_history') }} as h
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
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = s.recorded_unit_code
        and s.attributed_on between u.effective_from and u.effective_to
),

deadlines as (
    select
        l.clock_id,
        l.crime_category,
        l.nominal as due_on_nominal,
        {{ next_working_day('l.nominal', 'c') }} as due_on,
        l.rule_id,
        l.legal_basis,
        l.explanation_en as chain_en,
        l.explanation_vi as chain_vi
    from {{ ref('int_clocks_criminal_steps') }} as l
    left join {{ ref('int_calendar_days') }} as c on c.date = l.nominal
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
    left join {{ ref('int_calendar_days') }} as y on y.date = d.due_on
),

with_status as (
    select
        *,
        {{ clock_status('due_on', 'closed_on', is_suspended='is_closed_by_suspension') }} as status
    from assembled
),

final as (
    select
        clock_id,
        clock,
        subject_type,
        subject_id,
        {{ clock_record_columns() }},
        status,
        {{ days_late('status', 'due_on', 'closed_on') }} as days_late,
        {{ days_remaining('status', 'due_on') }} as days_remaining,
        rule_id,
        legal_basis,
        chain_vi || ' = ' || strftime(due_on_nominal, '%d/%m/%Y')
            || {{ day_off_note('vi') }}
            || case when is_provisional then ' (tạm tính: lịch nghỉ năm này chưa được rà soát)' else '' end
            as explanation,
        chain_en || ' = ' || strftime(due_on_nominal, '%d/%m/%Y')
            || {{ day_off_note('en') }}
            || case when is_provisional then ' (provisional: that year''s holiday swaps are not reviewed)' else '' end
            as explanation_en
    from with_status
)

select * from final
