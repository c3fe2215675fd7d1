with units as (
    select unit_code, name_vi, level, nullif(trim(parent_code), '') as parent_code,
           cast(valid_from as date) as valid_from, cast(valid_to as date) as valid_to,
           nullif(trim(successor_code), '') as successor_code, source
    from {{ source('reference', 'units') }}
),

mappings as (
    select * from {{ ref('int_unit_mappings') }}
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

-- every (view, unit) a figure can be reported under
view_units as (
    select distinct hierarchy, rollup_code as unit_code from rollups
),

members as (
    select r.hierarchy, r.rollup_code as unit_code,
           string_agg(distinct m.unit_code, ',' order by m.unit_code) as member_units,
           bool_or(m.is_illustrative) as is_illustrative,
           bool_and(m.is_known_unit) as all_known
    from mappings as m
    join rollups as r on r.hierarchy = m.hierarchy and r.unit_code = m.mapped_code
    group by all
),

parents as (
    select hierarchy, unit_code, min_by(rollup_code, depth) as parent_code
    from rollups
    where depth > 0
    group by all
),

merged_from as (
    select s.unit_code,
           string_agg(p.name_vi, ', ' order by p.unit_code) as predecessors_vi,
           string_agg(p.unit_code, ', ' order by p.unit_code) as predecessor_codes
    from units as s
    join units as p on p.successor_code = s.unit_code and p.level = 'province'
    group by all
),

as_is_codes as (
    select unit_code, mapped_code as as_is_code from mappings where hierarchy = 'as_is'
),

final as (
    select
        v.hierarchy,
        v.unit_code,
        coalesce(u.name_vi, v.unit_code) as name_vi,
        u.level,
        p.parent_code,
        u.valid_from,
        u.valid_to,
        u.successor_code,
        coalesce(a.as_is_code, v.unit_code) as as_is_code,
        u.source,
        m.member_units,
        coalesce(m.is_illustrative, false) or coalesce(u.source = 'illustrative', false) as is_illustrative,
        mf.unit_code is not null as is_partial_rollup,
        case when mf.unit_code is not null
             then 'Chỉ gồm các đơn vị thuộc ' || mf.predecessors_vi
                  || ' (cũ) có trong dữ liệu; chưa gồm các đơn vị khác hợp nhất vào ' || u.name_vi
        end as coverage_note_vi,
        case when mf.unit_code is not null
             then 'Covers only the units of the former ' || mf.predecessor_codes
                  || ' present in the data, not the other procuracies merged into ' || v.unit_code
        end as coverage_note_en,
        u.unit_code is not null as is_known_unit
    from view_units as v
    left join units as u on u.unit_code = v.unit_code
    left join members as m on m.hierarchy = v.hierarchy and m.unit_code = v.unit_code
    left join parents as p on p.hierarchy = v.hierarchy and p.unit_code = v.unit_code
    left join merged_from as mf on mf.unit_code = v.unit_code
    left join as_is_codes as a on a.unit_code = v.unit_code
)

select * from final
