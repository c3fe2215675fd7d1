with events as (
    select *
    from {{ ref('stg_landing__case_events') }}
    where not is_reference_pending and event_date <= cast({{ as_of() }} as date)
),

signals as (
    select
        *,
        case
            when event_type = 'returned_by_court' then 'court_return_' || return_ground
            else event_type
        end as signal
    from events
    where (event_type = 'returned_by_court' and coalesce(is_accepted, false)
           and return_ground in ('other_crime', 'other_offender'))
       or event_type in ('vks_requested_institution', 'non_institution_cancelled')
),

reports as (
    select report_id, unit_code from {{ ref('stg_landing__crime_reports') }}
),

keyed as (
    select
        s.event_id,
        s.signal,
        case s.signal
            when 'court_return_other_crime' then 'Tòa án trả hồ sơ để khởi tố tội phạm khác'
            when 'court_return_other_offender' then 'Tòa án trả hồ sơ để khởi tố đồng phạm, người phạm tội khác'
            when 'vks_requested_institution' then 'VKS yêu cầu khởi tố'
            when 'non_institution_cancelled' then 'VKS hủy quyết định không khởi tố'
        end as signal_vi,
        s.event_type,
        s.event_date,
        s.subject_type,
        s.subject_id,
        case when s.subject_type = 'case' then s.subject_id else s.case_id end as case_id,
        case when s.subject_type = 'report' then s.subject_id end as report_id,
        s.return_ground,
        case
            when s.subject_type = 'report' then 'unit:' || r.unit_code
            when s.subject_type = 'case' then 'case:' || s.subject_id
            when s.case_id is not null then 'case:' || s.case_id
        end as attribution_key
    from signals as s
    left join reports as r on r.report_id = s.subject_id and s.subject_type = 'report'
),

final as (
    select
        k.event_id, k.signal, k.signal_vi, k.event_type, k.event_date, k.subject_type, k.subject_id,
        k.case_id, k.report_id, u.raw_unit_code as unit_code, k.return_ground, k.attribution_key
    from keyed as k
    left join {{ ref('int_unit_segments') }} as u
        on u.attribution_key = k.attribution_key and u.hierarchy = 'as_was'
       and k.event_date between u.from_date and u.to_date
)

select * from final
