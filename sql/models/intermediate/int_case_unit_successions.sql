with recursive
units as (
    select unit_code, valid_to, successor_code
    from {{ source('reference', 'units') }}
),

chain (origin_code, unit_code, valid_to, successor_code, depth) as (
    select unit_code, unit_code, valid_to, successor_code, 0
    from units
    union all
    select c.origin_code, u.unit_code, u.valid_to, u.successor_code, c.depth + 1
    from chain as c
    inner join units as u on u.unit_code = c.successor_code
    where c.valid_to is not null and c.depth < 20
),

final as (
    select
        origin_code,
        unit_code,
        depth,
        coalesce(
            lag(valid_to) over (partition by origin_code order by depth) + 1,
            date '0001-01-01'
        ) as effective_from,
        case
            when successor_code is null or valid_to is null then date '9999-12-31'
            else valid_to
        end as effective_to
    from chain
)

select * from final
