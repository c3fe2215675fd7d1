with units as (
    select unit_code, cast(valid_from as date) as valid_from, cast(valid_to as date) as valid_to
    from {{ source('reference', 'units') }}
),

periods as (
    select period_kind, period_start, period_end from {{ ref('int_periods') }}
),

leaf as (
    select m.hierarchy, m.mapped_code as unit_code, p.period_kind, p.period_start
    from units as u
    join periods as p
        on coalesce(u.valid_from, date '0001-01-01') <= p.period_end
       and coalesce(u.valid_to, date '9999-12-31') >= p.period_start
    join {{ ref('int_unit_mappings') }} as m
        on m.unit_code = u.unit_code
       and (m.hierarchy = 'as_is' or m.mapped_code = u.unit_code)
),

final as (
    select distinct l.hierarchy, r.rollup_code as unit_code, l.period_kind, l.period_start
    from leaf as l
    join {{ ref('int_unit_rollups') }} as r on r.hierarchy = l.hierarchy and r.unit_code = l.unit_code
)

select * from final
