with extensions as (
    select *
    from {{ ref('int_clocks_criminal_extensions') }}
    where extension_no is not null and extension_no <> extension_seq
),

clocks as (
    select clock_id, unit_code
    from {{ ref('int_clocks_criminal') }}
),

final as (
    select
        'fact_conflict' as rule,
        'case_events' as table_name,
        e.event_id as record_id,
        k.unit_code,
        e.event_type || ' on ' || strftime(e.event_date, '%d/%m/%Y') || ' states extension_no '
            || e.extension_no || ' but is extension ' || e.extension_seq || ' applied to '
            || e.clock_id as detail,
        e.event_type || ' ngày ' || strftime(e.event_date, '%d/%m/%Y') || ' ghi lần gia hạn '
            || e.extension_no || ' nhưng là lần gia hạn thứ ' || e.extension_seq || ' của thời hạn '
            || e.clock_id as detail_vi
    from extensions as e
    inner join clocks as k using (clock_id)
)

select * from final
