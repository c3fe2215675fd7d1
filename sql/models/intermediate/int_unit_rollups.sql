with recursive units as (
    select unit_code, nullif(trim(parent_code), '') as parent_code from {{ source('reference', 'units') }}
),

mapped as (
    select distinct hierarchy, mapped_code as unit_code from {{ ref('int_unit_mappings') }}
),

ancestors as (
    select unit_code, unit_code as ancestor_code, 0 as depth from (select distinct unit_code from mapped)
    union all
    select a.unit_code, u.parent_code, a.depth + 1
    from ancestors as a
    join units as u on u.unit_code = a.ancestor_code
    where u.parent_code is not null and a.depth < 10
),

as_is_of as (
    select unit_code, mapped_code from {{ ref('int_unit_mappings') }} where hierarchy = 'as_is'
),

closure as (
    select m.hierarchy, m.unit_code,
           case when m.hierarchy = 'as_is' then coalesce(i.mapped_code, a.ancestor_code)
                else a.ancestor_code end as rollup_code,
           a.depth
    from mapped as m
    join ancestors as a on a.unit_code = m.unit_code
    left join as_is_of as i on i.unit_code = a.ancestor_code
),

final as (
    select hierarchy, unit_code, rollup_code, min(depth) as depth
    from closure
    group by hierarchy, unit_code, rollup_code
)

select * from final
