with cases as (
    select case_id, instituted_date, unit_code
    from {{ ref('stg_landing__cases') }}
),

transfers as (
    select subject_id as case_id, event_date, to_unit_code as unit_code, event_id
    from {{ ref('stg_landing__case_events') }}
    where event_type = 'case_transferred'
        and subject_type = 'case'
        and to_unit_code is not null
        and event_date <= {{ as_of() }}
        and not is_reference_pending
),

versions as (
    select case_id, instituted_date as valid_from, unit_code, '0' as source_id, 0 as priority
    from cases
    union all
    select case_id, event_date, unit_code, event_id, 1
    from transfers
),

one_per_day as (
    select *
    from versions
    qualify row_number() over (
        partition by case_id, valid_from order by priority desc, source_id desc
    ) = 1
),

final as (
    select
        case_id,
        valid_from,
        lead(valid_from) over (partition by case_id order by valid_from) - 1 as valid_to,
        unit_code,
        source_id
    from one_per_day
)

select * from final
