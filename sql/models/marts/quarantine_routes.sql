-- Where each quarantined row goes back: the first unit found, in this order (route_via).
with quarantined_rows as (
    select
        batch_id,
        file_name,
        row_number,
        any_value(table_name) as table_name,
        any_value(record_id) as record_id,
        max(unit_code) as unit_code,
        max(related_ids) as related_ids
    from {{ source('raw', 'quarantine') }}
    group by batch_id, file_name, row_number
),

known_units as (
    select unit_code from {{ source('reference', 'units') }}
),

keyed as (
    select
        q.*,
        json_extract_string(q.related_ids, '$.subject_type') as subject_type,
        coalesce(
            json_extract_string(q.related_ids, '$.case_id'),
            case when json_extract_string(q.related_ids, '$.subject_type') = 'case'
                    then json_extract_string(q.related_ids, '$.subject_id') end,
            case when q.table_name in ('cases', 'persons') then split_part(q.record_id, '|', 2) end
        ) as case_key,
        coalesce(
            json_extract_string(q.related_ids, '$.judgement_id'),
            case when json_extract_string(q.related_ids, '$.subject_type') = 'judgement'
                    then json_extract_string(q.related_ids, '$.subject_id') end
        ) as judgement_key,
        coalesce(
            json_extract_string(q.related_ids, '$.person_id'),
            case when json_extract_string(q.related_ids, '$.subject_type') = 'person'
                    then json_extract_string(q.related_ids, '$.subject_id') end,
            case when q.table_name = 'persons' then split_part(q.record_id, '|', 1) end
        ) as person_key,
        coalesce(
            json_extract_string(q.related_ids, '$.report_id'),
            case when json_extract_string(q.related_ids, '$.subject_type') = 'report'
                    then json_extract_string(q.related_ids, '$.subject_id') end
        ) as report_key
    from quarantined_rows as q
),

-- units of the records already received: accepted versions first, then the readable unit of a
-- rejected row of the same record (another file of the batch, or an earlier batch)
quarantined_units as (
    select q.table_name, q.record_id, max(q.unit_code) as unit_code
    from quarantined_rows as q
    inner join known_units as u on q.unit_code = u.unit_code
    where q.record_id is not null
    group by all
),

record_units as (
    -- a record that carries its unit: the latest version's
    {%- for kind, id_column, table in [
        ('case', 'case_id', 'cases'),
        ('judgement', 'judgement_id', 'judgements'),
        ('report', 'report_id', 'crime_reports'),
        ('order', 'order_id', 'detention_orders'),
        ('score', 'score_id', 'manual_scores'),
    ] %}
    select '{{ kind }}' as kind, {{ id_column }} as id, arg_max(unit_code, updated_at) as unit_code, 1 as rank
    from {{ source('raw', table) }}
    group by {{ id_column }}
    union all
    {%- endfor %}
    -- a person: the unit of the latest detention order, else of the case, else of a judgement
    select 'person', person_id, arg_max(unit_code, start_at), 1
    from {{ source('raw', 'detention_orders') }}
    group by person_id
    union all
    select 'person', p.person_id, arg_max(c.unit_code, c.updated_at), 2
    from {{ source('raw', 'persons') }} as p
    inner join {{ source('raw', 'cases') }} as c on p.case_id = c.case_id
    group by p.person_id
    union all
    select 'person', person_id, arg_max(unit_code, updated_at), 3
    from {{ source('raw', 'judgements') }}
    group by person_id
    union all
    select
        case table_name
            when 'cases' then 'case' when 'judgements' then 'judgement'
            when 'crime_reports' then 'report' when 'detention_orders' then 'order'
            when 'manual_scores' then 'score'
        end,
        record_id,
        unit_code,
        4
    from quarantined_units
    where table_name in ('cases', 'judgements', 'crime_reports', 'detention_orders', 'manual_scores')
),

units_by_key as (
    select kind, id, arg_min(unit_code, rank) as unit_code
    from record_units
    where id is not null and unit_code is not null
    group by kind, id
),

-- a batch whose rows name one unit only (a unit's own export) goes back to that unit
batch_units as (
    select batch_id, any_value(unit_code) as unit_code
    from (
        {%- for t in unit_tables() %}
        select _batch_id as batch_id, unit_code from {{ source('raw', t) }}
        union all
        {%- endfor %}
        select q.batch_id, q.unit_code
        from quarantined_rows as q
        inner join known_units as u on q.unit_code = u.unit_code
    )
    where unit_code is not null
    group by batch_id
    having count(distinct unit_code) = 1
),

-- last resort: the unit that answers for the system that exported the batch (manifest)
source_units as (
    select l.batch_id, any_value(s.unit_code) as unit_code
    from {{ source('raw', 'batch_ledger') }} as l
    inner join {{ source('reference', 'source_systems') }} as s on l.source_system = s.source_system
    group by l.batch_id
),

candidates as (
    select k.batch_id, k.file_name, k.row_number, k.unit_code, 'row' as route_via, 1 as rank
    from keyed as k
    inner join known_units as u on k.unit_code = u.unit_code
    union all
    select k.batch_id, k.file_name, k.row_number, r.unit_code, 'record', 2
    from keyed as k
    inner join units_by_key as r
        on
            r.id = split_part(k.record_id, '|', 1)
            and r.kind = case k.table_name
                when 'cases' then 'case' when 'judgements' then 'judgement'
                when 'crime_reports' then 'report' when 'detention_orders' then 'order'
                when 'manual_scores' then 'score'
            end
    union all
    select k.batch_id, k.file_name, k.row_number, r.unit_code, 'case', 3
    from keyed as k
    inner join units_by_key as r on r.kind = 'case' and r.id = k.case_key
    union all
    select k.batch_id, k.file_name, k.row_number, r.unit_code, 'judgement', 4
    from keyed as k
    inner join units_by_key as r on r.kind = 'judgement' and r.id = k.judgement_key
    union all
    select k.batch_id, k.file_name, k.row_number, r.unit_code, 'report', 5
    from keyed as k
    inner join units_by_key as r on r.kind = 'report' and r.id = k.report_key
    union all
    select k.batch_id, k.file_name, k.row_number, r.unit_code, 'person', 6
    from keyed as k
    inner join units_by_key as r on r.kind = 'person' and r.id = k.person_key
    union all
    select k.batch_id, k.file_name, k.row_number, b.unit_code, 'batch', 7
    from keyed as k
    inner join batch_units as b on k.batch_id = b.batch_id
    union all
    select k.batch_id, k.file_name, k.row_number, s.unit_code, 'source_system', 8
    from keyed as k
    inner join source_units as s on k.batch_id = s.batch_id
),

chosen as (
    select
        batch_id,
        file_name,
        row_number,
        arg_min(unit_code, rank) as route_unit,
        arg_min(route_via, rank) as route_via
    from candidates
    group by batch_id, file_name, row_number
),

final as (
    select
        k.batch_id,
        k.file_name,
        k.row_number,
        k.table_name,
        k.record_id,
        c.route_unit,
        c.route_via,
        case
            when c.route_unit is null then
                'Không xác định được đơn vị: '
                || case
                    when k.unit_code is not null then 'mã đơn vị ''' || k.unit_code || ''' không có trong danh mục, '
                    else 'dòng không có mã đơn vị đọc được, '
                end
                || 'không có vụ án, bị can, bản án, nguồn tin hay lệnh liên quan đã nhận, '
                || 'lô gồm nhiều đơn vị và hệ thống nguồn của lô không gắn với đơn vị nào'
        end as unrouted_reason_vi,
        case
            when c.route_unit is null then
                'No unit found: '
                || case
                    when k.unit_code is not null then 'unit code ''' || k.unit_code || ''' is not in the units reference, '
                    else 'the row has no readable unit_code, '
                end
                || 'no related case, person, judgement, report or order has been received, '
                || 'the batch names several units and its source system maps to no unit'
        end as unrouted_reason_en
    from keyed as k
    left join chosen as c using (batch_id, file_name, row_number)
)

select * from final
