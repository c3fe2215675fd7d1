-- For every stage, unit (both hierarchies) and month: open at the start of the month + received
-- + transferred in − transferred out (case transfers and re-organisation) − resolved = open at
-- its end (the end of the month, or as_of for the running month). Stocks come from clock states
-- at the date (int_stage_stocks), flows from dated events (int_stage_flows): a failing row means
-- the two computations disagree.
{{ config(meta={'dagster': {'ref': {'name': 'int_stage_stocks'}}}) }}

with months as (
    select period_start as month_start, measured_through
    from {{ ref('int_periods') }}
    where period_kind = 'month'
),

stocks as (
    select stage, hierarchy, unit_code, stock_date, open_count from {{ ref('int_stage_stocks') }}
),

flows as (
    select * from {{ ref('int_stage_flows') }}
),

keys as (
    select distinct stage, hierarchy, unit_code from stocks
    union
    select distinct stage, hierarchy, unit_code from flows
),

balance as (
    select
        k.stage, k.hierarchy, k.unit_code, m.month_start,
        coalesce(s0.open_count, 0) as open_at_start,
        coalesce(f.received, 0) as received,
        coalesce(f.transferred_in, 0) + coalesce(f.reorganised_in, 0) as transferred_in,
        coalesce(f.transferred_out, 0) + coalesce(f.reorganised_out, 0) as transferred_out,
        coalesce(f.resolved, 0) as resolved,
        coalesce(s1.open_count, 0) as open_at_end
    from keys as k
    cross join months as m
    left join stocks as s0
        on s0.stage = k.stage and s0.hierarchy = k.hierarchy and s0.unit_code = k.unit_code
       and s0.stock_date = m.month_start - 1
    left join stocks as s1
        on s1.stage = k.stage and s1.hierarchy = k.hierarchy and s1.unit_code = k.unit_code
       and s1.stock_date = m.measured_through
    left join flows as f
        on f.stage = k.stage and f.hierarchy = k.hierarchy and f.unit_code = k.unit_code
       and f.month_start = m.month_start
)

select *, open_at_start + received + transferred_in - transferred_out - resolved - open_at_end as difference
from balance
where open_at_start + received + transferred_in - transferred_out - resolved <> open_at_end
