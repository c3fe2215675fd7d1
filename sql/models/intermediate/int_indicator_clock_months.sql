with conventions as (
    select coalesce(max(value) filter (where setting = 'suspension_after_deadline'), 'late') as late_suspension
    from {{ source('reference', 'indicator_conventions') }}
),

clocks as (
    select * from {{ ref('int_indicator_clocks') }}
),

closed_items as (
    select
        case
            when clock in ('investigation', 'resumed_investigation') then 'investigation_on_time_rate'
            when clock = 'prosecution_decision' then 'prosecution_on_time_rate'
            when clock in ('trial_preparation', 'trial_decision_after_return') then 'trial_preparation_on_time_rate'
            when clock = 'issue_execution_decision' then 'execution_decision_on_time_rate'
            when clock in ('approve_detention', 'decide_custody_extension', 'approve_charge')
                then 'vks_own_on_time_rate'
        end as indicator_code,
        attribution_key,
        closed_on as counted_on,
        is_on_time
    from clocks, conventions as c
    where closed_on is not null
      and clock in ('investigation', 'resumed_investigation', 'prosecution_decision', 'trial_preparation',
                    'trial_decision_after_return', 'issue_execution_decision',
                    'approve_detention', 'decide_custody_extension', 'approve_charge')
      and not (is_closed_by_suspension and (is_on_time or c.late_suspension = 'excluded'))
),

due_items as (
    select
        'brought_to_serve_rate' as indicator_code,
        attribution_key,
        due_on as counted_on,
        coalesce(closed_on <= due_on, false) as is_on_time
    from clocks
    where clock = 'report_to_serve' and due_on <= cast({{ as_of() }} as date)
),

items as (
    select * from closed_items
    union all
    select * from due_items
),

final as (
    select
        i.indicator_code,
        s.hierarchy,
        s.unit_code,
        cast(date_trunc('month', i.counted_on) as date) as month_start,
        cast(count(*) filter (where i.is_on_time) as double) as numerator,
        cast(count(*) as double) as denominator
    from items as i
    join {{ ref('int_unit_segments') }} as s
        on s.attribution_key = i.attribution_key
       and i.counted_on between s.from_date and s.to_date
    group by all
)

select * from final
