-- The batch ledger for stewards (contract outputs §4): one row per file of every landing batch,
-- loaded or refused, with its row accounting. For loaded files rows_landed = rows_accepted +
-- rows_quarantined, always; refused files are outside that balance (no counts). Loading the same
-- batch twice adds nothing: the ledger keeps the first load. A file delivered more than once under
-- one batch_id (a refused transfer repaired, or other content re-sent) shows its load — or, when
-- never loaded, its latest refusal — with the number of deliveries and the latest refusal reason.
-- grain: batch_id, file_name
-- column batch_id: landing batch (lô dữ liệu): the folder name under the landing root
-- column file_name: file of the batch (tệp), e.g. cases.csv
-- column rows_blank: fully empty rows skipped (dòng trống), outside the balance
-- column sha256: SHA-256 checksum of the file as delivered (mã kiểm tra)
-- column source_system: source system named in the batch manifest (hệ thống nguồn)
-- column file_format: csv / xlsx / parquet (định dạng tệp)
-- column loaded_at: when the file was loaded or refused (thời điểm nạp)
-- column table_name: contract table of the file (null when the file is no contract table)
-- column status: loaded / refused
-- column refusal_code: stable code of the refusal (docs/ingestion.md)
-- column refusal_reason: why the file or its whole batch was refused (English)
-- column refusal_reason_vi: lý do từ chối (tiếng Việt)
-- column rows_landed: non-blank data rows of a loaded file
-- column rows_accepted: rows appended to raw.<table>
-- column rows_quarantined: rows sent to the quarantine (a row breaking several rules counts once)
-- column data_quality_rate: rows_quarantined / rows_landed (share of rows quarantined)
-- column manifest_status: absent / verified / unlisted / mismatch / invalid
-- column extra_columns: JSON array of unknown headers, kept in raw._extra and reported here
-- column deliveries: how many different deliveries of this file the ledger holds
-- column latest_refusal_reason: the latest refusal of this file, also when an earlier delivery loaded

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
    from raw.batch_ledger
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
        deliveries,
        latest_refusal_reason,
        loaded_at
    from attempts
    where pick = 1
    order by batch_id, file_name
)

select * from final
