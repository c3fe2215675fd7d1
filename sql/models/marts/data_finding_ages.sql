-- the day each batch was received: its files' latest loading time, in Asia/Ho_Chi_Minh
with batches as (
    select batch_id, cast(max(loaded_at) as date) as received_on
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
        -- unknown when the batch was loaded after the as-of date (a replay of past dates)
        case when {{ as_of() }} >= b.received_on then {{ as_of() }} - b.received_on end
            as age_days
    from {{ ref('data_findings') }} as f
    left join batches as b on b.batch_id = f.first_seen_batch
)

select * from final
