with final as (
    select stage, hierarchy, unit_code, stock_date,
           count(*) as open_count,
           count(*) filter (where is_overdue) as overdue_count
    from {{ ref('int_stage_open_items') }}
    group by all
)

select * from final
