-- Roll-up closure of the unit hierarchy: every attributed unit with itself (depth 0) and each
-- parent above it (depth 1, 2, ...) by reference.units.parent_code. In the as_is view the
-- parents are themselves replaced by today's successor (Bến Tre's district procuracies and the
-- province roll up to VKSND tỉnh Vĩnh Long). A figure of a unit is added into every rollup_code.
-- grain: hierarchy, unit_code, rollup_code
-- column unit_code: a unit records are attributed to (mapped_code of int_unit_mappings)
-- column rollup_code: the unit itself or one of its parents in this view (đơn vị tổng hợp)
-- column depth: 0 for the unit itself, 1 for its parent, ...

with recursive units as (
    select unit_code, nullif(trim(parent_code), '') as parent_code from reference.units
),

mapped as (
    select distinct hierarchy, mapped_code as unit_code from intermediate.int_unit_mappings
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
    select unit_code, mapped_code from intermediate.int_unit_mappings where hierarchy = 'as_is'
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
