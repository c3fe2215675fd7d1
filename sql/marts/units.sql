-- The unit hierarchy (đơn vị) as the indicators use it, one row per view and unit: in as_was
-- every unit as it existed (Bến Tre's district procuracies under VKSND tỉnh Bến Tre to
-- 30/06/2025, the regional procuracies under VKSND tỉnh Vĩnh Long from 01/07/2025); in as_is
-- every unit of today with everything mapped to it. Flags say when a figure rests on an
-- illustrative mapping, and when a province roll-up covers only part of the province: a
-- province formed by merger covers only the former units present in the data (VKSND tỉnh Vĩnh
-- Long: only the former Bến Tre units).
-- grain: hierarchy, unit_code
-- column hierarchy: as_was (đơn vị tại thời điểm) or as_is (đơn vị hiện nay)
-- column unit_code: the unit (mã đơn vị)
-- column name_vi: its name (tên đơn vị); the code when the unit is not in reference.units
-- column level: province / district / region (cấp)
-- column parent_code: the unit it rolls up to in this view (đơn vị cấp trên)
-- column valid_from: first day the unit exists
-- column valid_to: last day the unit exists; empty while it does
-- column successor_code: the unit taking over its work after valid_to (đơn vị kế thừa)
-- column as_is_code: today's successor (đơn vị hiện nay)
-- column source: source of the unit row and its succession (căn cứ)
-- column member_units: unit codes whose records are counted in this row (itself, its children, its predecessors), comma-separated
-- column is_illustrative: the row's figures rest on a unit or succession marked illustrative, not yet confirmed (minh họa)
-- column is_partial_rollup: a province formed by merger whose roll-up covers only the former units present in the data (tổng hợp chưa đầy đủ)
-- column coverage_note_vi: what the partial roll-up covers, in Vietnamese
-- column coverage_note_en: the same in English
-- column is_known_unit: the unit is in reference.units

with units as (
    select unit_code, name_vi, level, nullif(trim(parent_code), '') as parent_code,
           cast(valid_from as date) as valid_from, cast(valid_to as date) as valid_to,
           nullif(trim(successor_code), '') as successor_code, source
    from reference.units
),

mappings as (
    select * from intermediate.int_unit_mappings
),

rollups as (
    select * from intermediate.int_unit_rollups
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
