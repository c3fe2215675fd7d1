-- Individual targets (chỉ tiêu cho từng cá nhân): each prosecutor's statistical-year figures
-- against the optional per-prosecutor targets of reference.prosecutor_targets (a prosecutor's own
-- row before a unit's '*' row before an every-prosecutor '*' row; the latest valid_from first).
with indicators as (
    select * from {{ ref('int_prosecutor_indicators') }}
),

targets as (
    select
        coalesce(nullif(trim(cast(prosecutor_id as varchar)), ''), '*') as prosecutor_id,
        coalesce(nullif(trim(cast(unit_code as varchar)), ''), '*') as unit_code,
        trim(cast(indicator_code as varchar)) as indicator_code,
        trim(cast(comparator as varchar)) as comparator,
        try_cast(value as double) as target_value,
        cast(source_document as varchar) as source_document,
        coalesce(try_cast(valid_from as date), date '0001-01-01') as valid_from,
        coalesce(try_cast(valid_to as date), date '9999-12-31') as valid_to
    from {{ source('reference', 'prosecutor_targets') }}
),

matched as (
    select i.*, t.target_value, t.comparator as target_comparator, t.source_document as target_source
    from indicators as i
    left join targets as t
        on t.indicator_code = i.indicator_code
       and t.prosecutor_id in (i.prosecutor_id, '*')
       and t.unit_code in (i.unit_code, '*')
       and t.valid_from <= i.period_end and t.valid_to >= i.period_start
    qualify row_number() over (
        partition by i.unit_code, i.period_start, i.prosecutor_id, i.indicator_code
        order by t.prosecutor_id = '*', t.unit_code = '*', t.valid_from desc nulls last
    ) = 1
),

statused as (
    select
        *,
        case
            when value is null then 'insufficient_data'
            when target_value is null or target_comparator is null then 'no_target'
            when target_comparator = '>=' then case when value >= target_value - 1e-9 then 'met' else 'missed' end
            when target_comparator = '<=' then case when value <= target_value + 1e-9 then 'met' else 'missed' end
            when target_comparator = '=' then case when abs(value - target_value) <= 1e-9 then 'met' else 'missed' end
            else 'no_target'
        end as target_status
    from matched
),

final as (
    select
        unit_code,
        prosecutor_id,
        period_start,
        period_end,
        period_name,
        is_complete,
        indicator_code,
        kind,
        direction,
        numerator,
        denominator,
        value,
        is_suppressed,
        target_value,
        target_comparator,
        target_source,
        -- a verdict only once the statistical year has ended (codes.csv target_status)
        case when not is_complete and target_status in ('met', 'missed') then 'in_progress'
             else target_status end as status,
        target_status,
        cast({{ as_of() }} as date) as as_of
    from statused
)

select * from final
