with attempts as (
    select
        *,
        row_number() over (
            partition by batch_id, file_name
            order by (status = 'loaded') desc, loaded_at desc, sha256 desc nulls last
        ) as pick,
        count(*) over (partition by batch_id, file_name) as deliveries,
        arg_max(refusal_reason, loaded_at) filter (where status = 'refused') over (
            partition by batch_id, file_name
        ) as latest_refusal_reason
    from {{ source('raw', 'batch_ledger') }}
),

final as (
    select
        batch_id,
        file_name,
        table_name,
        status,
        refusal_code,
        refusal_reason,
        refusal_reason_vi,
        rows_landed,
        rows_accepted,
        rows_quarantined,
        case when status = 'loaded' and rows_landed > 0 then rows_quarantined / rows_landed end
            as data_quality_rate,
        rows_blank,
        sha256,
        manifest_status,
        source_system,
        file_format,
        extra_columns,
        coalesce(cast(received_at as date), cast(loaded_at as date)) as received_on,
        deliveries,
        latest_refusal_reason,
        loaded_at
    from attempts
    where pick = 1
    order by batch_id, file_name
)

select * from final
