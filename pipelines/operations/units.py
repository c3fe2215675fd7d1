"""Per-unit distribution: `<out>/units/<unit_code>/` holds what one procuracy may receive.

Each bundle has the dashboard pages (`index.html`, the three areas, `worklist.html`,
`interagency.html`, `quality.html`, with `worklist.csv`/`.xlsx` and `interagency.xlsx`), the
office workbook `<unit_code>.xlsx` (worklist, findings, scorecard and inter-agency sheets,
`pipelines.operations.office`), XLSX exports of the row-level marts (`exports/<mart>.xlsx`)
and the open rejections to correct (`steward/<unit_code>-open-rejections.csv`), with only the
data of the unit's scope: the unit itself and, for a province (or a merged unit), the units it
groups (`marts.units.member_units`, either hierarchy).

How: the pages are rendered by the same code as the province's pages, from an in-memory copy
of the warehouse cut down to the scope (`scoped_copy`):

- tables with a `unit_code` keep the rows of the scope's units; the unit tables drop the
  parent, successor and member codes that point outside the scope;
- tables without a unit but with case, person or judgement ids keep the rows whose ids belong
  to the scope (ids seen in a scoped table);
- run-level tables that describe every unit at once (the batch ledger, the check results)
  are left empty: they stay in the province's own report;
- code lists, the calendar, rules, indicators, targets and the campaign are copied whole;
- of the raw layer only the `unit_code` column of each table is copied (the pages' quarantine
  rate per unit); never a personal field.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb

from pipelines.contract import TABLES

UNITS_DIR = "units"
EXPORTS_DIR = "exports"
STEWARD_DIR = "steward"
CSV_SUFFIX = "-open-rejections.csv"
EXCEL_MAX_ROWS = 1_048_575  # one row for the header

#  What a unit acts on, as spreadsheets: mart -> rows exported. Deadlines closed on time and
#  the indicator tables stay in the pages (and the analysts' snapshot).
EXPORT_MARTS = {
    "deadline_watchlist": "true",
    "deadlines": "status <> 'on_time'",
    "deadline_findings": "true",
    "protest_windows": "true",
    "wrongful_prosecutions": "true",
    "missed_crime_signals": "true",
    "data_findings": "true",
}
#  Describe the whole delivery or every unit at once: empty in a unit's copy.
RUN_LEVEL = {("marts", "batch_ledger"), ("marts", "validation_results")}
#  Columns that name another unit; outside the scope they become null.
UNIT_REF_COLUMNS = ("parent_code", "successor_code", "as_is_code")
#  Comma-separated lists of unit codes; cut to the scope.
UNIT_LIST_COLUMNS = ("member_units", "manual_units")
ID_COLUMNS = ("case_id", "person_id", "judgement_id")
RAW_UNIT_TABLES = tuple(t for t, cols in TABLES.items() if any(c.name == "unit_code" for c in cols))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index", [db, schema, table]).fetchall()]


def _tables(con: duckdb.DuckDBPyConnection, db: str, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
        "and not internal order by 1", [db, schema]).fetchall()]


def unit_scopes(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """unit_code -> the unit codes whose data its bundle holds (itself first)."""
    scopes: dict[str, set[str]] = {}
    for unit, members in con.execute(
            "select unit_code, member_units from marts.units order by 1").fetchall():
        found = scopes.setdefault(unit, {unit})
        found.update(m for m in (members or "").split(",") if m)
    return {u: [u, *sorted(s - {u})] for u, s in sorted(scopes.items())}


def scoped_copy(
    source: duckdb.DuckDBPyConnection, scope: Iterable[str]
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding only the data of the units in `scope` (module doc)."""
    scope = sorted(set(scope))
    (db,) = source.execute("select current_database()").fetchone()
    con = duckdb.connect()
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts", "meta"):
        con.execute(f"create schema {schema}")

    def put(schema: str, table: str, sql: str, params: list | dict) -> None:
        """`schema.table` in the copy from a query on the source (Arrow carries the rows
        across without turning them into Python objects)."""
        frame = source.sql(sql, params=params).to_arrow_table()  # noqa: F841 (read by name below)
        con.execute(f"create table {schema}.{_ident(table)} as select * from frame")

    allowed = {"case_id": set(), "person_id": set(), "judgement_id": set()}
    deferred: list[tuple[str, str, list[str]]] = []
    for schema in ("marts", "reference", "meta"):
        for table in _tables(source, db, schema):
            cols = _columns(source, db, schema, table)
            src = f"{_ident(db)}.{schema}.{_ident(table)}"
            select = []
            for c in cols:
                if c in UNIT_REF_COLUMNS:
                    select.append(f"case when list_contains($scope, {_ident(c)}) "
                                  f"then {_ident(c)} end as {_ident(c)}")
                elif c in UNIT_LIST_COLUMNS:
                    select.append(
                        f"nullif(array_to_string(list_filter(string_split({_ident(c)}, ','), "
                        f"lambda x: list_contains($scope, x)), ','), '') as {_ident(c)}")
                else:
                    select.append(_ident(c))
            sql = f"select {', '.join(select)} from {src}"
            scope_param = {"scope": scope} if "$scope" in sql else []
            if (schema, table) in RUN_LEVEL:
                put(schema, table, sql + " where false", scope_param)
                continue
            if "unit_code" in cols:
                put(schema, table, sql + " where list_contains($scope, unit_code)",
                    {"scope": scope})
                for c in ID_COLUMNS:
                    if c in cols:
                        allowed[c].update(r[0] for r in con.execute(
                            f"select distinct {_ident(c)} from {schema}.{_ident(table)} "
                            f"where {_ident(c)} is not null").fetchall())
            elif any(c in cols for c in ID_COLUMNS):
                deferred.append((schema, table, cols))
            else:
                put(schema, table, sql, scope_param)
    for schema, table, cols in deferred:
        keys = [c for c in ID_COLUMNS if c in cols]
        where = " and ".join(f"({_ident(c)} is null or list_contains(${c}::varchar[], {_ident(c)}))"
                             for c in keys)
        put(schema, table, f"select * from {_ident(db)}.{schema}.{_ident(table)} where {where}",
            {c: sorted(allowed[c]) for c in keys})
    for table in RAW_UNIT_TABLES:
        if table in _tables(source, db, "raw"):
            put("raw", table, f"select unit_code from {_ident(db)}.raw.{_ident(table)} "
                              "where list_contains($scope, unit_code)", {"scope": scope})
    return con


def write_xlsx(con: duckdb.DuckDBPyConnection, table: str, path: Path, where: str = "true") -> int:
    """One sheet with the mart's rows (capped at Excel's limit); returns the rows written."""
    from xlsxwriter import Workbook

    cur = con.execute(f"select * from marts.{_ident(table)} where {where} order by all")
    names = [d[0] for d in cur.description]
    rows = cur.fetchmany(EXCEL_MAX_ROWS)
    workbook = Workbook(str(path), {"constant_memory": True, "remove_timezone": True})
    try:
        sheet = workbook.add_worksheet(table[:31])
        date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
        sheet.write_row(0, 0, names)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if isinstance(value, dt.date | dt.datetime):
                    sheet.write_datetime(i, j, value if isinstance(value, dt.datetime)
                                         else dt.datetime.combine(value, dt.time()), date_fmt)
                elif value is None:
                    continue
                elif isinstance(value, bool | int | float | str):
                    sheet.write(i, j, value)
                else:
                    sheet.write(i, j, str(value))
    finally:
        workbook.close()
    return len(rows)


def write_bundle(
    source: duckdb.DuckDBPyConnection, unit: str, scope: list[str], out_dir: Path, *,
    run_id: str, as_of: dt.date,
) -> Path:
    """Write `<out_dir>/units/<unit>/` (built beside it, then swapped in whole)."""
    from pipelines.dashboards.pages import render_pages
    from pipelines.dashboards.staff import load_staff
    from pipelines.operations.office import write_unit_workbook

    units_dir = out_dir / UNITS_DIR
    units_dir.mkdir(parents=True, exist_ok=True)
    final = units_dir / unit
    tmp = units_dir / f".{unit}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    con = scoped_copy(source, scope)
    try:
        render_pages(con, tmp, run_id=run_id, as_of=as_of)
        (tmp / EXPORTS_DIR).mkdir()
        present = set(_tables(con, "memory", "marts"))
        for table, where in EXPORT_MARTS.items():
            if table in present:
                write_xlsx(con, table, tmp / EXPORTS_DIR / f"{table}.xlsx", where)
        # the office workbook: worklist, findings, scorecard, inter-agency (office.py)
        write_unit_workbook(con, unit, tmp / f"{unit}.xlsx", staff=load_staff(), as_of=as_of)
    finally:
        con.close()
    steward = tmp / STEWARD_DIR
    steward.mkdir()
    for code in scope:
        csv = out_dir / STEWARD_DIR / f"{code}{CSV_SUFFIX}"
        if csv.exists():
            shutil.copy2(csv, steward / csv.name)
    old = units_dir / f".{unit}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def write_unit_bundles(
    con: duckdb.DuckDBPyConnection, out_dir: str | Path, *, run_id: str, as_of: dt.date
) -> dict[str, Path]:
    """A bundle for every unit of `marts.units`; bundles of units no longer listed go."""
    out = Path(out_dir)
    written = {}
    scopes = unit_scopes(con)
    for unit, scope in scopes.items():
        written[unit] = write_bundle(con, unit, scope, out, run_id=run_id, as_of=as_of)
    units_dir = out / UNITS_DIR
    for old in units_dir.iterdir() if units_dir.exists() else []:
        if old.is_dir() and old.name not in written:
            shutil.rmtree(old)
    return written
