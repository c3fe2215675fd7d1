"""The Dagster side of ingestion: one multi-asset for every raw table, with pandera checks.

The multi-asset loads all new landing batches (`ingest_landing`) and materialises every
`raw.<table>`, `raw.batch_ledger` and `raw.quarantine`. Its metadata carries row counts only,
never rows (they may hold personal data). Each contract table has a non-blocking
`matches_contract` check: the pandera verdict on the rows landed in this run (quarantined rows,
refused files). Bad input is reported, it never stops the nightly run.
"""

from __future__ import annotations

import json

import dagster as dg

from pipelines.check_log import record_check
from pipelines.contract import KEYS, TABLES, columns
from pipelines.ingest.limits import Limits
from pipelines.ingest.load import IngestSummary, ingest_landing
from pipelines.resources import CasewatchSettings, Warehouse

CHECK_NAME = "matches_contract"
LEDGER_TABLES = {
    "batch_ledger": "One row per delivered file of every landing batch: loaded or refused, "
    "rows landed, accepted and quarantined, checksum, manifest verdict, unknown extra columns. "
    "Grain: batch_id, file_name (a refused file re-delivered with other content: one row per "
    "delivery).",
    "quarantine": "Rows that broke a row rule of the landing contract: one row per row, column "
    "and rule, with the raw value (masked for personal data). They never reach raw.<table>. "
    "Grain: batch_id, file_name, row_number, column_name, rule.",
}


def _table_description(table: str) -> str:
    return (
        f"Every accepted row version of `{table}` from the landing batches (contract columns "
        "typed, updated_at, is_deleted, lineage _batch_id/_file_name/_row_number/_loaded_at, "
        "unknown extra columns as JSON in _extra). Append-only history; staging picks the "
        f"current version. Grain: {', '.join(KEYS[table])}, _batch_id, _row_number."
    )


def _column_schema(table: str) -> dg.TableSchema:
    cols = [dg.TableColumn(c.name, c.sql_type, description=c.vi_header) for c in columns(table)]
    cols += [
        dg.TableColumn("_batch_id", "VARCHAR", description="batch that delivered the row"),
        dg.TableColumn("_file_name", "VARCHAR", description="file in that batch"),
        dg.TableColumn("_row_number", "BIGINT",
                       description="1-based data row (CSV/XLSX), 0-based index (Parquet)"),
        dg.TableColumn("_loaded_at", "TIMESTAMPTZ", description="load time"),
        dg.TableColumn("_extra", "VARCHAR", description="unknown extra columns as JSON"),
    ]
    return dg.TableSchema(columns=cols)


@dg.multi_asset(
    name="raw_tables",
    specs=[
        *[
            dg.AssetSpec(
                key=["raw", t],
                group_name="raw",
                kinds={"duckdb", "polars"},
                description=_table_description(t),
                deps=[dg.AssetKey(["reference", "codes"])],
                metadata={"dagster/column_schema": _column_schema(t)},
            )
            for t in TABLES
        ],
        *[
            dg.AssetSpec(
                key=["raw", t],
                group_name="raw",
                kinds={"duckdb", "polars"},
                description=text,
                deps=[dg.AssetKey(["reference", "codes"])],
            )
            for t, text in LEDGER_TABLES.items()
        ],
    ],
    check_specs=[
        dg.AssetCheckSpec(
            name=CHECK_NAME,
            asset=dg.AssetKey(["raw", t]),
            blocking=False,
            description="pandera: the rows landed in this run match the landing contract "
            "(types, required values, code lists, date order, no conflicting duplicates); "
            "failing rows are quarantined, unreadable files refused.",
        )
        for t in TABLES
    ],
)
def raw_tables(context, settings: CasewatchSettings, warehouse: Warehouse):
    """Load every new landing batch into the raw layer."""
    with warehouse.connect() as con:
        summary = ingest_landing(con, settings.landing, log=context.log.info,
                                 as_of=settings.as_of_date(),
                                 limits=Limits.from_mapping(settings.ingest_limits))
        counts = {
            t: con.execute(f"select count(*) from raw.{t}").fetchall()[0][0]
            for t in [*TABLES, *LEDGER_TABLES]
        }
        verdicts = {t: _verdict(summary, t) for t in TABLES}
        for t, (passed, failing, detail) in verdicts.items():
            record_check(con, run_id=context.run_id, asset=f"raw.{t}", check_name=CHECK_NAME,
                         tool="pandera", severity="warn", passed=passed,
                         failing_count=failing, detail=detail)
    context.log.info(
        f"ingestion: {summary.batches_seen} batch(es) seen, {summary.batches_skipped} already "
        f"loaded, {summary.batches_refused} refused whole; {summary.files_loaded} file(s) "
        f"loaded, {summary.files_refused} refused, {summary.entries_ignored} other entries "
        f"ignored in {summary.seconds:.1f} s"
    )
    accepted, quarantined = summary.rows_accepted, summary.rows_quarantined
    for t in TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", t],
            metadata={
                "dagster/row_count": counts[t],
                "rows_accepted_this_run": accepted.get(t, 0),
                "rows_quarantined_this_run": quarantined.get(t, 0),
            },
        )
    yield dg.MaterializeResult(
        asset_key=["raw", "batch_ledger"],
        metadata={
            "dagster/row_count": counts["batch_ledger"],
            "batches_seen": summary.batches_seen,
            "batches_skipped": summary.batches_skipped,
            "batches_refused_whole": summary.batches_refused,
            "files_loaded_this_run": summary.files_loaded,
            "files_refused_this_run": summary.files_refused,
            "entries_ignored_this_run": summary.entries_ignored,
        },
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "quarantine"],
        metadata={
            "dagster/row_count": counts["quarantine"],
            "rows_quarantined_this_run": sum(quarantined.values()),
        },
    )
    for t, (passed, failing, detail) in verdicts.items():
        yield dg.AssetCheckResult(
            asset_key=["raw", t],
            check_name=CHECK_NAME,
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=detail,
            metadata={"rows_quarantined": failing,
                      "files_refused": len(summary.refused_files(t))},
        )


def _verdict(summary: IngestSummary, table: str) -> tuple[bool, int, str]:
    """(passed, quarantined rows, detail) for one table in this run; counts only, no values."""
    quarantined = summary.rows_quarantined.get(table, 0)
    refused = summary.refused_files(table)
    rules = summary.rule_counts(table)
    parts = []
    if quarantined:
        parts.append(f"{quarantined} row(s) quarantined; rule breaches {json.dumps(rules)}")
    if refused:
        parts.append("refused: " + "; ".join(f"{f.batch_id}/{f.file_name} ({f.refusal_code})"
                                             for f in refused))
    return not (quarantined or refused), quarantined, "; ".join(parts) or "no problems"
