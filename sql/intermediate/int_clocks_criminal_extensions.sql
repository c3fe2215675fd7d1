-- Extensions (gia hạn, kéo dài) applied to criminal-case clocks. An extension belongs to the clock
-- of its family running on its event_date (closing day included), the latest-started if several
-- (contract outputs §1.7); one dated after that clock closed, or falling on a clock that takes no
-- extensions, is ignored. The k-th extension of a clock (by event_date, then event_id) gets the
-- k-th cap of the rules; a crime report's `report_prolonged` always takes the prolongation rule
-- (extension_no 1) and its `report_extended` the procuracy rules that follow it.
-- grain: event_id
-- column event_id: the extension event (quyết định gia hạn)
-- column clock_id: the clock it extends
-- column extension_seq: k, its order among the extensions applied to the clock
-- column extension_count: how many extensions the clock has in all
-- column rule_slot: the deadline_rules extension_no whose cap applies; beyond the allowed number there is no such row
-- column extension_no: the extension number written in the decision (informative; a mismatch is a fact_conflict data finding)
-- column stated_end_date: end date written in the decision (thời hạn đến ngày), empty when not stated
-- column requested_date: when the extension was requested (ngày đề nghị)

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
    from staging.stg_landing__case_events
    where event_type in (
            'report_prolonged', 'report_extended', 'investigation_extended',
            'prosecution_extended', 'trial_prep_extended'
        )
        and subject_type = case
            when event_type in ('report_prolonged', 'report_extended') then 'report'
            else 'case'
        end
        and event_date <= $as_of
        and not is_reference_pending
),

clocks as (
    select clock_id, clock, family, subject_type, subject_id, started_on, closed_on
    from intermediate.int_clocks_criminal_spans
    where family is not null
),

clocks_taking_extensions as (
    select distinct clock
    from reference.deadline_rules
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
