with periods as (
    select * from {{ ref('int_periods') }}
),

indicators as (
    select
        indicator_code,
        string_split(stages, '|') as stage_list,
        kind,
        direction,
        cast(version as varchar) as version,
        coalesce(try_cast(valid_from as date), date '0001-01-01') as valid_from,
        coalesce(try_cast(valid_to as date), date '9999-12-31') as valid_to
    from {{ source('reference', 'indicators') }}
    where source = 'case_data'
),

indicator_stages as (
    select indicator_code, unnest(stage_list) as stage, kind, direction, version, valid_from, valid_to
    from indicators
),

targets as (
    select
        indicator_code,
        coalesce(nullif(trim(cast(stage as varchar)), ''), '*') as stage,
        trim(comparator) as comparator,
        try_cast(value as double) as target_value,
        try_cast(exceed_margin as double) as exceed_margin,
        source_document,
        coalesce(try_cast(is_confirmed as boolean), false) as is_confirmed,
        coalesce(try_cast(valid_from as date), date '0001-01-01') as valid_from,
        coalesce(try_cast(valid_to as date), date '9999-12-31') as valid_to
    from {{ source('reference', 'targets') }}
),

-- per indicator, stage and period: the definition version in force (latest valid_from
-- overlapping the period) and the target in force (latest valid_from overlapping the period; a
-- stage-specific target before a '*' one). A small table: the period grid joins it by equality.
catalogue as (
    select i.indicator_code, i.stage, i.kind, i.direction, i.version, p.period_kind, p.period_start
    from indicator_stages as i
    join periods as p on i.valid_from <= p.period_end and i.valid_to >= p.period_start
    qualify row_number() over (
        partition by i.indicator_code, i.stage, p.period_kind, p.period_start order by i.valid_from desc
    ) = 1
),

catalogue_targets as (
    select c.*, t.target_value, t.comparator as target_comparator, t.exceed_margin as target_exceed_margin,
           t.source_document as target_source, t.is_confirmed as target_is_confirmed
    from catalogue as c
    join periods as p on p.period_kind = c.period_kind and p.period_start = c.period_start
    left join targets as t
        on t.indicator_code = c.indicator_code
       and (t.stage = '*' or t.stage = c.stage)
       and t.valid_from <= p.period_end and t.valid_to >= p.period_start
    qualify row_number() over (
        partition by c.indicator_code, c.stage, c.period_kind, c.period_start
        order by t.valid_from desc nulls last, case when t.stage = '*' then 1 else 0 end
    ) = 1
),

rollups as (
    select hierarchy, unit_code, rollup_code from {{ ref('int_unit_rollups') }}
),

monthly as (
    select indicator_code, hierarchy, unit_code, month_start, numerator, denominator
    from {{ ref('int_indicator_clock_months') }}
    union all
    select indicator_code, hierarchy, unit_code, month_start, numerator, denominator
    from {{ ref('int_indicator_event_months') }}
),

monthly_rolled as (
    select m.indicator_code, 'all' as stage, m.hierarchy, r.rollup_code as unit_code,
           pm.period_kind, pm.period_start,
           sum(m.numerator) as numerator,
           sum(m.denominator) as denominator,
           cast(null as double) as value
    from monthly as m
    join {{ ref('int_period_months') }} as pm on pm.month_start = m.month_start
    join rollups as r on r.hierarchy = m.hierarchy and r.unit_code = m.unit_code
    group by all
),

computed as (
    select * from monthly_rolled
    union all
    select indicator_code, stage, hierarchy, unit_code, period_kind, period_start, numerator, denominator, value
    from {{ ref('int_indicator_stage_values') }}
    union all
    select indicator_code, stage, hierarchy, unit_code, period_kind, period_start, numerator, denominator, value
    from {{ ref('int_indicator_returns') }}
    union all
    select indicator_code, stage, hierarchy, unit_code, period_kind, period_start, numerator, denominator, value
    from {{ ref('int_indicator_persons') }}
),

grid as (
    select g.hierarchy, g.unit_code, c.*
    from {{ ref('int_unit_grid') }} as g
    join catalogue_targets as c on c.period_kind = g.period_kind and c.period_start = g.period_start
),

-- Every grid row, with its computed figures when there are any; and the computed rows of units
-- outside the grid (codes not in reference.units, records dated outside a unit's validity) when
-- they have something to show: a unit handing over its open work on the day after its valid_to
-- has only zeros in that period.
matched as (
    select
        coalesce(g.indicator_code, x.indicator_code) as indicator_code,
        coalesce(g.stage, x.stage) as stage,
        coalesce(g.hierarchy, x.hierarchy) as hierarchy,
        coalesce(g.unit_code, x.unit_code) as unit_code,
        coalesce(g.period_kind, x.period_kind) as period_kind,
        coalesce(g.period_start, x.period_start) as period_start,
        g.indicator_code is not null as in_grid,
        x.numerator, x.denominator, x.value
    from grid as g
    full outer join computed as x
        on x.indicator_code = g.indicator_code and x.stage = g.stage and x.hierarchy = g.hierarchy
       and x.unit_code = g.unit_code and x.period_kind = g.period_kind and x.period_start = g.period_start
    where g.indicator_code is not null
       or coalesce(x.numerator, 0) <> 0 or coalesce(x.denominator, 0) <> 0 or x.value is not null
),

valued as (
    select
        m.indicator_code, m.stage, m.hierarchy, m.unit_code, m.period_kind, m.period_start,
        c.kind, c.direction, c.version as definition_version,
        c.target_value, c.target_comparator, c.target_exceed_margin, c.target_source, c.target_is_confirmed,
        case when c.kind in ('count', 'rate') then coalesce(m.numerator, 0) else m.numerator end as numerator,
        case when c.kind = 'count' then cast(null as double)
             when c.kind = 'rate' then coalesce(m.denominator, 0)
             else m.denominator end as denominator,
        case when c.kind = 'count' then coalesce(m.numerator, 0)
             when c.kind = 'rate' then case when m.denominator > 0 then m.numerator / m.denominator end
             else m.value end as value
    from matched as m
    join catalogue_targets as c
        on c.indicator_code = m.indicator_code and c.stage = m.stage
       and c.period_kind = m.period_kind and c.period_start = m.period_start
),

statused as (
    select
        *,
        case
            when value is null then 'insufficient_data'
            when target_value is null or target_comparator is null then 'no_target'
            when target_comparator = '>=' then case
                when target_exceed_margin is not null and value >= target_value + target_exceed_margin - 1e-9 then 'exceeded'
                when value >= target_value - 1e-9 then 'met'
                else 'missed' end
            when target_comparator = '<=' then case
                when target_exceed_margin is not null and value <= target_value - target_exceed_margin + 1e-9 then 'exceeded'
                when value <= target_value + 1e-9 then 'met'
                else 'missed' end
            when target_comparator = '=' then case
                when abs(value - target_value) <= 1e-9 then 'met'
                else 'missed' end
            else 'no_target'
        end as target_status
    from valued
),

unit_flags as (
    select
        u.hierarchy,
        u.unit_code,
        u.is_illustrative,
        u.is_partial_rollup,
        u.coverage_note_en,
        exists (select 1 from rollups as r  -- noqa: LT01, LT06
                where r.hierarchy = u.hierarchy and r.rollup_code = u.unit_code and r.unit_code <> u.unit_code)
            as is_rollup
    from {{ ref('units') }} as u
),

status_labels as (
    select code, label_vi from {{ source('reference', 'codes') }} where list = 'target_status'
),

final as (
    select
        s.indicator_code,
        s.stage,
        s.hierarchy,
        s.unit_code,
        coalesce(f.is_rollup, false) as is_rollup,
        s.period_kind,
        s.period_start,
        p.period_end,
        p.measured_through,
        p.is_complete,
        s.kind,
        s.direction,
        -- counts of items (and of days) are whole numbers: integers, never 4.0
        cast(s.numerator as bigint) as numerator,
        cast(s.denominator as bigint) as denominator,
        s.value,
        s.target_value,
        s.target_comparator,
        s.target_exceed_margin,
        s.target_source,
        s.target_is_confirmed,
        s.target_status,
        l.label_vi as target_status_vi,
        s.definition_version,
        coalesce(f.is_illustrative, false) as is_illustrative,
        coalesce(f.is_partial_rollup, false) as is_partial_rollup,
        f.coverage_note_en,
        cast({{ as_of() }} as date) as as_of
    from statused as s
    join periods as p on p.period_kind = s.period_kind and p.period_start = s.period_start
    left join unit_flags as f on f.hierarchy = s.hierarchy and f.unit_code = s.unit_code
    left join status_labels as l on l.code = s.target_status
)

select * from final
