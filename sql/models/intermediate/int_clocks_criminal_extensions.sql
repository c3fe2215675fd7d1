with extension_events as (
    select
        event_id,
        event_type,
        subject_type,
        subject_id,
        event_date,
        stated_end_date,
        extension_no,
        requested_date,
        case event_type
            when 'report_prolonged' then 'report'
            when 'report_extended' then 'report'
            when 'investigation_extended' then 'investigation'
            when 'prosecution_extended' then 'prosecution'
            when 'trial_prep_extended' then 'trial_preparation'
        end as family
    from {{ ref('stg_landing__case_events') }}
    where event_type in (
            'report_prolonged', 'report_extended', 'investigation_extended',
            'prosecution_extended', 'trial_prep_extended'
        )
        and subject_type = case
            when event_type in ('report_prolonged', 'report_extended') then 'report'
            else 'case'
        end
        and event_date <= {{ as_of() }}
        and not is_reference_pending
),

clocks as (
    select clock_id, clock, family, subject_type, subject_id, started_on, closed_on
    from {{ ref('int_clocks_criminal_spans') }}
    where family is not null
),

clocks_taking_extensions as (
    select distinct clock
    from {{ source('reference', 'deadline_rules') }}
    where extension_no >= 1
),

assigned as (
    select e.*, k.clock_id, k.clock
    from extension_events as e
    inner join clocks as k
        on k.family = e.family
        and k.subject_type = e.subject_type
        and k.subject_id = e.subject_id
        and k.started_on <= e.event_date
        and (k.closed_on is null or k.closed_on >= e.event_date)
    qualify row_number() over (
        partition by e.event_id order by k.started_on desc, k.clock_id desc
    ) = 1
),

applied as (
    select *
    from assigned
    where clock in (select clock from clocks_taking_extensions)
),

numbered as (
    select
        *,
        row_number() over (partition by clock_id order by event_date, event_id) as extension_seq,
        count(*) over (partition by clock_id) as extension_count,
        count(*) filter (where event_type = 'report_extended') over (
            partition by clock_id order by event_date, event_id
            rows between unbounded preceding and current row
        ) as procuracy_extension_seq
    from applied
),

final as (
    select
        event_id,
        clock_id,
        clock,
        event_type,
        event_date,
        extension_seq,
        extension_count,
        case event_type
            when 'report_prolonged' then 1
            when 'report_extended' then 1 + procuracy_extension_seq
            else extension_seq
        end as rule_slot,
        extension_no,
        stated_end_date,
        requested_date
    from numbered
)

select * from final
