"""The raw tables ingestion keeps besides `raw.<table>`: the batch ledger and the quarantine.

`raw.batch_ledger` has one row per delivery of a file: normally one per (batch_id, file_name);
a file refused and later re-delivered with other content (a repaired transfer) gets a second
row. Both tables are append-only; `marts.batch_ledger` and `marts.quarantine` read them.
"""

from __future__ import annotations

import duckdb

LEDGER_DDL = """
create table if not exists raw.batch_ledger (
    batch_id varchar,
    file_name varchar,
    table_name varchar,          -- null when the file is no contract table
    status varchar,              -- loaded / refused
    refusal_code varchar,
    refusal_reason varchar,      -- English, prefixed with the code
    refusal_reason_vi varchar,
    rows_landed bigint,          -- non-blank data rows (null when the file could not be read)
    rows_accepted bigint,
    rows_quarantined bigint,
    rows_blank bigint,           -- records with no value at all: skipped
    sha256 varchar,
    manifest_status varchar,     -- absent / verified / unlisted / mismatch / invalid
    manifest_sha256 varchar,
    source_system varchar,
    file_format varchar,         -- csv / xlsx / parquet
    extra_columns varchar,       -- JSON array of unknown headers kept in raw._extra
    received_at timestamp,       -- receipt the batch states: exported_at, else its id's time
    loaded_at timestamptz
)
"""

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    batch_id varchar,
    file_name varchar,
    table_name varchar,
    row_number bigint,           -- 1-based data row in CSV/XLSX, 0-based row index in Parquet
    column_name varchar,
    rule varchar,
    severity varchar,
    message_vi varchar,
    message_en varchar,
    record_id varchar,           -- key value(s), '|'-joined for composite keys
    unit_code varchar,
    updated_at timestamp,
    raw_value varchar,           -- '***' for personal data
    related_ids varchar,         -- JSON: the case, person, judgement, report keys the row names
    loaded_at timestamptz
)
"""

LEDGER_COLUMNS = [
    "batch_id", "file_name", "table_name", "status", "refusal_code", "refusal_reason",
    "refusal_reason_vi", "rows_landed", "rows_accepted", "rows_quarantined", "rows_blank",
    "sha256", "manifest_status", "manifest_sha256", "source_system", "file_format",
    "extra_columns", "received_at", "loaded_at",
]


def create_ledger_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create `raw.batch_ledger` and `raw.quarantine` (empty) if they do not exist."""
    con.execute("create schema if not exists raw")
    con.execute(LEDGER_DDL)
    con.execute(QUARANTINE_DDL)
