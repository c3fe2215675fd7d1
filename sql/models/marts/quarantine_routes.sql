with quarantined_rows as (
    select
        batch_id,
        file_name,
        row_number,
        any_value(table_name) as table_name,
        any_value(record_id) as record_id,
        max(unit_code) as unit_code
    from {{ ref('quarantine') }}
    group by batch_id, file_name, row_number
),

-- the latest known unit of the records a rejected row refers to
cases as (
    select case_id, arg_max(unit_code, updated_at) as unit_code
    from {{ source('raw', 'cases') }}
    group by 1
),

judgements as (
    select judgement_id, arg_max(unit_code, updated_at) as unit_code
    from {{ source('raw', 'judgements') }}
    group by 1
),

events as (
    select
        event_id,
        arg_max(coalesce(case_id, case when subject_type = 'case' then subject_id end), updated_at)
            as case_id,
        arg_max(judgement_id, updated_at) as judgement_id
    from {{ source('raw', 'case_events') }}
    group by 1
),

executions as (
    select event_id, arg_max(judgement_id, updated_at) as judgement_id
    from {{ source('raw', 'execution_events') }}
    group by 1
),

movements as (
    select movement_id, arg_max(person_id, updated_at) as person_id
    from {{ source('raw', 'detention_movements') }}
    group by 1
),

orders as (
    select person_id, arg_max(unit_code, start_at) as unit_code
    from {{ source('raw', 'detention_orders') }}
    group by 1
),

-- a row without a readable unit_code goes to the unit of a related record already received
related as (
    select
        q.batch_id,
        q.file_name,
        q.row_number,
        case q.table_name
            when 'persons' then (
                select unit_code from cases where case_id = split_part(q.record_id, '|', 2))
            when 'case_events' then coalesce(
                (select c.unit_code from events as e inner join cases as c using (case_id)
                 where e.event_id = q.record_id),
                (select j.unit_code from events as e inner join judgements as j using (judgement_id)
                 where e.event_id = q.record_id))
            when 'execution_events' then (
                select j.unit_code from executions as x inner join judgements as j using (judgement_id)
                where x.event_id = q.record_id)
            when 'detention_movements' then (
                select o.unit_code from movements as v inner join orders as o using (person_id)
                where v.movement_id = q.record_id)
        end as unit_code,
        case q.table_name
            when 'persons' then 'case'
            when 'case_events' then 'case'
            when 'execution_events' then 'judgement'
            when 'detention_movements' then 'detention_order'
        end as via
    from quarantined_rows as q
    where q.unit_code is null and q.record_id is not null
),

-- else, a batch whose rows name one unit only (a unit's own export) goes back to that unit
batch_units as (
    select batch_id, any_value(unit_code) as unit_code
    from (
        {%- for t in unit_tables() %}
        select _batch_id as batch_id, unit_code from {{ source('raw', t) }}
        union all
        {%- endfor %}
        select batch_id, unit_code from {{ ref('quarantine') }}
    )
    where unit_code is not null
    group by batch_id
    having count(distinct unit_code) = 1
),

final as (
    select
        q.batch_id,
        q.file_name,
        q.row_number,
        q.table_name,
        q.record_id,
        coalesce(q.unit_code, r.unit_code, b.unit_code) as route_unit,
        case
            when q.unit_code is not null then 'row'
            when r.unit_code is not null then r.via
            when b.unit_code is not null then 'batch'
        end as route_via
    from quarantined_rows as q
    left join related as r using (batch_id, file_name, row_number)
    left join batch_units as b on b.batch_id = q.batch_id
)

select * from final
