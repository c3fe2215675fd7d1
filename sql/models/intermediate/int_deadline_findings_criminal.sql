with clocks as (
    select clock_id, clock, subject_type, subject_id, case_id, unit_code
    from {{ ref('int_clocks_criminal') }}
),

steps as (
    select s.*, k.clock, k.subject_type, k.subject_id, k.case_id, k.unit_code
    from {{ ref('int_clocks_criminal_steps') }} as s
    inner join clocks as k using (clock_id)
    where s.step > 0
),

extension_events as (
    select event_id, event_type, requested_date
    from {{ ref('int_clocks_criminal_extensions') }}
),

categories as (
    select code as crime_category, lower(label_vi) as category_vi
    from {{ source('reference', 'codes') }}
    where list = 'crime_category'
),

rules as (
    select clock as rule_clock, cast(length as integer) as length, legal_basis
    from {{ source('reference', 'deadline_rules') }}
    where clock in (
        'investigation_extension_request', 'resumed_investigation_extension_request',
        'supplementary_return_vks',
        'supplementary_return_presiding_judge', 'supplementary_return_trial_panel'
    )
),

beyond_limit as (
    select
        'extension_beyond_limit' as rule,
        'error' as severity,
        clock_id, subject_type, subject_id, case_id, unit_code, event_id,
        'extension ' || step || ' decided ' || strftime(event_date, '%d/%m/%Y') || ': '
            || concat_ws('; ',
                case when is_beyond_count then 'more extensions than the ' || crime_category_text || ' rules allow' end,
                case when is_beyond_cap then 'stated end ' || strftime(stated_end_date, '%d/%m/%Y')
                    || ' is after the cap ' || strftime(cap_date, '%d/%m/%Y') end,
                case when is_beyond_cumulative then 'stated end ' || strftime(stated_end_date, '%d/%m/%Y')
                    || ' is after the maximum ' || strftime(cumulative_max, '%d/%m/%Y') end
            ) as detail,
        'gia hạn lần ' || step || ' quyết định ngày ' || strftime(event_date, '%d/%m/%Y') || ': '
            || concat_ws('; ',
                case when is_beyond_count then 'số lần gia hạn vượt mức cho phép'
                    || coalesce(' đối với tội ' || category_vi, '') end,
                case when is_beyond_cap then 'ngày kết thúc ghi trong quyết định '
                    || strftime(stated_end_date, '%d/%m/%Y')
                    || ' sau giới hạn ' || strftime(cap_date, '%d/%m/%Y') end,
                case when is_beyond_cumulative then 'ngày kết thúc ghi trong quyết định '
                    || strftime(stated_end_date, '%d/%m/%Y')
                    || ' sau thời hạn tối đa ' || strftime(cumulative_max, '%d/%m/%Y') end
            ) as detail_vi,
        legal_basis,
        event_date as dated_on
    from (
        select s.*, coalesce(s.crime_category, 'applicable') as crime_category_text, c.category_vi
        from steps as s
        left join categories as c using (crime_category)
    )
    where is_beyond_count or is_beyond_cap or is_beyond_cumulative
),

late_extensions as (
    select
        'late_extension' as rule,
        'warn' as severity,
        clock_id, subject_type, subject_id, case_id, unit_code, event_id,
        'extension ' || step || ' decided ' || strftime(event_date, '%d/%m/%Y')
            || ', after the deadline it extends (' || strftime(previous_due_on, '%d/%m/%Y') || ')' as detail,
        'gia hạn lần ' || step || ' quyết định ngày ' || strftime(event_date, '%d/%m/%Y')
            || ', sau khi thời hạn được gia hạn đã hết (' || strftime(previous_due_on, '%d/%m/%Y') || ')'
            as detail_vi,
        legal_basis,
        event_date as dated_on
    from steps
    where event_date > previous_due_on
),

request_late as (
    select
        'extension_request_late' as rule,
        case when e.requested_date is null then 'unknown' else 'warn' end as severity,
        s.clock_id, s.subject_type, s.subject_id, s.case_id, s.unit_code, s.event_id,
        case
            when e.requested_date is null
                then 'extension ' || s.step || ' has no request date; it was due by '
                    || strftime(s.previous_nominal - r.length, '%d/%m/%Y')
            else 'extension ' || s.step || ' requested ' || strftime(e.requested_date, '%d/%m/%Y')
                || ', later than ' || r.length || ' days before the limit '
                || strftime(s.previous_nominal, '%d/%m/%Y') || ' (due by '
                || strftime(s.previous_nominal - r.length, '%d/%m/%Y') || ')'
        end as detail,
        case
            when e.requested_date is null
                then 'gia hạn lần ' || s.step || ' không có ngày đề nghị; hạn đề nghị là '
                    || strftime(s.previous_nominal - r.length, '%d/%m/%Y')
            else 'gia hạn lần ' || s.step || ' đề nghị ngày ' || strftime(e.requested_date, '%d/%m/%Y')
                || ', muộn hơn mốc ' || r.length || ' ngày trước khi hết hạn '
                || strftime(s.previous_nominal, '%d/%m/%Y') || ' (hạn đề nghị '
                || strftime(s.previous_nominal - r.length, '%d/%m/%Y') || ')'
        end as detail_vi,
        r.legal_basis,
        s.event_date as dated_on
    from steps as s
    inner join extension_events as e using (event_id)
    -- Art. 172(2); during a resumed investigation Art. 174(1) (contract 1.1 C6)
    inner join rules as r on r.rule_clock = case when s.clock = 'resumed_investigation'
        then 'resumed_investigation_extension_request' else 'investigation_extension_request' end
    where e.event_type = 'investigation_extended'
        and (e.requested_date is null or e.requested_date > s.previous_nominal - r.length)
),

returns as (
    select
        event_id,
        subject_id as case_id,
        event_date,
        case
            when event_type = 'returned_by_vks' then 'supplementary_return_vks'
            when return_by = 'presiding_judge' then 'supplementary_return_presiding_judge'
            when return_by = 'trial_panel' then 'supplementary_return_trial_panel'
        end as rule_clock,
        case event_type
            when 'returned_by_vks' then 'supplementary_investigation_vks'
            else 'supplementary_investigation_court'
        end as started_clock
    from {{ ref('stg_landing__case_events') }}
    where subject_type = 'case'
        and event_type in ('returned_by_vks', 'returned_by_court')
        and event_date <= {{ as_of() }}
        and not is_reference_pending
),

numbered_returns as (
    select
        *,
        row_number() over (partition by case_id, rule_clock order by event_date, event_id) as return_no
    from returns
    where rule_clock is not null
),

excess_returns as (
    select n.*, r.length as allowed, r.legal_basis, h.unit_code as recorded_unit
    from numbered_returns as n
    inner join rules as r using (rule_clock)
    left join {{ ref('int_case_unit_history') }} as h
        on h.case_id = n.case_id
        and n.event_date >= h.valid_from
        and (h.valid_to is null or n.event_date <= h.valid_to)
    where n.return_no > r.length
),

too_many as (
    select
        'too_many_returns' as rule,
        'error' as severity,
        k.clock_id,
        'case' as subject_type,
        x.case_id as subject_id,
        x.case_id,
        coalesce(u.unit_code, x.recorded_unit) as unit_code,
        x.event_id,
        'return ' || x.return_no || ' on ' || strftime(x.event_date, '%d/%m/%Y') || ' by '
            || case x.rule_clock
                when 'supplementary_return_vks' then 'the procuracy'
                when 'supplementary_return_presiding_judge' then 'the presiding judge'
                else 'the trial panel'
            end
            || ': at most ' || x.allowed || ' allowed' as detail,
        'trả hồ sơ lần ' || x.return_no || ' ngày ' || strftime(x.event_date, '%d/%m/%Y') || ' do '
            || case x.rule_clock
                when 'supplementary_return_vks' then 'Viện kiểm sát'
                when 'supplementary_return_presiding_judge' then 'Thẩm phán chủ tọa'
                else 'Hội đồng xét xử'
            end
            || ' trả: tối đa ' || x.allowed || ' lần' as detail_vi,
        x.legal_basis,
        x.event_date as dated_on
    from excess_returns as x
    left join clocks as k
        on k.clock_id = x.started_clock || ':' || x.case_id || ':' || x.event_id
    left join {{ ref('int_case_unit_successions') }} as u
        on u.origin_code = x.recorded_unit
        and x.event_date between u.effective_from and u.effective_to
),

findings as (
    select * from beyond_limit
    union all
    select * from late_extensions
    union all
    select * from request_late
    union all
    select * from too_many
),

final as (
    select
        rule || ':' || coalesce(clock_id, case_id) || ':' || event_id as finding_id,
        rule,
        severity,
        clock_id,
        subject_type,
        subject_id,
        case_id,
        unit_code,
        detail,
        detail_vi,
        legal_basis,
        dated_on
    from findings
)

select * from final
