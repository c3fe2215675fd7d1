-- Which unit answers for a recorded unit on a given day (contract outputs §2.2, as_was): the unit
-- itself up to its valid_to, then its successor (reference.units.successor_code), followed
-- through every later re-organisation. A unit that ends without a successor keeps its records.
-- Join on origin_code with the day between effective_from and effective_to: exactly one row.
-- grain: origin_code, effective_from
-- column origin_code: the unit code as recorded on the case, report or transfer (đơn vị ghi nhận)
-- column unit_code: the unit answering for it in that period (đơn vị kế thừa)
-- column depth: 0 for the unit itself, 1 for its successor, and so on
-- column effective_from: first day of the period
-- column effective_to: last day of the period

with recursive
units as (
    select unit_code, valid_to, successor_code
    from reference.units
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
