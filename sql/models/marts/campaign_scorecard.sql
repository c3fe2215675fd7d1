with pillars as (
    select p.pillar, p.pillar_group, p.name_vi as pillar_name_vi, p.name_en as pillar_name_en, p.sort_order
    from {{ source('reference', 'campaign_pillars') }} as p
    join {{ source('reference', 'campaign') }} as c on c.campaign_code = p.campaign_code
),

indicators as (
    select indicator_code, name_vi, name_en, kind, direction, pillar, source
    from {{ source('reference', 'indicators') }}
    where pillar is not null and pillar in (select pillar from pillars)
),

case_rows as (
    select
        v.unit_code, v.hierarchy, v.period_kind, v.period_start, v.period_end,
        i.pillar, v.indicator_code, v.kind, v.value,
        v.target_value, v.target_comparator, v.target_exceed_margin, v.target_is_confirmed,
        v.target_status, v.is_complete,
        'case_data' as source,
        cast(null as varchar) as manual_note,
        cast(null as varchar) as manual_units,
        v.is_illustrative, v.is_partial_rollup
    from {{ ref('indicator_values') }} as v
    join indicators as i on i.indicator_code = v.indicator_code and i.source = 'case_data'
    where v.stage = 'all' and v.period_kind <> 'rolling_12m'
),

grid as (
    select distinct unit_code, hierarchy, period_kind, period_start, period_end, is_complete,
           is_illustrative, is_partial_rollup
    from {{ ref('indicator_values') }}
    where period_kind <> 'rolling_12m'
),

-- Manual scores: each entry mapped to its unit in each view, then counted for that unit and
-- every roll-up above it (int_unit_rollups), and for every grid period that contains the
-- entered period (a statistical year's score counts for the campaign too).
manual_entries as (
    select s.unit_code as entered_unit, s.indicator_code, s.period_kind, s.period_start, s.value, s.note,
           m.hierarchy, m.mapped_code,
           cast(case s.period_kind
               when 'month' then s.period_start + interval 1 month
               when 'quarter' then s.period_start + interval 3 month
               when 'statistical_half' then s.period_start + interval 6 month
               when 'campaign' then s.period_start + interval 1 day
               else s.period_start + interval 1 year end - interval 1 day as date) as period_end
    from {{ ref('stg_landing__manual_scores') }} as s
    join {{ ref('int_unit_mappings') }} as m
        on m.unit_code = s.unit_code and s.period_start between m.from_date and m.to_date
    where s.indicator_code in (select indicator_code from indicators where source = 'manual')
),

manual_rolled as (
    select e.*, r.rollup_code as unit_code
    from manual_entries as e
    join {{ ref('int_unit_rollups') }} as r on r.hierarchy = e.hierarchy and r.unit_code = e.mapped_code
),

-- Per grid period, the entries of one entered kind only: the period's own kind when entered,
-- else the longest kind entered inside it (a unit entering months and years is not counted twice).
manual_matched as (
    select g.hierarchy, g.unit_code, g.period_kind as grid_kind, g.period_start as grid_start,
           e.indicator_code, e.entered_unit, e.period_kind, e.period_start, e.value, e.note
    from grid as g
    join manual_rolled as e
        on e.hierarchy = g.hierarchy and e.unit_code = g.unit_code
       and e.period_start >= g.period_start and e.period_end <= g.period_end
    qualify dense_rank() over (
        partition by g.hierarchy, g.unit_code, g.period_kind, g.period_start, e.indicator_code
        order by e.period_kind = g.period_kind desc,
                 case e.period_kind when 'campaign' then 0 when 'statistical_year' then 1
                      when 'calendar_year' then 2 when 'na_year' then 3 when 'statistical_half' then 4
                      when 'quarter' then 5 else 6 end
    ) = 1
),

-- A score is averaged over the units and periods entered; a count (direct inspections) is summed.
manual_values as (
    select m.hierarchy, m.unit_code, m.indicator_code, m.grid_kind as period_kind, m.grid_start as period_start,
           case when any_value(i.kind) = 'count' then sum(m.value) else avg(m.value) end as value,
           string_agg(distinct m.note, '; ' order by m.note) as manual_note,
           string_agg(distinct m.entered_unit, ',' order by m.entered_unit) as manual_units
    from manual_matched as m
    join indicators as i on i.indicator_code = m.indicator_code
    group by m.hierarchy, m.unit_code, m.indicator_code, m.grid_kind, m.grid_start
),

targets as (
    select
        indicator_code,
        trim(comparator) as comparator,
        try_cast(value as double) as target_value,
        try_cast(exceed_margin as double) as exceed_margin,
        coalesce(try_cast(is_confirmed as boolean), false) as is_confirmed,
        coalesce(try_cast(valid_from as date), date '0001-01-01') as valid_from,
        coalesce(try_cast(valid_to as date), date '9999-12-31') as valid_to
    from {{ source('reference', 'targets') }}
),

manual_rows as (
    select
        g.unit_code, g.hierarchy, g.period_kind, g.period_start, g.period_end,
        i.pillar, i.indicator_code, i.kind, mv.value,
        t.target_value, t.comparator as target_comparator, t.exceed_margin as target_exceed_margin,
        t.is_confirmed as target_is_confirmed,
        case
            when mv.value is null then 'insufficient_data'
            when t.target_value is null or t.comparator is null then 'no_target'
            when t.comparator = '>=' then case
                when t.exceed_margin is not null and mv.value >= t.target_value + t.exceed_margin - 1e-9 then 'exceeded'
                when mv.value >= t.target_value - 1e-9 then 'met' else 'missed' end
            when t.comparator = '<=' then case
                when t.exceed_margin is not null and mv.value <= t.target_value - t.exceed_margin + 1e-9 then 'exceeded'
                when mv.value <= t.target_value + 1e-9 then 'met' else 'missed' end
            when t.comparator = '=' then case when abs(mv.value - t.target_value) <= 1e-9 then 'met' else 'missed' end
            else 'no_target'
        end as target_status,
        g.is_complete,
        'manual' as source,
        mv.manual_note,
        mv.manual_units,
        g.is_illustrative, g.is_partial_rollup
    from grid as g
    cross join (select * from indicators where source = 'manual') as i
    left join manual_values as mv
        on mv.hierarchy = g.hierarchy and mv.unit_code = g.unit_code and mv.indicator_code = i.indicator_code
       and mv.period_kind = g.period_kind and mv.period_start = g.period_start
    left join targets as t
        on t.indicator_code = i.indicator_code and t.valid_from <= g.period_end and t.valid_to >= g.period_start
    qualify row_number() over (
        partition by g.unit_code, g.hierarchy, g.period_kind, g.period_start, i.indicator_code
        order by t.valid_from desc nulls last
    ) = 1
),

all_rows as (
    select * from case_rows
    union all
    select * from manual_rows
),

final as (
    select
        r.unit_code,
        r.hierarchy,
        r.period_kind,
        r.period_start,
        r.period_end,
        r.pillar,
        p.pillar_group,
        p.pillar_name_vi,
        p.pillar_name_en,
        r.indicator_code,
        i.name_vi as indicator_name_vi,
        i.name_en as indicator_name_en,
        r.kind,
        r.value,
        r.target_value,
        r.target_comparator,
        r.target_is_confirmed,
        -- the codes of codes.csv target_status (contract 1.1 §3); a verdict only for a period that
        -- has ended: a running one is in_progress (its value so far stays in value)
        case when not r.is_complete and r.target_status in ('met', 'exceeded', 'missed')
             then 'in_progress' else r.target_status end as status,
        -- the verdict the value so far would get (indicator_values.target_status): status once
        -- the period has ended
        r.target_status,
        r.is_complete,
        r.target_exceed_margin,
        r.source,
        r.manual_note,
        r.manual_units,
        r.is_illustrative,
        r.is_partial_rollup,
        cast({{ as_of() }} as date) as as_of
    from all_rows as r
    join pillars as p on p.pillar = r.pillar
    join indicators as i on i.indicator_code = r.indicator_code
)

select * from final
