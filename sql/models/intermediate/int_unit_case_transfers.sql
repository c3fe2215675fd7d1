with cases as (
    select case_id, unit_code from {{ ref('stg_landing__cases') }}
),

transfers as (
    select e.event_id, e.subject_id as case_id, e.event_date, e.to_unit_code
    from {{ ref('stg_landing__case_events') }} as e
    where e.event_type = 'case_transferred'
      and e.subject_type = 'case'
      and not e.is_reference_pending
      and e.event_date <= cast({{ as_of() }} as date)
      and e.to_unit_code is not null
),

ordered as (
    select
        t.event_id,
        t.case_id,
        row_number() over (partition by t.case_id order by t.event_date, t.event_id) as transfer_no,
        t.event_date as transferred_on,
        coalesce(
            lag(t.to_unit_code) over (partition by t.case_id order by t.event_date, t.event_id),
            c.unit_code
        ) as from_unit_code,
        t.to_unit_code
    from transfers as t
    join cases as c on c.case_id = t.case_id
),

final as (
    select * from ordered
)

select * from final
