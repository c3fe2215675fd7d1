with cases as (
    select case_id, unit_code from {{ ref('stg_landing__cases') }}
),

-- the receiving unit at the end of each transfer day
transfer_days as (
    select case_id, transferred_on, arg_max(to_unit_code, transfer_no) as unit_code
    from {{ ref('int_unit_case_transfers') }}
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
    join {{ ref('int_unit_mappings') }} as m
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
    from {{ ref('int_unit_mappings') }}
),

final as (
    select * from case_segments
    union all
    select * from unit_segments
)

select * from final
