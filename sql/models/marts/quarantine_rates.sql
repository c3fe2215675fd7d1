with accepted as (
    select batch_id, unit_code, count(*) as accepted, 0 as quarantined
    from (
        {%- for t in unit_tables() %}
        {% if not loop.first %}union all{% endif %}
        select _batch_id as batch_id, unit_code from {{ source('raw', t) }}
        {%- endfor %}
    )
    group by all
),

quarantined as (
    select
        batch_id,
        unit_code,
        0 as accepted,
        count(distinct (file_name, row_number)) as quarantined  -- noqa: ST08, LT01, LT06
    from {{ ref('quarantine') }}
    where table_name in ('{{ unit_tables() | join("', '") }}')
    group by all
),

per_unit as (
    select batch_id, unit_code, sum(accepted) as accepted, sum(quarantined) as quarantined
    from (select * from accepted union all select * from quarantined)
    group by all
),

final as (
    select
        batch_id,
        unit_code,
        cast(accepted as bigint) as accepted,
        cast(quarantined as bigint) as quarantined,
        cast(case when unit_code is not null then accepted + quarantined end as bigint) as landed,
        case when unit_code is not null then quarantined / (accepted + quarantined) end
            as quarantine_rate
    from per_unit
)

select * from final
