-- Which unit a record of a given unit_code is attributed to on a given date, in both views of
-- the unit history (outputs.md §2.2):
--   as_was: the unit itself while it exists; after its valid_to, its successor (following
--           successor_code step by step, each unit until its own valid_to);
--   as_is:  today's successor (the end of the successor_code chain), whatever the date.
-- Unit codes found in the data but not in reference.units map to themselves (is_known_unit false).
-- A date range is inclusive at both ends; open ends are 0001-01-01 and 9999-12-31.
-- grain: hierarchy, unit_code, from_date
-- column hierarchy: as_was (đơn vị tại thời điểm) or as_is (đơn vị hiện nay)
-- column unit_code: the unit code carried by the record
-- column from_date: first date this mapping applies to
-- column to_date: last date this mapping applies to
-- column mapped_code: the unit the record is attributed to in this view on those dates
-- column is_illustrative: the mapping (or the unit reached) rests on an illustrative source (minh họa, chưa xác nhận)
-- column is_known_unit: the unit code is in reference.units

with recursive units as (
    select
        unit_code,
        nullif(trim(successor_code), '') as successor_code,
        cast(valid_to as date) as valid_to,
        coalesce(source, '') = 'illustrative' as is_illustrative
    from reference.units
),

data_units as (
    select unit_code from marts.deadlines
    union select unit_code from staging.stg_landing__cases
    union select to_unit_code from staging.stg_landing__case_events where event_type = 'case_transferred'
    union select unit_code from staging.stg_landing__crime_reports
    union select unit_code from staging.stg_landing__judgements
    union select unit_code from staging.stg_landing__detention_orders
    union select unit_code from staging.stg_landing__manual_scores
    union select unit_code from marts.deadline_findings
),

unknown_units as (
    select distinct unit_code from data_units
    where unit_code is not null and unit_code not in (select unit_code from units)
),

-- Walk each unit's successor chain: step k is the unit in force after k re-organisations.
chain as (
    select
        unit_code,
        0 as step,
        unit_code as mapped_code,
        date '0001-01-01' as from_date,
        valid_to,
        successor_code,
        is_illustrative,
        is_illustrative as path_illustrative
    from units
    union all
    select
        c.unit_code,
        c.step + 1,
        s.unit_code,
        cast(c.valid_to + 1 as date),
        s.valid_to,
        s.successor_code,
        s.is_illustrative,
        c.path_illustrative or s.is_illustrative
    from chain as c
    join units as s on s.unit_code = c.successor_code
    where c.valid_to is not null and c.step < 20
),

as_was as (
    select
        'as_was' as hierarchy,
        unit_code,
        from_date,
        case when valid_to is null or successor_code is null
                  or successor_code not in (select unit_code from units)
             then date '9999-12-31' else valid_to end as to_date,
        mapped_code,
        path_illustrative as is_illustrative,
        true as is_known_unit
    from chain
),

as_is as (
    select
        'as_is' as hierarchy,
        unit_code,
        date '0001-01-01' as from_date,
        date '9999-12-31' as to_date,
        arg_max(mapped_code, step) as mapped_code,
        bool_or(path_illustrative) as is_illustrative,
        true as is_known_unit
    from chain
    group by unit_code
),

unknown as (
    select h.hierarchy, u.unit_code, date '0001-01-01' as from_date, date '9999-12-31' as to_date,
           u.unit_code as mapped_code, false as is_illustrative, false as is_known_unit
    from unknown_units as u, (values ('as_was'), ('as_is')) as h(hierarchy)
),

final as (
    select * from as_was where from_date <= to_date
    union all
    select * from as_is
    union all
    select * from unknown
)

select * from final
