{#-
    The history of one attribute of a case (its crime category, its supervising unit): the
    value on the case row from its institution, then the value each `<event_type>` event sets
    from its event_date, up to the run's as-of date. Two changes on one day: the later event_id
    wins (and any event wins over the case row). One row per (case_id, valid_from).

        {{ case_history('crime_category', 'charge_changed', 'crime_category') }}
        {{ case_history('unit_code', 'case_transferred', 'to_unit_code') }}
-#}
{% macro case_history(column, event_type, event_column) %}
with cases as (
    select case_id, instituted_date, {{ column }}
    from {{ ref('stg_landing__cases') }}
),

changes as (
    select subject_id as case_id, event_date, {{ event_column }} as {{ column }}, event_id
    from {{ ref('stg_landing__case_events') }}
    where event_type = '{{ event_type }}'
        and subject_type = 'case'
        and {{ event_column }} is not null
        and event_date <= {{ as_of() }}
        and not is_reference_pending
),

versions as (
    select case_id, instituted_date as valid_from, {{ column }}, '0' as source_id, 0 as priority
    from cases
    union all
    select case_id, event_date, {{ column }}, event_id, 1
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
        {{ column }},
        source_id
    from one_per_day
)

select * from final
{% endmacro %}
