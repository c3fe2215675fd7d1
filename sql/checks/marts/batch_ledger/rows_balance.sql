-- Nothing is dropped without a trace: every loaded file balances, rows landed = rows accepted +
-- rows quarantined (landing contract §5).
{{ config(meta={'dagster': {'ref': {'name': 'batch_ledger'}}}) }}

select batch_id, file_name, rows_landed, rows_accepted, rows_quarantined
from {{ ref('batch_ledger') }}
where
    status = 'loaded'
    and (
        rows_landed is null
        or rows_accepted is null
        or rows_quarantined is null
        or rows_landed <> rows_accepted + rows_quarantined
    )
