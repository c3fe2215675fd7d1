"""Every check evaluation (pandera, SQL, Great Expectations) goes to `marts.validation_results`.

The table is kept by the checks themselves, not rebuilt by a SQL model, so it holds history:
the last `KEEP_RUNS` runs.
"""

from __future__ import annotations

import datetime as dt

import duckdb

KEEP_RUNS = 90

DDL = """
create table if not exists marts.validation_results (
    run_id varchar,
    checked_at timestamptz,
    asset varchar,
    check_name varchar,
    tool varchar,            -- pandera / sql / great_expectations
    severity varchar,        -- error / warn
    passed boolean,
    failing_count bigint,
    detail varchar
)
"""


COMMENTS = {
    None: "Every check evaluation per run (kết quả kiểm tra): pandera at ingestion, SQL "
    "invariants, Great Expectations contracts; history bounded to the last 90 runs",
    "run_id": "Dagster run that evaluated the check (lần chạy)",
    "checked_at": "when the check was evaluated (thời điểm kiểm tra)",
    "asset": "table checked, schema.table (bảng được kiểm tra)",
    "check_name": "check or expectation name (tên phép kiểm tra)",
    "tool": "pandera / sql / great_expectations (công cụ)",
    "severity": "error blocks publication, warn informs (mức độ)",
    "passed": "true when the check held (đạt)",
    "failing_count": "rows or values that broke it (số dòng vi phạm)",
    "detail": "what the check states (mô tả)",
}


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists marts")
    con.execute(DDL)
    for column, text in COMMENTS.items():
        text = text.replace("'", "''")
        target = "table marts.validation_results" if column is None else (
            f"column marts.validation_results.{column}")
        con.execute(f"comment on {target} is '{text}'")


def record_check(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    asset: str,
    check_name: str,
    tool: str,
    severity: str,
    passed: bool,
    failing_count: int,
    detail: str = "",
) -> None:
    _ensure_table(con)
    con.execute(
        "delete from marts.validation_results where run_id = ? and asset = ? and check_name = ?",
        [run_id, asset, check_name],
    )
    con.execute(
        "insert into marts.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, dt.datetime.now(dt.UTC), asset, check_name, tool, severity, passed,
         failing_count, detail],
    )
    con.execute(
        """
        delete from marts.validation_results where run_id not in (
            select run_id from marts.validation_results
            group by run_id order by max(checked_at) desc limit ?)
        """,
        [KEEP_RUNS],
    )
