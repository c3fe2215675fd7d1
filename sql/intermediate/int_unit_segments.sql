-- The unit a record is attributed to on any date, in both hierarchies, as date ranges per
-- attribution key. Key 'case:<case_id>' follows the case through its transfers (the unit at the
-- end of a day is the receiving unit of that day's last transfer; before any transfer,
-- cases.unit_code); key 'unit:<unit_code>' is a record that stays with its own unit (reports,
-- custody and detention orders, judgements). Both then go through int_unit_mappings (successor
-- after the unit's valid_to in as_was; today's successor in as_is).
-- Look-ups: join on attribution_key and `date between from_date and to_date` (end of that day).
-- grain: attribution_key, hierarchy, from_date
-- column attribution_key: 'case:<case_id>' or 'unit:<unit_code>'
-- column raw_unit_code: the unit carried by the records on those dates (after case transfers)
-- column unit_code: the unit the record is attributed to in this hierarchy
-- column is_illustrative: the attribution rests on an illustrative unit mapping

with cases as (
    select case_id, unit_code from staging.stg_landing__cases
),

-- the receiving unit at the end of each transfer day
transfer_days as (
    select case_id, transferred_on, arg_max(to_unit_code, transfer_no) as unit_code
    from intermediate.int_unit_case_transfers
    group by case_id, transferred_on
),

case_ranges as (
    select
        c.case_id,
        date '0001-01-01' as from_date,
        coalesce(cast(min(t.transferred_on) - 1 as date), date '9999-12-31') as to_date,
        c.unit_code
    from cases as c
    left join transfer_days as t on t.case_id = c.case_id
    group by c.case_id, c.unit_code
    union all
    select
        case_id,
        transferred_on,
        coalesce(cast(lead(transferred_on) over (partition by case_id order by transferred_on) - 1 as date),
                 date '9999-12-31'),
        unit_code
    from transfer_days
),

case_segments as (
    select
        'case:' || r.case_id as attribution_key,
        m.hierarchy,
        greatest(r.from_date, m.from_date) as from_date,
        least(r.to_date, m.to_date) as to_date,
        r.unit_code as raw_unit_code,
        m.mapped_code as unit_code,
        m.is_illustrative
    from case_ranges as r
    join intermediate.int_unit_mappings as m
        on m.unit_code = r.unit_code
       and m.from_date <= r.to_date
       and m.to_date >= r.from_date
    where r.from_date <= r.to_date
),

unit_segments as (
    select
        'unit:' || unit_code as attribution_key,
        hierarchy,
        from_date,
        to_date,
        unit_code as raw_unit_code,
        mapped_code as unit_code,
        is_illustrative
    from intermediate.int_unit_mappings
),

final as (
    select * from case_segments
    union all
    select * from unit_segments
)

select * from final
