-- Open and overdue work of each stage per unit at each stock date (tồn, quá hạn), counted from
-- the clock states of int_stage_open_items. One side of the stock-flow balance.
-- grain: stage, hierarchy, unit_code, stock_date
-- column stock_date: the stock is taken at the end of this day
-- column open_count: open clocks of the stage (chưa giải quyết)
-- column overdue_count: of open_count, clocks past due_on (quá hạn)

with final as (
    select stage, hierarchy, unit_code, stock_date,
           count(*) as open_count,
           count(*) filter (where is_overdue) as overdue_count
    from intermediate.int_stage_open_items
    group by all
)

select * from final
