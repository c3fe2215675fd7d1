-- Data findings from the deadline engine (contract outputs §4, `marts.data_findings`): an
-- extension whose written extension_no (lần gia hạn) differs from its order among the extensions
-- applied to its clock. The engine goes by the order (outputs §1.7); the number written is kept
-- as informative and the disagreement is reported as a fact_conflict.
-- grain: rule, table_name, record_id
-- column rule: fact_conflict
-- column table_name: the landed table holding the record (case_events)
-- column record_id: the event_id
-- column unit_code: the clock's unit, after succession (đơn vị)
-- column detail: the two facts that disagree (chi tiết)

with extensions as (
    select *
    from intermediate.int_clocks_criminal_extensions
    where extension_no is not null and extension_no <> extension_seq
),

clocks as (
    select clock_id, unit_code
    from intermediate.int_clocks_criminal
),

final as (
    select
        'fact_conflict' as rule,
        'case_events' as table_name,
        e.event_id as record_id,
        k.unit_code,
        e.event_type || ' on ' || strftime(e.event_date, '%d/%m/%Y') || ' states extension_no '
            || e.extension_no || ' but is extension ' || e.extension_seq || ' applied to '
            || e.clock_id as detail
    from extensions as e
    inner join clocks as k using (clock_id)
)

select * from final
