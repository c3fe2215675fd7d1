with clocks as (
    select *
    from {{ ref('int_clocks_criminal') }}
    where clock in ('report_resolution', 'report_resolution_resumed', 'investigation',
                    'resumed_investigation')
),

suspensions as (
    select event_id, event_type, event_date, suspension_ground
    from {{ ref('stg_landing__case_events') }}
    where event_type in ('report_suspended', 'investigation_suspended')
        and not is_reference_pending
),

rules as (
    select rule_id, legal_basis
    from {{ source('reference', 'deadline_rules') }}
    where rule_id in ('premature_suspension:report', 'premature_suspension:investigation')
),

grounds as (
    select code, label_en, lower(label_vi) as label_vi
    from {{ source('reference', 'codes') }}
    where list = 'suspension_ground'
),

clock_labels as (
    select code, label_vi from {{ source('reference', 'codes') }} where list = 'clock'
),

early as (
    select
        c.*,
        s.event_type,
        s.event_date,
        s.suspension_ground,
        case
            when s.event_type = 'report_suspended' then
                case when s.suspension_ground is null or s.suspension_ground = 'force_majeure'
                    then 'warn' else 'error' end
            when s.suspension_ground in ('serious_illness', 'force_majeure') then null
            when s.suspension_ground is null then 'warn'
            else 'error'
        end as severity
    from clocks as c
    inner join suspensions as s on s.event_id = c.closed_by
    where s.event_date < c.due_on
        and (s.event_type = 'report_suspended') = (c.subject_type = 'report')
),

final as (
    select
        'premature_suspension:' || e.clock_id as finding_id,
        'premature_suspension' as rule,
        e.severity,
        e.clock_id,
        e.subject_type,
        e.subject_id,
        e.case_id,
        e.unit_code,
        case when e.subject_type = 'report' then 'report' else 'investigation' end
            || ' suspended ' || strftime(e.event_date, '%d/%m/%Y') || ' ('
            || coalesce('ground: ' || coalesce(g.label_en, e.suspension_ground), 'no ground given')
            || '), before the limit expired on ' || strftime(e.due_on, '%d/%m/%Y')
            || ' (' || e.clock || ', ' || (e.due_on - e.event_date)
            || case when e.due_on - e.event_date = 1 then ' day' else ' days' end || ' early)'
            as detail,
        case when e.subject_type = 'report' then 'tạm đình chỉ giải quyết nguồn tin'
            else 'tạm đình chỉ điều tra' end
            || ' ngày ' || strftime(e.event_date, '%d/%m/%Y') || ' ('
            || coalesce('căn cứ: ' || coalesce(g.label_vi, e.suspension_ground), 'không ghi căn cứ')
            || '), trước khi hết thời hạn ngày ' || strftime(e.due_on, '%d/%m/%Y')
            || ' (' || lower(coalesce(k.label_vi, e.clock)) || ', sớm ' || (e.due_on - e.event_date) || ' ngày)'
            as detail_vi,
        r.legal_basis,
        e.event_date as dated_on
    from early as e
    left join grounds as g on g.code = e.suspension_ground
    left join clock_labels as k on k.code = e.clock
    left join rules as r
        on r.rule_id = case when e.subject_type = 'report' then 'premature_suspension:report'
            else 'premature_suspension:investigation' end
    where e.severity is not null
)

select * from final
