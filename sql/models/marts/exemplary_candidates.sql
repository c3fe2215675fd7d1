with conventions as (
    select
        coalesce(try_cast(max(value) filter (where setting = 'exemplary_top_n') as integer), 3) as top_n
    from {{ source('reference', 'indicator_conventions') }}
),

-- below the minimum caseload a prosecutor is not ranked (small_counts.sql, int_prosecutor_years)
eligible as (
    select p.*, c.top_n
    from {{ ref('int_prosecutor_years') }} as p
    cross join conventions as c
    where not p.is_suppressed
),

ranked as (
    select *,
           row_number() over (
               partition by unit_code, period_start
               order by (wrongful_prosecution_count = 0 and court_return_count = 0) desc,
                        on_time_rate desc, closed_clocks desc, prosecutor_id
           ) as rank_in_unit
    from eligible
),

final as (
    select
        r.unit_code,
        r.period_start,
        r.period_end,
        r.period_name,
        r.prosecutor_id,
        r.closed_clocks,
        r.on_time_clocks,
        r.on_time_rate,
        r.wrongful_prosecution_count,
        r.court_return_count,
        r.rank_in_unit,
        r.rank_in_unit <= r.top_n and r.wrongful_prosecution_count = 0 and r.court_return_count = 0
            as is_candidate,
        r.min_closed_clocks,
        cast({{ as_of() }} as date) as as_of
    from ranked as r
)

select * from final
