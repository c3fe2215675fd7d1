with recursive units as (
    select
        unit_code,
        nullif(trim(successor_code), '') as successor_code,
        cast(valid_to as date) as valid_to,
        coalesce(source, '') = 'illustrative' as is_illustrative
    from {{ source('reference', 'units') }}
),

data_units as (
    select unit_code from {{ ref('int_deadlines') }}
    union select unit_code from {{ ref('stg_landing__cases') }}
    union select to_unit_code from {{ ref('stg_landing__case_events') }} where event_type = 'case_transferred'
    union select unit_code from {{ ref('stg_landing__crime_reports') }}
    union select unit_code from {{ ref('stg_landing__judgements') }}
    union select unit_code from {{ ref('stg_landing__detention_orders') }}
    union select unit_code from {{ ref('stg_landing__manual_scores') }}
    union select unit_code from {{ ref('int_deadline_findings') }}
),

unknown_units as (
    select distinct unit_code from data_units
    where unit_code is not null and unit_code not in (select unit_code from units)
),

-- Walk each unit's successor chain: step k is the unit in force after k re-organisations.
chain as (
    select
        unit_code,
        0 as step,
        unit_code as mapped_code,
        date '0001-01-01' as from_date,
        valid_to,
        successor_code,
        is_illustrative,
        is_illustrative as path_illustrative
    from units
    union all
    select
        c.unit_code,
        c.step + 1,
        s.unit_code,
        cast(c.valid_to + 1 as date),
        s.valid_to,
        s.successor_code,
        s.is_illustrative,
        c.path_illustrative or s.is_illustrative
    from chain as c
    join units as s on s.unit_code = c.successor_code
    where c.valid_to is not null and c.step < 20
),

as_was as (
    select
        'as_was' as hierarchy,
        unit_code,
        from_date,
        case when valid_to is null or successor_code is null
                  or successor_code not in (select unit_code from units)
             then date '9999-12-31' else valid_to end as to_date,
        mapped_code,
        path_illustrative as is_illustrative,
        true as is_known_unit
    from chain
),

as_is as (
    select
        'as_is' as hierarchy,
        unit_code,
        date '0001-01-01' as from_date,
        date '9999-12-31' as to_date,
        arg_max(mapped_code, step) as mapped_code,
        bool_or(path_illustrative) as is_illustrative,
        true as is_known_unit
    from chain
    group by unit_code
),

unknown as (
    select h.hierarchy, u.unit_code, date '0001-01-01' as from_date, date '9999-12-31' as to_date,
           u.unit_code as mapped_code, false as is_illustrative, false as is_known_unit
    from unknown_units as u, (values ('as_was'), ('as_is')) as h (hierarchy)
),

final as (
    select * from as_was where from_date <= to_date
    union all
    select * from as_is
    union all
    select * from unknown
)

select * from final
