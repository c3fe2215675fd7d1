{{ config(materialized='view') }}

with clocks as (
    select * from {{ ref('int_clocks_criminal') }}
    union all by name
    select * from {{ ref('int_clocks_custody') }}
    union all by name
    select * from {{ ref('int_clocks_execution') }}
    union all by name
    select * from {{ ref('int_clocks_vks') }}
),

owners as (
    select clock, owner_body, coalesce(try_cast(is_vks_own as boolean), false) as is_vks_own
    from {{ source('reference', 'clock_owners') }}
),

final as (
    select
        clock_id,
        clock,
        subject_type,
        subject_id,
        {{ clock_record_columns() }},
        status,
        days_late,
        days_remaining,
        coalesce(status = 'open' and days_remaining <= 10, false) as is_due_soon,
        rule_id,
        legal_basis,
        explanation,
        explanation_en,
        cast({{ as_of() }} as date) as as_of,
        due_at,
        closed_at,
        o.owner_body,
        coalesce(o.is_vks_own, false) as is_vks_own
    from clocks
    left join owners as o using (clock)
)

select * from final
