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
-- column period_kind: month / quarter / calendar_year / statistical_year / statistical_half / campaign (loại kỳ)
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

-- the definition version in force in each period (latest valid_from overlapping it)
catalogue as (
    select i.indicator_code, i.stage, i.kind, i.direction, i.version, p.period_kind, p.period_start
    from indicator_stages as i
    join periods as p on i.valid_from <= p.period_end and i.valid_to >= p.period_start
    qualify row_number() over (
        partition by i.indicator_code, i.stage, p.period_kind, p.period_start order by i.valid_from desc
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

keys as (
    select c.indicator_code, c.stage, g.hierarchy, g.unit_code, g.period_kind, g.period_start
    from intermediate.int_unit_grid as g
    join catalogue as c on c.period_kind = g.period_kind and c.period_start = g.period_start
    union
    -- units outside the grid (codes not in reference.units, records dated outside a unit's
    -- validity) when they have something to show; a unit handing over its open work on the day
    -- after its valid_to has only zeros in that period
    select x.indicator_code, x.stage, x.hierarchy, x.unit_code, x.period_kind, x.period_start
    from computed as x
    join catalogue as c
        on c.indicator_code = x.indicator_code and c.stage = x.stage
       and c.period_kind = x.period_kind and c.period_start = x.period_start
    where coalesce(x.numerator, 0) <> 0 or coalesce(x.denominator, 0) <> 0 or x.value is not null
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

status_labels as (
    select code, label_vi from reference.codes where list = 'target_status'
),

valued as (
    select
        k.indicator_code,
        k.stage,
        k.hierarchy,
        k.unit_code,
        k.period_kind,
        k.period_start,
        c.kind,
        c.direction,
        c.version as definition_version,
        case
            when c.kind = 'count' then coalesce(x.numerator, 0)
            when c.kind = 'rate' then coalesce(x.numerator, 0)
            else x.numerator
        end as numerator,
        case
            when c.kind = 'count' then cast(null as double)
            when c.kind = 'rate' then coalesce(x.denominator, 0)
            else x.denominator
        end as denominator,
        case
            when c.kind = 'count' then coalesce(x.numerator, 0)
            when c.kind = 'rate' then case when x.denominator > 0 then x.numerator / x.denominator end
            else x.value
        end as value
    from keys as k
    join catalogue as c
        on c.indicator_code = k.indicator_code and c.stage = k.stage
       and c.period_kind = k.period_kind and c.period_start = k.period_start
    left join computed as x
        on x.indicator_code = k.indicator_code and x.stage = k.stage and x.hierarchy = k.hierarchy
       and x.unit_code = k.unit_code and x.period_kind = k.period_kind and x.period_start = k.period_start
),

with_targets as (
    select
        v.*,
        p.period_end,
        p.measured_through,
        p.is_complete,
        t.target_value,
        t.comparator as target_comparator,
        t.exceed_margin as target_exceed_margin,
        t.source_document as target_source,
        t.is_confirmed as target_is_confirmed
    from valued as v
    join periods as p on p.period_kind = v.period_kind and p.period_start = v.period_start
    left join targets as t
        on t.indicator_code = v.indicator_code
       and (t.stage = '*' or t.stage = v.stage)
       and t.valid_from <= p.period_end and t.valid_to >= p.period_start
    qualify row_number() over (
        partition by v.indicator_code, v.stage, v.hierarchy, v.unit_code, v.period_kind, v.period_start
        order by t.valid_from desc nulls last, case when t.stage = '*' then 1 else 0 end
    ) = 1
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
    from with_targets
),

final as (
    select
        s.indicator_code,
        s.stage,
        s.hierarchy,
        s.unit_code,
        coalesce(r.has_children, false) as is_rollup,
        s.period_kind,
        s.period_start,
        s.period_end,
        s.measured_through,
        s.is_complete,
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
        coalesce(u.is_illustrative, false) as is_illustrative,
        coalesce(u.is_partial_rollup, false) as is_partial_rollup,
        u.coverage_note_en,
        cast($as_of as date) as as_of
    from statused as s
    left join marts.units as u on u.hierarchy = s.hierarchy and u.unit_code = s.unit_code
    left join (
        select hierarchy, rollup_code as unit_code, true as has_children
        from rollups where rollup_code <> unit_code group by all
    ) as r on r.hierarchy = s.hierarchy and r.unit_code = s.unit_code
    left join status_labels as l on l.code = s.target_status
)

select * from final
