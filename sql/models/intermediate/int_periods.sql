with bounds as (
    select
        cast({{ as_of() }} as date) as as_of,
        -- never before the reference calendar: no deadline can be computed earlier
        greatest(
            least(
                cast({{ as_of() }} as date),
                coalesce((select min(started_on) from {{ ref('int_deadlines') }}), cast({{ as_of() }} as date)),
                coalesce(
                    (select min(event_date) from {{ ref('stg_landing__case_events') }}
                     where not is_reference_pending),
                    cast({{ as_of() }} as date)
                )
            ),
            (select min(date) from {{ source('reference', 'calendar') }})
        ) as first_date
),

months as (
    select cast(m as date) as period_start
    from bounds, generate_series(
        cast(date_trunc('month', first_date) as timestamp),
        cast(date_trunc('month', as_of) as timestamp),
        interval 1 month
    ) as g (m)
),

quarters as (
    select distinct cast(date_trunc('quarter', period_start) as date) as period_start from months
),

calendar_years as (
    select distinct cast(date_trunc('year', period_start) as date) as period_start from months
),

-- A statistical year starts on 01/12; December belongs to the next year's period.
statistical_years as (
    select distinct
        case when month(period_start) = 12 then period_start
             else make_date(year(period_start) - 1, 12, 1) end as period_start
    from months
),

statistical_halves as (
    select distinct
        case when month(period_start) = 12 then period_start
             when month(period_start) <= 5 then make_date(year(period_start) - 1, 12, 1)
             else make_date(year(period_start), 6, 1) end as period_start
    from months
),

-- A National Assembly reporting year starts on 01/10; October–December belong to the next year's.
na_years as (
    select distinct
        case when month(period_start) >= 10 then make_date(year(period_start), 10, 1)
             else make_date(year(period_start) - 1, 10, 1) end as period_start
    from months
),

-- A rolling twelve months ends with each month: the span an annual target can be held against
-- month by month. Only windows whose first month has data (no window half before the records).
rolling as (
    select cast(period_start - interval 11 month as date) as period_start, period_start as last_month
    from months, bounds
    where period_start - interval 11 month >= date_trunc('month', first_date)
),

campaign as (
    select cast(valid_from as date) as period_start, cast(valid_to as date) as period_end, name_vi, name_en
    from {{ source('reference', 'campaign') }}
),

all_periods as (
    select 'month' as period_kind, period_start,
           cast(period_start + interval 1 month - interval 1 day as date) as period_end,
           strftime(period_start, '%Y-%m') as period_name,
           'Tháng ' || strftime(period_start, '%m/%Y') as label_vi,
           strftime(period_start, '%B %Y') as label_en
    from months
    union all
    select 'quarter', period_start,
           cast(period_start + interval 3 month - interval 1 day as date),
           strftime(period_start, '%Y') || '-Q' || quarter(period_start),
           'Quý ' || ['I', 'II', 'III', 'IV'][quarter(period_start)] || '/' || strftime(period_start, '%Y'),
           'Q' || quarter(period_start) || ' ' || strftime(period_start, '%Y')
    from quarters
    union all
    select 'calendar_year', period_start,
           cast(period_start + interval 1 year - interval 1 day as date),
           strftime(period_start, '%Y'),
           'Năm ' || strftime(period_start, '%Y'),
           'Calendar year ' || strftime(period_start, '%Y')
    from calendar_years
    union all
    select 'statistical_year', period_start,
           cast(period_start + interval 1 year - interval 1 day as date),
           'SY' || (year(period_start) + 1),
           'Năm thống kê ' || (year(period_start) + 1) || ' (01/12/' || year(period_start)
               || '–30/11/' || (year(period_start) + 1) || ')',
           'Statistical year ' || (year(period_start) + 1) || ' (1 Dec ' || year(period_start)
               || ' – 30 Nov ' || (year(period_start) + 1) || ')'
    from statistical_years
    union all
    select 'statistical_half', period_start,
           cast(period_start + interval 6 month - interval 1 day as date),
           'SY' || (year(period_start) + case when month(period_start) = 12 then 1 else 0 end)
               || case when month(period_start) = 12 then '-H1' else '-H2' end,
           case when month(period_start) = 12
                then '6 tháng đầu năm thống kê ' || (year(period_start) + 1)
                     || ' (01/12/' || year(period_start) || '–31/05/' || (year(period_start) + 1) || ')'
                else '6 tháng cuối năm thống kê ' || year(period_start)
                     || ' (01/06–30/11/' || year(period_start) || ')' end,
           case when month(period_start) = 12
                then 'First half of statistical year ' || (year(period_start) + 1)
                     || ' (1 Dec ' || year(period_start) || ' – 31 May ' || (year(period_start) + 1) || ')'
                else 'Second half of statistical year ' || year(period_start)
                     || ' (1 Jun – 30 Nov ' || year(period_start) || ')' end
    from statistical_halves
    union all
    select 'na_year', period_start,
           cast(period_start + interval 1 year - interval 1 day as date),
           'NA' || (year(period_start) + 1),
           'Năm báo cáo Quốc hội ' || (year(period_start) + 1) || ' (01/10/' || year(period_start)
               || '–30/09/' || (year(period_start) + 1) || ')',
           'National Assembly reporting year ' || (year(period_start) + 1) || ' (1 Oct '
               || year(period_start) || ' – 30 Sep ' || (year(period_start) + 1) || ')'
    from na_years
    union all
    select 'rolling_12m', period_start,
           cast(last_month + interval 1 month - interval 1 day as date),
           'R12-' || strftime(last_month, '%Y-%m'),
           '12 tháng đến hết tháng ' || strftime(last_month, '%m/%Y'),
           '12 months to the end of ' || strftime(last_month, '%B %Y')
    from rolling
    union all
    select 'campaign', period_start, period_end,
           'campaign-' || strftime(period_start, '%Y') || '-' || strftime(period_end, '%Y'),
           name_vi || ' (' || strftime(period_start, '%d/%m/%Y') || '–' || strftime(period_end, '%d/%m/%Y') || ')',
           name_en || ' (' || strftime(period_start, '%d/%m/%Y') || ' – ' || strftime(period_end, '%d/%m/%Y') || ')'
    from campaign
),

final as (
    select
        p.period_kind,
        p.period_start,
        p.period_end,
        least(p.period_end, b.as_of) as measured_through,
        -- complete once as-of is past its end: on 30/11 the statistical year still runs
        p.period_end < b.as_of as is_complete,
        cast(least(p.period_end, b.as_of) - p.period_start + 1 as integer) as period_days,
        p.period_name,
        p.label_vi,
        p.label_en
    from all_periods as p, bounds as b
    where p.period_start <= b.as_of and p.period_end >= b.first_date
)

select * from final
