-- int_prosecutor_years, one row per indicator: what a prosecutor is held against and compared on.
with p as (
    select * from {{ ref('int_prosecutor_years') }}
),

long as (
    select unit_code, period_start, period_end, period_name, is_complete, prosecutor_id, is_suppressed,
           'on_time_rate' as indicator_code, 'rate' as kind, 'higher_is_better' as direction,
           on_time_clocks as numerator, closed_clocks as denominator, on_time_rate as value
    from p
    union all
    select unit_code, period_start, period_end, period_name, is_complete, prosecutor_id, is_suppressed,
           'closed_clocks', 'count', 'higher_is_better', closed_clocks, null, closed_clocks
    from p
    union all
    select unit_code, period_start, period_end, period_name, is_complete, prosecutor_id, is_suppressed,
           'wrongful_prosecution_count', 'count', 'lower_is_better', wrongful_prosecution_count, null,
           wrongful_prosecution_count
    from p
    union all
    select unit_code, period_start, period_end, period_name, is_complete, prosecutor_id, is_suppressed,
           'court_return_count', 'count', 'lower_is_better', court_return_count, null, court_return_count
    from p
),

-- a suppressed caseload shows no figure at all
final as (
    select unit_code, period_start, period_end, period_name, is_complete, prosecutor_id, is_suppressed,
           indicator_code, kind, direction,
           case when not is_suppressed then cast(numerator as bigint) end as numerator,
           case when not is_suppressed then cast(denominator as bigint) end as denominator,
           case when not is_suppressed then cast(value as double) end as value
    from long
)

select * from final
