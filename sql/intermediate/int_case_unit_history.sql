-- Supervising procuracy unit (đơn vị) of each case over time: the unit of the case row from its
-- institution, then the receiving unit of every `case_transferred` event (chuyển vụ án) from its
-- event_date. Events after $as_of are ignored; two transfers on one day: the later event_id wins.
-- Succession of units after a re-organisation is applied by the consumers at their own date.
-- grain: case_id, valid_from
-- column case_id: the case (vụ án)
-- column valid_from: first day the case is with this unit (the instituted_date for the case row's unit)
-- column valid_to: last day it is with this unit; empty while it still is
-- column unit_code: the supervising procuracy unit (mã đơn vị) as recorded, before succession
-- column source_id: `0` for the case row, else the case_transferred event_id

with cases as (
    select case_id, instituted_date, unit_code
    from staging.stg_landing__cases
),

transfers as (
    select subject_id as case_id, event_date, to_unit_code as unit_code, event_id
    from staging.stg_landing__case_events
    where event_type = 'case_transferred'
        and subject_type = 'case'
        and to_unit_code is not null
        and event_date <= $as_of
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
