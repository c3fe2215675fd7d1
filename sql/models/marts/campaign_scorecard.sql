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
        v.target_status,
        'case_data' as source,
        cast(null as varchar) as manual_note,
        cast(null as varchar) as manual_units,
        v.is_illustrative, v.is_partial_rollup
    from {{ ref('indicator_values') }} as v
    join indicators as i on i.indicator_code = v.indicator_code and i.source = 'case_data'
    where v.stage = 'all'
),

grid as (
    select distinct unit_code, hierarchy, period_kind, period_start, period_end, is_illustrative, is_partial_rollup
    from {{ ref('indicator_values') }}
),

manual_entries as (
    select s.unit_code as entered_unit, s.indicator_code, s.period_kind, s.period_start, s.value, s.note,
           m.hierarchy, m.mapped_code as unit_code
    from {{ ref('stg_landing__manual_scores') }} as s
    join {{ ref('int_unit_mappings') }} as m
        on m.unit_code = s.unit_code and s.period_start between m.from_date and m.to_date
    where s.indicator_code in (select indicator_code from indicators where source = 'manual')
),

manual_values as (
    select hierarchy, unit_code, indicator_code, period_kind, period_start,
           avg(value) as value,
           string_agg(note, '; ' order by entered_unit, note) as manual_note,
           string_agg(entered_unit, ',' order by entered_unit) as manual_units
    from manual_entries
    group by all
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
        -- the codes of codes.csv target_status, as in indicator_values (contract 1.1 §3)
        r.target_status as status,
        r.target_status,
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
