with clocks as (
    select clock_id, stage, case_id, attribution_key, started_on, closed_on,
           is_closed_by_suspension, is_closed_by_transfer, is_on_time
    from {{ ref('int_indicator_clocks') }}
    where stage is not null
),

received as (
    select c.stage, s.hierarchy, s.unit_code, c.started_on as flow_date,
           1 as received, 0 as resolved, 0 as resolved_suspended, 0 as resolved_transferred,
           0 as resolved_on_time, 0 as transferred_in, 0 as transferred_out,
           0 as reorganised_in, 0 as reorganised_out
    from clocks as c
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = c.attribution_key
       and c.started_on between s.from_date and s.to_date
),

resolved as (
    select c.stage, s.hierarchy, s.unit_code, c.closed_on as flow_date,
           0, 1,
           cast(c.is_closed_by_suspension as integer),
           cast(c.is_closed_by_transfer as integer),
           cast(c.is_on_time as integer),
           0, 0, 0, 0
    from clocks as c
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = c.attribution_key
       and c.closed_on between s.from_date and s.to_date
    where c.closed_on is not null
),

-- An item moves with its case when it was open at the end of the day before the transfer and
-- is still open (or closes) on the transfer day.
case_moves as (
    select c.stage, f.hierarchy, f.mapped_code as from_unit, t.mapped_code as to_unit,
           x.transferred_on as flow_date
    from {{ ref('int_unit_case_transfers') }} as x
    join clocks as c
        on c.case_id = x.case_id
       and c.attribution_key = 'case:' || x.case_id
       and c.started_on < x.transferred_on
       and coalesce(c.closed_on, date '9999-12-31') >= x.transferred_on
    join {{ ref('int_unit_mappings') }} as f
        on f.unit_code = x.from_unit_code and x.transferred_on between f.from_date and f.to_date
    join {{ ref('int_unit_mappings') }} as t
        on t.unit_code = x.to_unit_code and t.hierarchy = f.hierarchy
       and x.transferred_on between t.from_date and t.to_date
    where f.mapped_code <> t.mapped_code
),

-- Re-organisation boundaries: a unit code attributed to one unit up to day t-1 and to another from day t.
boundaries as (
    select m.unit_code as raw_unit_code, m.from_date as reorganised_on,
           p.mapped_code as from_unit, m.mapped_code as to_unit
    from {{ ref('int_unit_mappings') }} as m
    join {{ ref('int_unit_mappings') }} as p
        on p.hierarchy = m.hierarchy and p.unit_code = m.unit_code and p.to_date = m.from_date - 1
    where m.hierarchy = 'as_was' and m.mapped_code <> p.mapped_code
),

reorganisation_moves as (
    select c.stage, 'as_was' as hierarchy, b.from_unit, b.to_unit, b.reorganised_on as flow_date
    from boundaries as b
    join {{ ref('int_unit_segments') }} as s
        on s.hierarchy = 'as_was' and s.raw_unit_code = b.raw_unit_code
       and b.reorganised_on - 1 between s.from_date and s.to_date
    join clocks as c
        on c.attribution_key = s.attribution_key
       and c.started_on < b.reorganised_on
       and coalesce(c.closed_on, date '9999-12-31') >= b.reorganised_on
),

moves as (
    select stage, hierarchy, from_unit as unit_code, flow_date, 0, 0, 0, 0, 0, 0, 1, 0, 0 from case_moves
    union all
    select stage, hierarchy, to_unit, flow_date, 0, 0, 0, 0, 0, 1, 0, 0, 0 from case_moves
    union all
    select stage, hierarchy, from_unit, flow_date, 0, 0, 0, 0, 0, 0, 0, 0, 1 from reorganisation_moves
    union all
    select stage, hierarchy, to_unit, flow_date, 0, 0, 0, 0, 0, 0, 0, 1, 0 from reorganisation_moves
),

all_flows as (
    select * from received
    union all select * from resolved
    union all select * from moves
),

final as (
    select
        stage,
        hierarchy,
        unit_code,
        cast(date_trunc('month', flow_date) as date) as month_start,
        sum(received) as received,
        sum(resolved) as resolved,
        sum(resolved_suspended) as resolved_suspended,
        sum(resolved_transferred) as resolved_transferred,
        sum(resolved_on_time) as resolved_on_time,
        sum(transferred_in) as transferred_in,
        sum(transferred_out) as transferred_out,
        sum(reorganised_in) as reorganised_in,
        sum(reorganised_out) as reorganised_out
    from all_flows
    group by all
)

select * from final
