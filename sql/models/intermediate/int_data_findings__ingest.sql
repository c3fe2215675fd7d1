with cases as (
    select * from {{ ref('stg_landing__cases') }}
),

persons as (
    select * from {{ ref('stg_landing__persons') }}
),

judgements as (
    select * from {{ ref('stg_landing__judgements') }}
),

case_events as (
    select * from {{ ref('stg_landing__case_events') }}
),

pending_persons as (
    select
        'reference_pending' as rule,
        'persons' as table_name,
        p.person_id || '|' || p.case_id as record_id,
        cast(null as varchar) as unit_code,
        'case ' || p.case_id || ' has not arrived (or was retracted)' as detail,
        'chưa nhận được vụ án ' || p.case_id || ' (hoặc vụ án đã bị rút)' as detail_vi
    from persons as p
    where p.is_reference_pending
),

pending_judgements as (
    select
        'reference_pending' as rule,
        'judgements' as table_name,
        j.judgement_id as record_id,
        j.unit_code,
        'person ' || j.person_id || ' in case ' || j.case_id
            || ' has not arrived (or was retracted, or is itself pending)' as detail,
        'chưa nhận được bị can ' || j.person_id || ' của vụ án ' || j.case_id
            || ' (hoặc đã bị rút, hoặc chính nó còn chờ bản ghi liên quan)' as detail_vi
    from judgements as j
    where j.is_reference_pending
),

pending_orders as (
    select
        'reference_pending' as rule,
        'detention_orders' as table_name,
        o.order_id as record_id,
        o.unit_code,
        'person ' || o.person_id || ' in case ' || o.case_id
            || ' has not arrived (or was retracted, or is itself pending)' as detail,
        'chưa nhận được bị can ' || o.person_id || ' của vụ án ' || o.case_id
            || ' (hoặc đã bị rút, hoặc chính nó còn chờ bản ghi liên quan)' as detail_vi
    from {{ ref('stg_landing__detention_orders') }} as o
    where o.is_reference_pending
),

pending_execution as (
    select
        'reference_pending' as rule,
        'execution_events' as table_name,
        x.event_id as record_id,
        cast(null as varchar) as unit_code,
        'judgement ' || x.judgement_id
            || ' has not arrived (or was retracted, or is itself pending)' as detail,
        'chưa nhận được bản án ' || x.judgement_id
            || ' (hoặc đã bị rút, hoặc chính nó còn chờ bản ghi liên quan)' as detail_vi
    from {{ ref('stg_landing__execution_events') }} as x
    where x.is_reference_pending
),

pending_events as (
    select
        'reference_pending' as rule,
        'case_events' as table_name,
        e.event_id as record_id,
        c.unit_code,
        e.subject_type || ' ' || e.subject_id
            || case when e.subject_type = 'person' then ' in case ' || coalesce(e.case_id, '?') else '' end
            || ' has not arrived (or was retracted, or is itself pending)' as detail,
        'chưa nhận được '
            || case e.subject_type
                when 'report' then 'nguồn tin' when 'case' then 'vụ án'
                when 'person' then 'bị can' when 'judgement' then 'bản án' else e.subject_type
            end
            || ' ' || e.subject_id
            || case when e.subject_type = 'person' then ' của vụ án ' || coalesce(e.case_id, '?') else '' end
            || ' (hoặc đã bị rút, hoặc chính nó còn chờ bản ghi liên quan)' as detail_vi
    from case_events as e
    left join cases as c on c.case_id = e.case_id
    where e.is_reference_pending
),

unknown_reports as (
    select
        'reference_pending' as rule,
        'cases' as table_name,
        c.case_id as record_id,
        c.unit_code,
        'report ' || c.report_id || ' has not arrived (or was retracted); the case keeps its clocks' as detail,
        'chưa nhận được nguồn tin ' || c.report_id || ' (hoặc đã bị rút); vụ án vẫn được tính thời hạn'
            as detail_vi
    from cases as c
    where
        c.report_id is not null
        and not exists (select 1 from {{ ref('stg_landing__crime_reports') }} as r where r.report_id = c.report_id)
),

movements as (
    select * from {{ ref('stg_landing__detention_movements') }}
),

exits_before_entry as (
    select
        'movement_order' as rule,
        'detention_movements' as table_name,
        m.movement_id as record_id,
        (
            select arg_max(o.unit_code, o.start_at)
            from {{ ref('stg_landing__detention_orders') }} as o
            where o.person_id = m.person_id and o.facility_code = m.facility_code
        ) as unit_code,
        m.movement_type || ' of person ' || m.person_id || ' at ' || m.facility_code || ' on '
            || strftime(m.movement_at, '%d/%m/%Y %H:%M')
            || ' comes before any intake or transfer_in there' as detail,
        case m.movement_type when 'release' then 'Trả tự do' else 'Chuyển đi' end
            || ' bị can ' || m.person_id || ' tại ' || m.facility_code || ' lúc '
            || strftime(m.movement_at, '%d/%m/%Y %H:%M')
            || ' xảy ra trước mọi lần tiếp nhận (intake) hoặc chuyển đến (transfer_in) tại đó' as detail_vi
    from movements as m
    where
        m.movement_type in ('release', 'transfer_out')
        and not exists (
            select 1
            from movements as i
            where
                i.person_id = m.person_id
                and i.facility_code = m.facility_code
                and i.movement_type in ('intake', 'transfer_in')
                and i.movement_at <= m.movement_at
        )
),

charge_events as (
    select
        e.subject_id as person_id,
        e.case_id,
        min(e.event_date) as first_charged_on,
        arg_min(e.event_id, e.event_date) as first_event_id,
        list(e.event_date) as charged_dates
    from case_events as e
    where e.event_type = 'person_charged' and e.subject_type = 'person' and not e.is_reference_pending
    group by all
),

charged_date_conflicts as (
    select
        'fact_conflict' as rule,
        'persons' as table_name,
        p.person_id || '|' || p.case_id as record_id,
        c.unit_code,
        'persons.charged_date ' || strftime(p.charged_date, '%d/%m/%Y')
            || ' differs from person_charged event ' || ce.first_event_id || ' on '
            || strftime(ce.first_charged_on, '%d/%m/%Y') || ' (the event wins)' as detail,
        'persons.charged_date ' || strftime(p.charged_date, '%d/%m/%Y')
            || ' khác ngày của sự kiện khởi tố bị can ' || ce.first_event_id || ' ('
            || strftime(ce.first_charged_on, '%d/%m/%Y') || '); lấy theo sự kiện' as detail_vi
    from persons as p
    inner join charge_events as ce on ce.person_id = p.person_id and ce.case_id = p.case_id
    left join cases as c on c.case_id = p.case_id
    where
        not p.is_reference_pending
        and p.charged_date is not null
        and not list_contains(ce.charged_dates, p.charged_date)
),

execution_person_conflicts as (
    select
        'fact_conflict' as rule,
        'execution_events' as table_name,
        x.event_id as record_id,
        j.unit_code,
        'execution event names person ' || x.person_id || ' but judgement ' || j.judgement_id
            || ' is about person ' || j.person_id as detail,
        'sự kiện thi hành án ghi bị án ' || x.person_id || ' nhưng bản án ' || j.judgement_id
            || ' là của bị cáo ' || j.person_id as detail_vi
    from {{ ref('stg_landing__execution_events') }} as x
    inner join judgements as j on j.judgement_id = x.judgement_id
    where not x.is_reference_pending and x.person_id <> j.person_id
),

event_judgement_case_conflicts as (
    select
        'fact_conflict' as rule,
        'case_events' as table_name,
        e.event_id as record_id,
        j.unit_code,
        e.event_type || ' states case ' || e.case_id || ' but judgement ' || j.judgement_id
            || ' belongs to case ' || j.case_id as detail,
        e.event_type || ' ghi vụ án ' || e.case_id || ' nhưng bản án ' || j.judgement_id
            || ' thuộc vụ án ' || j.case_id as detail_vi
    from case_events as e
    inner join judgements as j
        on j.judgement_id = coalesce(e.judgement_id, case when e.subject_type = 'judgement' then e.subject_id end)
    where e.case_id is not null and e.case_id <> j.case_id
),

final as (
    select * from pending_persons
    union all
    select * from pending_judgements
    union all
    select * from pending_orders
    union all
    select * from pending_execution
    union all
    select * from pending_events
    union all
    select * from unknown_reports
    union all
    select * from exits_before_entry
    union all
    select * from charged_date_conflicts
    union all
    select * from execution_person_conflicts
    union all
    select * from event_judgement_case_conflicts
)

select * from final
