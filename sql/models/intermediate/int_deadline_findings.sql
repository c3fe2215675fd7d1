{{ config(materialized='view') }}

with findings as (
    select * from {{ ref('int_deadline_findings_criminal') }}
    union all by name
    select * from {{ ref('int_deadline_findings_custody') }}
    union all by name
    select * from {{ ref('int_deadline_findings_suspension') }}
),

final as (
    select
        finding_id,
        rule,
        severity,
        clock_id,
        subject_type,
        subject_id,
        case_id,
        unit_code,
        detail,
        detail_vi,
        legal_basis,
        dated_on,
        order_id
    from findings
)

select * from final
