-- the day each batch was received (marts.batch_ledger.received_on: the manifest's exported_at,
-- else the time its batch_id names, else the day it was loaded)
with batches as (
    select batch_id, min(received_on) as received_on
    from {{ ref('batch_ledger') }}
    group by batch_id
),

final as (
    select
        f.finding_id,
        f.rule,
        f.unit_code,
        f.status,
        b.received_on as first_seen_on,
        -- unknown when the batch was received after the as-of date (a replay of past dates)
        cast(case when {{ as_of() }} >= b.received_on then {{ as_of() }} - b.received_on end as integer)
            as days_open
    from {{ ref('data_findings') }} as f
    left join batches as b on b.batch_id = f.first_seen_batch
)

select * from final
