with cases as (
    select case_id, instituted_date, crime_category
    from {{ ref('stg_landing__cases') }}
),

changes as (
    select subject_id as case_id, event_date, crime_category, event_id
    from {{ ref('stg_landing__case_events') }}
    where event_type = 'charge_changed'
        and subject_type = 'case'
        and crime_category is not null
        and event_date <= {{ as_of() }}
        and not is_reference_pending
),

versions as (
    select case_id, instituted_date as valid_from, crime_category, '0' as source_id, 0 as priority
    from cases
    union all
    select case_id, event_date, crime_category, event_id, 1
    from changes
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
        crime_category,
        source_id
    from one_per_day
)

select * from final
