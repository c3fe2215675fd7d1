-- The two views of the unit history count the same work: for every indicator, stage and
-- period, the numerators and denominators summed over the top-level units (the provinces, and
-- unit codes without a parent) are equal in as_was and in as_is. Indicators that count distinct
-- cases or persons are left out: a case or person that passed through both the former and the
-- merged province in one period is one in as_is and one in each province in as_was.
{{ config(meta={'dagster': {'ref': {'name': 'indicator_values'}}}) }}

with top_level as (
    select hierarchy, unit_code from {{ ref('units') }} where parent_code is null
),

totals as (
    select v.indicator_code, v.stage, v.period_kind, v.period_start, v.hierarchy,
           sum(coalesce(v.numerator, 0)) as numerator,
           sum(coalesce(v.denominator, 0)) as denominator
    from {{ ref('indicator_values') }} as v
    join top_level as t on t.hierarchy = v.hierarchy and t.unit_code = v.unit_code
    where v.indicator_code not in ('vks_return_rate', 'court_return_rate', 'wrongful_prosecution_count',
                                   'overdue_custody_count', 'overdue_detention_count')
    group by all
)

select
    coalesce(w.indicator_code, i.indicator_code) as indicator_code,
    coalesce(w.stage, i.stage) as stage,
    coalesce(w.period_kind, i.period_kind) as period_kind,
    coalesce(w.period_start, i.period_start) as period_start,
    w.numerator as as_was_numerator, i.numerator as as_is_numerator,
    w.denominator as as_was_denominator, i.denominator as as_is_denominator
from (select * from totals where hierarchy = 'as_was') as w
full outer join (select * from totals where hierarchy = 'as_is') as i
    on i.indicator_code = w.indicator_code and i.stage = w.stage
   and i.period_kind = w.period_kind and i.period_start = w.period_start
where coalesce(w.numerator, 0) <> coalesce(i.numerator, 0)
   or coalesce(w.denominator, 0) <> coalesce(i.denominator, 0)
