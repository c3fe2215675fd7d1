-- Quality indicators (chỉ tiêu nghiệp vụ) of the catalogue (reference.indicators, outputs.md
-- §2.3) per unit and roll-up, in both unit views, for every period kind, with the target in
-- force and whether it was met. A unit with no activity still has its row: a count of 0, or a
-- rate over nothing (insufficient_data). Rates are fractions in [0, 1]; counts have no denominator.
-- "At period end" figures are taken at measured_through (the period end, or $as_of for the running period).
-- grain: indicator_code, stage, hierarchy, unit_code, period_kind, period_start
-- column indicator_code: the indicator (mã chỉ tiêu), reference.indicators
-- column stage: report / investigation / prosecution / trial for the per-stage indicators, else all (giai đoạn)
-- column hierarchy: as_was (đơn vị tại thời điểm) or as_is (đơn vị hiện nay), outputs.md §2.2
-- column unit_code: a unit, or a parent unit's roll-up of itself and its children (đơn vị)
-- column is_rollup: the unit has units below it in this view whose figures are included
-- column period_kind: month / quarter / calendar_year / statistical_year / statistical_half / na_year / campaign (loại kỳ)
-- column period_start: first day of the period (từ ngày)
-- column period_end: last day of the period, the real end even while it runs (đến ngày)
-- column measured_through: least(period_end, as_of): flows counted through it, stocks taken at its end
-- column is_complete: the period ended on or before as_of (kỳ đã kết thúc)
-- column kind: rate / count / days
-- column direction: higher_is_better / lower_is_better
-- column numerator: for rates the items counted (tử số), for counts the count, for disposition_time_days the open items at period end; empty for pending_age_p90_days
-- column denominator: for rates the items they are counted among (mẫu số); for disposition_time_days the resolved items; for pending_age_p90_days the open items; empty for counts
-- column value: the indicator value (giá trị): numerator / denominator for rates, the count, or days; empty when there is nothing to compute it on
-- column target_value: the target in force in the period (chỉ tiêu), reference.targets; empty when none or when the target has no number
-- column target_comparator: >=, <= or = (so sánh)
-- column target_exceed_margin: margin beyond the target that counts as exceeded (vượt); empty: exceeded is not used
-- column target_source: the document the target comes from (nguồn chỉ tiêu)
-- column target_is_confirmed: false when the target is not confirmed from its source document (chưa xác nhận)
-- column target_status: met / exceeded / missed / no_target / insufficient_data
-- column target_status_vi: đạt / vượt / không đạt / chưa có chỉ tiêu / chưa đủ dữ liệu
-- column definition_version: version of the indicator definition applied (phiên bản định nghĩa)
-- column is_illustrative: the figures rest on a unit or succession marked illustrative (minh họa)
-- column is_partial_rollup: the roll-up covers only part of the province (the merged VKSND tỉnh Vĩnh Long: only the former Bến Tre units present in the data)
-- column coverage_note_en: what a partial roll-up covers
-- column as_of: the run's as-of date (ngày chốt số liệu)

with periods as (
    select * from intermediate.int_periods
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
    from reference.indicators
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
    from reference.targets
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
    select hierarchy, unit_code, rollup_code from intermediate.int_unit_rollups
),

monthly as (
    select indicator_code, hierarchy, unit_code, month_start, numerator, denominator
    from intermediate.int_indicator_clock_months
    union all
    select indicator_code, hierarchy, unit_code, month_start, numerator, denominator
    from intermediate.int_indicator_event_months
),

monthly_rolled as (
    select m.indicator_code, 'all' as stage, m.hierarchy, r.rollup_code as unit_code,
           pm.period_kind, pm.period_start,
           sum(m.numerator) as numerator,
           sum(m.denominator) as denominator,
           cast(null as double) as value
    from monthly as m
    join intermediate.int_period_months as pm on pm.month_start = m.month_start
    join rollups as r on r.hierarchy = m.hierarchy and r.unit_code = m.unit_code
    group by all
),

computed as (
    select * from monthly_rolled
    union all
    select indicator_code, stage, hierarchy, unit_code, period_kind, period_start, numerator, denominator, value
    from intermediate.int_indicator_stage_values
    union all
    select indicator_code, stage, hierarchy, unit_code, period_kind, period_start, numerator, denominator, value
    from intermediate.int_indicator_returns
    union all
    select indicator_code, stage, hierarchy, unit_code, period_kind, period_start, numerator, denominator, value
    from intermediate.int_indicator_persons
),

grid as (
    select g.hierarchy, g.unit_code, c.*
    from intermediate.int_unit_grid as g
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
        exists (select 1 from rollups as r
                where r.hierarchy = u.hierarchy and r.rollup_code = u.unit_code and r.unit_code <> u.unit_code)
            as is_rollup
    from marts.units as u
),

status_labels as (
    select code, label_vi from reference.codes where list = 'target_status'
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
        s.numerator,
        s.denominator,
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
        cast($as_of as date) as as_of
    from statused as s
    join periods as p on p.period_kind = s.period_kind and p.period_start = s.period_start
    left join unit_flags as f on f.hierarchy = s.hierarchy and f.unit_code = s.unit_code
    left join status_labels as l on l.code = s.target_status
)

select * from final
