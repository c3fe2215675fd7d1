"""Publish the read-only snapshot analysts and dashboards use.

The nightly run builds into the working warehouse. Only when every mart is built and every
blocking check passed does `["published", "snapshot"]` run (it depends on every mart, and Dagster
skips the assets downstream of a failed blocking check). It then:

1. writes `<published>.next`: every `marts.*` and `reference.*` table of the warehouse (never
   `raw`, `staging` or `intermediate`: personal data stays in `raw`), with the table and column
   COMMENTs, plus `meta.snapshot` (which run made it, as of which date); CHECKPOINT; DETACH;
2. exports every mart to `<published dir>/parquet/<table>.parquet` (tmp file first);
3. `os.replace()`s the new files over the old ones. A rename is atomic on a local disk and
   works while a reader holds the old snapshot open (the reader keeps the old data until it
   reconnects). Anything that fails before step 3 leaves the last good snapshot untouched;
4. keeps a copy under `<published dir>/history/`, one per night (as-of date), the newest
   `history_nights` of them (setting `CASEWATCH_HISTORY_NIGHTS`, default 7), oldest pruned first.
"""


import datetime as dt
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from pipelines import dbt_project, reference
from pipelines.paths import REFERENCE_DIR
from pipelines.resources import CasewatchSettings, Warehouse

PUBLISHED_SCHEMAS = ("marts", "reference")

#  Marts that are not SQL models: kept by the checks themselves (`pipelines.check_log`).
NON_MODEL_MARTS = ("validation_results",)

#  Columns that stay in the working warehouse: staff names are only for the restricted campaign
#  page; analysts get the opaque prosecutor ids.
WITHHELD_COLUMNS = {("reference", "staff"): frozenset({"display_name"})}

SNAPSHOT_DDL = """
create table {db}.meta.snapshot (
    run_id varchar,
    as_of date,
    published_at timestamptz,
    tables bigint
)
"""
SNAPSHOT_COMMENTS = {
    None: "Which run published this snapshot (Ảnh chụp dữ liệu): one row.",
    "run_id": "Dagster run id of the nightly run that published the snapshot (mã lần chạy)",
    "as_of": "The run's as-of date: clocks and indicators are computed as of this day (ngày tính)",
    "published_at": "When the snapshot was published (thời điểm công bố)",
    "tables": "Number of marts and reference tables in the snapshot",
}


SCHEMAS_DDL = """
create table {db}.meta.schemas (
    schema_name varchar,
    comment varchar
)
"""
SCHEMAS_COMMENTS = {
    None: "Các schema của ảnh chụp (schemas of the snapshot): what each holds, one row per schema "
    "(DuckDB cannot comment a schema, so the comments are here).",
    "schema_name": "Name of the schema (schema)",
    "comment": "What the schema holds (mô tả)",
}

# COMMENTs for what dbt does not document: the schemas and the reference tables.
COMMENTS_FILE = REFERENCE_DIR / "comments.yml"

# An unrendered parameter in a comment: `$as_of`, `{{ ... }}`, `{% ... %}`, `{as_of}`.
TEMPLATE_MARKERS = ("$", "{{", "}}", "{%", "%}", "{#")


def reference_comments(path: Path = COMMENTS_FILE) -> dict:
    """`{"schemas": {schema: text}, "tables": {table: {"description", "columns"}}}`."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def mart_names() -> list[str]:
    """Every mart of the contract: the dbt mart models plus the marts kept by Python."""
    models = [name for (schema, name) in dbt_project.model_keys() if schema == "marts"]
    return sorted({*models, *NON_MODEL_MARTS})


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class PublishResult:
    published_path: Path
    parquet_dir: Path
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows

    @property
    def marts(self) -> list[str]:
        return sorted(t for t in self.tables if t.startswith("marts."))


def _tables(con: duckdb.DuckDBPyConnection, db: str, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
        "and not internal and not temporary order by table_name",
        [db, schema],
    ).fetchall()
    return [r[0] for r in rows]


def publish(
    con: duckdb.DuckDBPyConnection,
    published_path: str | Path,
    *,
    run_id: str,
    as_of: dt.date,
    required_marts: Sequence[str] | None = None,
) -> PublishResult:
    """Publish the warehouse open on `con` as a snapshot at `published_path` (see module doc).

    `required_marts` (default: `mart_names()`) must all exist in the warehouse; a missing one
    is an error and nothing is replaced.
    """
    published = Path(published_path).resolve()
    published.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir = published.parent / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    nxt = published.with_name(published.name + ".next")
    for leftover in (nxt, nxt.with_name(nxt.name + ".wal")):
        leftover.unlink(missing_ok=True)  # a previous publish that died half-way

    (db,) = con.execute("select current_database()").fetchall()[0]
    required = list(mart_names() if required_marts is None else required_marts)
    present = set(_tables(con, db, "marts"))
    missing = [m for m in required if m not in present]
    if missing:
        raise RuntimeError(
            "cannot publish: mart(s) missing from the warehouse: "
            + ", ".join(f"marts.{m}" for m in missing)
        )

    result = PublishResult(published_path=published, parquet_dir=parquet_dir)
    staged: list[tuple[Path, Path]] = []  # (tmp, final) Parquet files
    docs = reference_comments()
    con.execute(f"attach {_q(str(nxt))} as _next")
    try:
        for schema in (*PUBLISHED_SCHEMAS, "meta"):
            con.execute(f"create schema _next.{schema}")
        for schema in PUBLISHED_SCHEMAS:
            for table in _tables(con, db, schema):
                fallback = docs["tables"].get(table, {}) if schema == "reference" else {}
                result.tables[f"{schema}.{table}"] = _copy_table(con, db, schema, table, fallback)
        con.execute(SNAPSHOT_DDL.format(db="_next"))
        con.execute(
            "insert into _next.meta.snapshot values (?, ?, ?, ?)",
            [run_id, as_of, dt.datetime.now(dt.UTC), len(result.tables)],
        )
        _comment(con, "_next", "meta", "snapshot", SNAPSHOT_COMMENTS)
        con.execute(SCHEMAS_DDL.format(db="_next"))
        con.executemany(
            "insert into _next.meta.schemas values (?, ?)",
            [[name, docs["schemas"].get(name)] for name in (*PUBLISHED_SCHEMAS, "meta")])
        _comment(con, "_next", "meta", "schemas", SCHEMAS_COMMENTS)
        for name in sorted(present):
            final = parquet_dir / f"{name}.parquet"
            tmp = parquet_dir / f".{name}.parquet.tmp"
            con.execute(
                f"copy (select * from {_ident(db)}.marts.{_ident(name)}) "
                f"to {_q(str(tmp))} (format parquet)"
            )
            staged.append((tmp, final))
        con.execute("checkpoint _next")
    except BaseException:
        con.execute("detach _next")
        nxt.unlink(missing_ok=True)
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    con.execute("detach _next")

    os.replace(nxt, published)
    for tmp, final in staged:
        os.replace(tmp, final)
    keep = {final.name for _, final in staged}
    for old in parquet_dir.glob("*.parquet"):
        if old.name not in keep:  # a mart that no longer exists
            old.unlink()
    return result


HISTORY_DIR = "history"


def keep_history(published_path: str | Path, as_of: dt.date, nights: int) -> list[Path]:
    """Copy the snapshot just published to `<published dir>/history/<stem>-<as_of>.duckdb` (a
    second run for the same night replaces that night's copy) and keep only the newest
    `nights` nights, pruning the oldest first. Returns the copies kept, oldest first."""
    published = Path(published_path)
    history = published.parent / HISTORY_DIR
    history.mkdir(parents=True, exist_ok=True)
    final = history / f"{published.stem}-{as_of.isoformat()}{published.suffix}"
    tmp = history / f".{final.name}.tmp"
    shutil.copyfile(published, tmp)
    os.replace(tmp, final)
    kept = sorted(history.glob(f"{published.stem}-????-??-??{published.suffix}"))
    while len(kept) > max(nights, 1):
        kept.pop(0).unlink()
    return kept


def _copy_table(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str,
                fallback: dict | None = None) -> int:
    """Copy one table with its COMMENTs; `fallback` ({"description", "columns"}) documents
    what the warehouse leaves undocumented (the reference tables)."""
    fallback = fallback or {}
    fallback_columns = fallback.get("columns") or {}
    withheld = WITHHELD_COLUMNS.get((schema, table), frozenset())
    cols = con.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index",
        [db, schema, table],
    ).fetchall()
    keep = [(name, comment or fallback_columns.get(name)) for name, comment in cols
            if name not in withheld]
    select = ", ".join(_ident(name) for name, _ in keep)
    con.execute(
        f"create table _next.{schema}.{_ident(table)} as "
        f"select {select} from {_ident(db)}.{schema}.{_ident(table)}"
    )
    (table_comment,) = con.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? "
        "and table_name = ?",
        [db, schema, table],
    ).fetchall()[0]
    _comment(con, "_next", schema, table,
             {None: table_comment or fallback.get("description"), **dict(keep)})
    (rows,) = con.execute(f"select count(*) from _next.{schema}.{_ident(table)}").fetchall()[0]
    return int(rows)


def _comment(
    con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str, docs: dict[str | None, str]
) -> None:
    """COMMENT ON the table (key None) and its columns; empty documentation is skipped."""
    target = f"{db}.{schema}.{_ident(table)}"
    for column, text in docs.items():
        if not text:
            continue
        if column is None:
            con.execute(f"comment on table {target} is {_q(text)}")
        else:
            con.execute(f"comment on column {target}.{_ident(column)} is {_q(text)}")


def undocumented_columns(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    """`schema.table.column` (and `schema.table` for the table itself) without a COMMENT."""
    tables = con.execute(
        "select table_name from duckdb_tables() where schema_name = ? and not internal "
        "and coalesce(trim(comment), '') = '' order by 1",
        [schema],
    ).fetchall()
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = ? "
        "and not internal and coalesce(trim(comment), '') = '' order by table_name, column_index",
        [schema],
    ).fetchall()
    return [f"{schema}.{t}" for (t,) in tables] + [f"{schema}.{t}.{c}" for t, c in columns]


def comment_problems(con: duckdb.DuckDBPyConnection, db: str | None = None) -> list[str]:
    """What in a published snapshot lacks a COMMENT or holds an unrendered parameter: every
    table, view and column of its schemas, and every schema (its row in `meta.schemas`)."""
    db = db or con.execute("select current_database()").fetchall()[0][0]
    schemas = (*PUBLISHED_SCHEMAS, "meta")
    problems: list[str] = []

    def check(name: str, text: str | None) -> None:
        if not (text or "").strip():
            problems.append(f"{name}: no comment")
        elif any(m in text for m in TEMPLATE_MARKERS):
            problems.append(f"{name}: unrendered parameter in {text!r}")

    relations = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = $db and not internal "
        "union all select schema_name, view_name, comment from duckdb_views() "
        "where database_name = $db and not internal order by 1, 2", {"db": db}).fetchall()
    columns = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and not internal order by 1, 2, column_index", [db]).fetchall()
    present = {s for (s,) in con.execute(
        "select schema_name from duckdb_schemas() where database_name = ?", [db]).fetchall()}
    try:
        schema_docs = dict(con.execute(f"select schema_name, comment from {_ident(db)}.meta.schemas"
                                       ).fetchall())
    except duckdb.Error:
        schema_docs = {}
    for schema in sorted(present & set(schemas)):
        check(f"schema {schema}", schema_docs.get(schema))
    for schema, table, text in relations:
        if schema in schemas:
            check(f"{schema}.{table}", text)
    for schema, table, column, text in columns:
        if schema in schemas:
            check(f"{schema}.{table}.{column}", text)
    return problems


def reference_keys() -> list[dg.AssetKey]:
    keys: set[dg.AssetKey] = set()
    for assets_def in reference.ASSETS:
        keys.update(assets_def.keys)
    return sorted(keys, key=lambda k: k.to_user_string())


#  marts.validation_results is written by every check as it runs (pipelines.check_log), not by a
#  model: declared here so the snapshot's dependency on it is a documented asset.
VALIDATION_RESULTS = dg.AssetSpec(
    key=["marts", "validation_results"],
    group_name="marts",
    description=(
        "One row per check evaluation per run (pandera, SQL, Great Expectations), kept for the "
        "last runs; written by the checks themselves."
    ),
    kinds={"duckdb"},
)


def build_snapshot_asset(marts: Iterable[str] | None = None) -> dg.AssetsDefinition:
    """The `["published", "snapshot"]` asset, downstream of every mart (and reference table)."""
    marts = list(mart_names() if marts is None else marts)
    deps = [dg.AssetKey(["marts", m]) for m in marts] + reference_keys()

    @dg.asset(
        key=["published", "snapshot"],
        group_name="publish",
        deps=deps,
        description=(
            "Read-only DuckDB snapshot of every mart and reference table (never raw data), "
            "with Parquet exports of the marts; replaced atomically, only when every mart was "
            "built and every blocking check passed."
        ),
        kinds={"duckdb", "parquet"},
    )
    def snapshot(
        context: dg.AssetExecutionContext, settings: CasewatchSettings, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            result = publish(
                con, settings.published_path, run_id=context.run_id,
                as_of=settings.as_of_date(), required_marts=marts,
            )
        history = keep_history(result.published_path, settings.as_of_date(),
                               settings.history_nights)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.published_path)),
                "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
                "tables": len(result.tables),
                "history": [p.name for p in history],
                "mart_rows": dg.MetadataValue.json(
                    {t: n for t, n in result.tables.items() if t.startswith("marts.")}
                ),
            }
        )

    return snapshot
