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
- nothing of the raw layer (no page reads it): never a personal field.

The rows are read from the warehouse once per batch of units, not once per unit
(`_Reader`): the units are taken in the order of the groups their scopes form (a province
with its districts, merged units with theirs), so a batch holds a few provinces; each batch
reads the rows of its units from each table in one query (`BATCH_ROWS` rows at most, unless
one unit's scope alone is larger), and each unit's copy takes its scope's rows from there, in
the warehouse's own order. So that a batch's query does not scan whole tables (six national
years make about a hundred batches), the unit tables are first copied once into a scratch
DuckDB file beside the spill folder, sorted by the units' order in the batches (`_Scratch`):
a batch then reads only the row groups of its own units, and puts them back in the
warehouse's order. Everything that does not depend on the unit (the table list and
columns, the tables copied whole) is read once per run. One in-memory copy serves every unit
in turn: the tables that depend on the scope are made again, the others stay; while a
bundle is written, a query asked again of its copy is answered from its first answer
(`_Queries`).

With two cores and room in the run's memory limit, a helper process writes bundles beside
the run's own (`default_workers`, `_with_helpers`); the bundles are the same either way.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.operations.xlsx_rows import RowSheet, UnusualValue

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
#  Rows of the unit tables read at once: one batch of units (`_Reader.batches`); about 100 MB.
BATCH_ROWS = 400_000
#  Processes writing bundles at once, the run's own included (`default_workers`); a helper
#  process holds the page code, its batch and one unit's copy: about 600 MB resident, half
#  of it shared (libraries, the batch's Arrow files).
WORKERS = 2
HELPER_ROOM = 2 * 1000**3  # Python's share of the run's memory limit per helper process
#  A helper takes about 8 s of CPU to start (imports, chart specs): fewer units, no helper.
HELPER_MIN_UNITS = 50


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


class _Table:
    """One table of the warehouse as a unit's copy takes it (`kind`: unit, ids, whole, run)."""

    def __init__(self, schema: str, name: str, columns: list[str]) -> None:
        self.schema, self.name, self.columns = schema, name, columns
        if (schema, name) in RUN_LEVEL:
            self.kind = "run"
        elif "unit_code" in columns:
            self.kind = "unit"
        elif any(c in columns for c in ID_COLUMNS):
            self.kind = "ids"
        else:
            self.kind = "whole"
        select = []
        for c in columns:
            if self.kind == "ids":  # copied as it is, its rows chosen by id
                select.append(_ident(c))
            elif c in UNIT_REF_COLUMNS:
                select.append(f"case when list_contains($scope, {_ident(c)}) "
                              f"then {_ident(c)} end as {_ident(c)}")
            elif c in UNIT_LIST_COLUMNS:
                select.append(
                    f"nullif(array_to_string(list_filter(string_split({_ident(c)}, ','), "
                    f"lambda x: list_contains($scope, x)), ','), '') as {_ident(c)}")
            else:
                select.append(_ident(c))
        #  the columns as the copy has them, from `frame` (the rows read from the warehouse)
        self.select = ", ".join(select)

    @property
    def key(self) -> tuple[str, str]:
        return self.schema, self.name

    def source(self, db: str) -> str:
        return f"{_ident(db)}.{self.schema}.{_ident(self.name)}"


class _Batch:
    """The rows of a batch of units, table by table, with where each unit's rows are."""

    def __init__(self, frames: dict[tuple[str, str], pa.Table]) -> None:
        self.frames = {key: frame if all(c.num_chunks <= 1 for c in frame.columns)
                       else frame.combine_chunks() for key, frame in frames.items()}
        self.rows_of: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        for key, frame in self.frames.items():
            codes = pc.dictionary_encode(frame.column("unit_code").combine_chunks())
            index = codes.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            order = np.argsort(index, kind="stable")  # row numbers by unit, each in order
            bounds = np.searchsorted(index[order], np.arange(len(codes.dictionary) + 1))
            self.rows_of[key] = {code: order[bounds[i]:bounds[i + 1]]
                                 for i, code in enumerate(codes.dictionary.to_pylist())}

    def rows(self, key: tuple[str, str], scope: Iterable[str]) -> pa.Table:
        """The rows of the scope's units, in the order the warehouse gave them."""
        found = [self.rows_of[key][u] for u in scope if u in self.rows_of[key]]
        frame = self.frames[key]
        if not found:
            return frame.slice(0, 0)
        if len(found) == 1 and len(found[0]) == frame.num_rows:
            return frame
        return frame.take(np.sort(np.concatenate(found)))


class _Reader:
    """Reads what the units' copies are made of: the table list and the tables copied whole
    once, the unit tables once per batch of units (`read`); `copy` makes one unit's copy."""

    def __init__(self, source: duckdb.DuckDBPyConnection) -> None:
        self.source = source
        (self.db,) = source.execute("select current_database()").fetchone()
        self.tables = [_Table(schema, table, _columns(source, self.db, schema, table))
                       for schema in ("marts", "reference", "meta")
                       for table in _tables(source, self.db, schema)]
        #  ids-only tables come last: their rows follow the ids of the unit tables
        self.tables.sort(key=lambda t: t.kind == "ids")
        self._scratch: _Scratch | None = None  # the unit tables sorted by unit (`batches`)
        #  the connection of the last copy, and which of its tables are empty
        self._last: tuple[duckdb.DuckDBPyConnection | None, dict[tuple[str, str], bool]] = (
            None, {})
        self.fixed = {t.key: self._arrow(f"select * from {t.source(self.db)}"
                                         + (" where false" if t.kind == "run" else ""))
                      for t in self.tables if t.kind in ("whole", "run")}

    @classmethod
    def detached(cls, tables: list[_Table], fixed: dict[tuple[str, str], pa.Table]) -> _Reader:
        """A reader that makes copies from batches it is given, without the warehouse (in a
        worker process); it cannot copy tables chosen by ids (`needs_source`)."""
        reader = cls.__new__(cls)
        reader.source, reader.db, reader.tables, reader.fixed = None, None, tables, fixed
        reader._last, reader._scratch = (None, {}), None
        return reader

    @property
    def needs_source(self) -> bool:
        """Whether copies read the warehouse itself (tables chosen by ids)."""
        return any(t.kind == "ids" for t in self.tables)

    def _arrow(self, sql: str, params: dict | None = None) -> pa.Table:
        return self.source.sql(sql, params=params).to_arrow_table()

    def rows_per_unit(self) -> dict[str, int]:
        """unit_code -> its rows in all the unit tables (how the batches are cut)."""
        rows: dict[str, int] = {}
        for t in self.tables:
            if t.kind == "unit":
                for unit, n in self.source.execute(
                        f"select unit_code, count(*) from {t.source(self.db)} "
                        "where unit_code is not null group by 1").fetchall():
                    rows[unit] = rows.get(unit, 0) + n
        return rows

    def batches(self, scopes: dict[str, list[str]], limit: int | None = None
                ) -> Iterator[list[str]]:
        """The units in batches: units whose scopes overlap are in the same group (a province
        and its districts), groups follow each other, and a batch stops before its scopes'
        rows pass `limit` (`BATCH_ROWS`; a unit whose own scope is larger is a batch alone)."""
        limit = BATCH_ROWS if limit is None else limit
        parent = {u: u for s in scopes.values() for u in s}

        def root(u: str) -> str:
            while parent[u] != u:
                parent[u] = parent[parent[u]]
                u = parent[u]
            return u

        for scope in scopes.values():
            for u in scope[1:]:
                parent[root(u)] = root(scope[0])
        rows = self.rows_per_unit()
        batches: list[list[str]] = []
        batch: list[str] = []
        members: set[str] = set()
        for unit in sorted(scopes, key=lambda u: (root(u), u)):
            grown = members | set(scopes[unit])
            if batch and sum(rows.get(u, 0) for u in grown) > limit:
                batches.append(batch)
                batch, grown = [], set(scopes[unit])
            batch.append(unit)
            members = grown
        if batch:
            batches.append(batch)
        if len(batches) > 1 and self.source is not None:
            self.close()
            self._scratch = _Scratch(self, [u for b in batches for unit in b
                                            for u in scopes[unit]])
        yield from batches

    def close(self) -> None:
        """Remove the scratch copy of the unit tables, if any."""
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def frames(self, members: Iterable[str]) -> dict[tuple[str, str], pa.Table]:
        """The rows of the `members` units, from every unit table (one query each), in the
        warehouse's order."""
        units = sorted(set(members))
        if self._scratch is not None:
            return self._scratch.frames(units)
        return {t.key: self._arrow(f"select * from {t.source(self.db)} "
                                   "where list_contains($units, unit_code)", {"units": units})
                for t in self.tables if t.kind == "unit"}


    def read(self, members: Iterable[str]) -> _Batch:
        """`frames`, ready for `copy`."""
        return _Batch(self.frames(members))

    def copy(self, batch: _Batch, scope: Iterable[str],
             into: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """The in-memory warehouse of one unit's scope (module doc), from its batch. With
        `into` (a copy this reader made before), that copy becomes this scope's: the tables
        that do not depend on the scope stay as they are, the others are made again."""
        scope = sorted(set(scope))
        con = into
        if con is None:
            con = duckdb.connect(config={"threads": 1})  # a small copy: one thread is faster
            con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
            for schema in ("raw", "reference", "staging", "intermediate", "marts", "meta"):
                con.execute(f"create schema {schema}")
        if into is None or into is not self._last[0]:
            into = None  # a copy this reader did not make last: every table is made again
            self._last = (con, {})
        empty = self._last[1]  # table -> left empty in the copy `con` holds
        allowed: dict[str, set] = {c: set() for c in ID_COLUMNS}
        want_ids = any(t.kind == "ids" for t in self.tables)
        for t in self.tables:
            scoped = t.kind in ("unit", "ids") or "$scope" in t.select
            if into is not None and not scoped:
                continue  # the same for every scope: made with the first copy
            if t.kind == "unit":
                frame = batch.rows(t.key, scope)
                if want_ids:
                    for c in ID_COLUMNS:
                        if c in t.columns:
                            allowed[c].update(v for v in pc.unique(frame.column(c)).to_pylist()
                                              if v is not None)
            elif t.kind == "ids":
                keys = [c for c in ID_COLUMNS if c in t.columns]
                where = " and ".join(f"({_ident(c)} is null or "
                                     f"list_contains(${c}::varchar[], {_ident(c)}))"
                                     for c in keys)
                frame = self._arrow(f"select * from {t.source(self.db)} where {where}",
                                    {c: sorted(allowed[c]) for c in keys})
            else:
                frame = self.fixed[t.key]
            if into is not None and frame.num_rows == 0 and empty.get(t.key):
                continue  # empty in the copy made into `into` last time too
            empty[t.key] = frame.num_rows == 0
            # `frame` is read by name (DuckDB's scan of a Python variable)
            con.execute(f"create or replace table {t.schema}.{_ident(t.name)} as "
                        f"select {t.select} from frame",
                        {"scope": scope} if "$scope" in t.select else None)
        return con


class _Scratch:
    """The unit tables of a reader's warehouse, copied once into a scratch DuckDB file and
    sorted by the units' place in `order` (the order the batches will ask for them), each row
    with its row id in the warehouse: a batch's query (`frames`) then reads only the row
    groups of its units (DuckDB skips the others by their min/max), and orders them back as
    the warehouse has them. The file is beside the spill folder (`<warehouse>.tmp`) or in the
    system's temporary folder, and removed by `close`."""

    NAME = "casewatch_bundle_rows"

    def __init__(self, reader: _Reader, order: list[str]) -> None:
        import tempfile

        con = reader.source
        self.reader, self.con = reader, con
        self.index = {u: i for i, u in enumerate(dict.fromkeys(order))}
        spill = con.execute("select current_setting('temp_directory')").fetchone()[0]
        place = Path(spill).parent if spill else None
        if place is not None and not place.is_dir():
            place = None
        self.folder = Path(tempfile.mkdtemp(
            prefix=(Path(spill).name if spill else "casewatch") + "-bundles-", dir=place))
        db = self.folder / "rows.duckdb"
        con.execute(f"attach '{str(db).replace(chr(39), chr(39) * 2)}' as {self.NAME} "
                    "(read_write)")
        try:
            con.execute(f"create table {self.NAME}.unit_index (unit_code varchar, i integer)")
            con.executemany(f"insert into {self.NAME}.unit_index values (?, ?)",
                            list(self.index.items()))
            self.tables = {}
            for n, t in enumerate(reader.tables):
                if t.kind != "unit":
                    continue
                name = f"{self.NAME}.t{n}"
                con.execute(
                    f"create table {name} as select s.*, u.i as __unit, s.rowid as __row "
                    f"from {t.source(reader.db)} as s "
                    f"inner join {self.NAME}.unit_index as u on u.unit_code = s.unit_code "
                    "order by __unit, __row")
                self.tables[t.key] = name
        except BaseException:
            self.close()
            raise

    def frames(self, units: list[str]) -> dict[tuple[str, str], pa.Table]:
        wanted = sorted(self.index[u] for u in units if u in self.index)
        if not wanted:
            wanted = [-1]
        params = {"lo": wanted[0], "hi": wanted[-1], "wanted": wanted}
        return {key: self.reader._arrow(
                    f"select * exclude (__unit, __row) from {name} where __unit between $lo "
                    "and $hi and list_contains($wanted, __unit) order by __row", params)
                for key, name in self.tables.items()}

    def close(self) -> None:
        try:
            self.con.execute(f"detach database if exists {self.NAME}")
        except duckdb.Error:
            pass  # the connection is closed: the file is no longer held
        shutil.rmtree(self.folder, ignore_errors=True)


class _Queries:
    """A unit's copy as its bundle reads it: a query (`select` or `with`) asked again with the
    same parameters is answered from its first answer (the pages ask some of them many
    times, and the copy does not change while its bundle is written); anything else goes to
    the copy as it is. Answers are read as DuckDB gives them: rows (`description`,
    `fetchone`, `fetchmany`, `fetchall`) or a pandas frame (`df`, a fresh copy each time)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rows: dict[tuple[str, str], tuple[list, list[tuple]]] = {}
        self.frames: dict[tuple[str, str], Any] = {}

    def execute(self, sql: str, parameters: Any = None) -> Any:
        if sql.lstrip()[:4].lower() not in ("sele", "with"):
            return self.con.execute(sql, parameters)
        return _Answer(self, sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


class _Answer:
    """One query's answer from `_Queries` (read when first asked for)."""

    def __init__(self, queries: _Queries, sql: str, parameters: Any) -> None:
        self.queries, self.sql, self.parameters = queries, sql, parameters
        self.key = (sql, repr(parameters))
        self.at = 0

    def _rows(self) -> tuple[list, list[tuple]]:
        found = self.queries.rows.get(self.key)
        if found is None:
            cur = self.queries.con.execute(self.sql, self.parameters)
            found = self.queries.rows[self.key] = (cur.description, cur.fetchall())
        return found

    @property
    def description(self) -> list:
        return self._rows()[0]

    def fetchall(self) -> list[tuple]:
        rows = self._rows()[1][self.at:]
        self.at += len(rows)
        return rows

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows = self._rows()[1][self.at:self.at + size]
        self.at += len(rows)
        return rows

    def fetchone(self) -> tuple | None:
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def df(self) -> Any:
        frame = self.queries.frames.get(self.key)
        if frame is None:
            frame = self.queries.frames[self.key] = self.queries.con.execute(
                self.sql, self.parameters).df()
        return frame.copy()


def scoped_copy(
    source: duckdb.DuckDBPyConnection, scope: Iterable[str]
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding only the data of the units in `scope` (module doc)."""
    scope = sorted(set(scope))
    reader = _Reader(source)
    return reader.copy(reader.read(scope), scope)


def write_xlsx(con: duckdb.DuckDBPyConnection, table: str, path: Path, where: str = "true") -> int:
    """One sheet with the mart's rows (capped at Excel's limit); returns the rows written.
    Each value is written as xlsxwriter's `write()` writes it; the rows go through
    `RowSheet.write_rows` (`pipelines.operations.xlsx_rows`), and a sheet with a value
    `write()` would turn into a formula or a link is written cell by cell instead."""
    cur = con.execute(f"select * from marts.{_ident(table)} where {where} order by all")
    names = [d[0] for d in cur.description]
    rows = cur.fetchmany(EXCEL_MAX_ROWS)
    try:
        _write_sheet(path, table, names, rows, fast=True)
    except UnusualValue:
        _write_sheet(path, table, names, rows, fast=False)
    return len(rows)


def _write_sheet(path: Path, table: str, names: list[str], rows: list[tuple], *,
                 fast: bool) -> None:
    from xlsxwriter import Workbook

    if fast:  # in memory (no temporary files), with inline strings as constant_memory has
        workbook = Workbook(str(path), {"in_memory": True, "remove_timezone": True})
        sheet = workbook.add_worksheet(table[:31], worksheet_class=RowSheet)
        sheet.inline_strings = True
        date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
        sheet.write_rows(0, [names], tokens=True)
        sheet.write_rows(1, rows, date_format=date_fmt, tokens=True)
        workbook.close()
        return
    workbook = Workbook(str(path), {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet(table[:31])
    date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
    try:
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


def _write_folder(
    con: duckdb.DuckDBPyConnection, unit: str, scope: list[str], out_dir: Path, *,
    run_id: str, as_of: dt.date, staff: dict[str, str],
) -> Path:
    """Write `<out_dir>/units/<unit>/` from the unit's copy `con` (built beside it, then
    swapped in whole)."""
    from pipelines.dashboards.pages import render_pages
    from pipelines.operations.office import write_unit_workbook

    units_dir = out_dir / UNITS_DIR
    units_dir.mkdir(parents=True, exist_ok=True)
    final = units_dir / unit
    tmp = units_dir / f".{unit}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    queries = _Queries(con)
    render_pages(queries, tmp, run_id=run_id, as_of=as_of)
    (tmp / EXPORTS_DIR).mkdir()
    present = set(_tables(con, "memory", "marts"))
    for table, where in EXPORT_MARTS.items():
        if table in present:
            write_xlsx(con, table, tmp / EXPORTS_DIR / f"{table}.xlsx", where)
    # the office workbook: worklist, findings, scorecard, inter-agency (office.py)
    write_unit_workbook(queries, unit, tmp / f"{unit}.xlsx", staff=staff, as_of=as_of)
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


def write_bundle(
    source: duckdb.DuckDBPyConnection, unit: str, scope: list[str], out_dir: Path, *,
    run_id: str, as_of: dt.date,
) -> Path:
    """Write one unit's bundle, `<out_dir>/units/<unit>/` (`write_unit_bundles` writes them
    all, reading the warehouse once per batch of units rather than once per unit)."""
    from pipelines.dashboards.staff import load_staff

    con = scoped_copy(source, scope)
    try:
        return _write_folder(con, unit, scope, Path(out_dir), run_id=run_id, as_of=as_of,
                             staff=load_staff())
    finally:
        con.close()


def default_workers(memory_limit: str = "") -> int:
    """Processes that write the bundles, this one included: one per core, at most
    `WORKERS`, and a helper process only when the run's memory limit (`pipelines.memory`)
    leaves Python `HELPER_ROOM` for each. `CASEWATCH_BUNDLE_WORKERS` sets the number."""
    from pipelines import memory

    if os.environ.get("CASEWATCH_BUNDLE_WORKERS"):
        return max(1, int(os.environ["CASEWATCH_BUNDLE_WORKERS"]))
    python = memory.run_limit(memory_limit) * (1 - memory.DUCKDB_SHARE)
    return max(1, min(WORKERS, os.cpu_count() or 1, 1 + int(python // HELPER_ROOM)))


def write_bundles(
    con: duckdb.DuckDBPyConnection, scopes: dict[str, list[str]], out_dir: str | Path, *,
    run_id: str, as_of: dt.date, progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """The bundles of the units of `scopes` (unit -> the units whose data its bundle holds,
    `unit_scopes`), a batch of units at a time; `progress(done, total)` after each batch.
    With `workers` > 1 (`default_workers()`) and at least `HELPER_MIN_UNITS` units, helper
    processes write some of them (`_with_helpers`); every bundle is the same either way."""
    from pipelines.dashboards.staff import load_staff

    out = Path(out_dir)
    staff = load_staff()
    reader = _Reader(con)
    workers = default_workers() if workers is None else workers
    helpers = workers - 1 if len(scopes) >= HELPER_MIN_UNITS else 0
    if helpers and reader.needs_source:
        helpers = 0  # tables chosen by ids are read from the warehouse, which helpers lack
    written: dict[str, Path] = {}
    copy = None  # one in-memory copy, made again for each unit's scope

    def write(batch: _Batch, unit: str) -> None:
        nonlocal copy
        copy = reader.copy(batch, scopes[unit], into=copy)
        written[unit] = _write_folder(copy, unit, scopes[unit], out, run_id=run_id,
                                      as_of=as_of, staff=staff)

    try:
        if helpers:
            _with_helpers(reader, scopes, out, run_id=run_id, as_of=as_of, helpers=helpers,
                          write=write, written=written, progress=progress)
        else:
            for units in reader.batches(scopes):
                batch = reader.read(u for unit in units for u in scopes[unit])
                for unit in units:
                    write(batch, unit)
                del batch
                if progress is not None:
                    progress(len(written), len(scopes))
    finally:
        if copy is not None:
            copy.close()
        reader.close()
    return dict(sorted(written.items()))


def _with_helpers(reader: _Reader, scopes: dict[str, list[str]], out: Path, *, run_id: str,
                  as_of: dt.date, helpers: int, write: Callable[[_Batch, str], None],
                  written: dict[str, Path],
                  progress: Callable[[int, int], None] | None) -> None:
    """`write_bundles` with `helpers` processes beside this one. Each batch is read here and
    also written to Arrow files in a temporary folder, which the helpers map into memory;
    every unit of the batch is handed to the helpers in order, and this process takes them
    back from the end of the batch while a helper has not started them (`Future.cancel`),
    so both work until the batch is done. The helpers are started fresh (`spawn`: the
    program's main module must not start anything when imported, the
    `if __name__ == "__main__"` idiom of every casewatch entry point); what they are given
    at start is in that folder too, so a helper that cannot start makes the pool fail at
    once instead of leaving this process waiting on it."""
    import multiprocessing
    import pickle
    import tempfile
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from pipelines import paths

    with tempfile.TemporaryDirectory(prefix="casewatch-bundles-") as tmp:
        start = Path(tmp) / "start"
        start.mkdir()
        _write_arrow(start, reader.tables,
                     {key: frame.combine_chunks() for key, frame in reader.fixed.items()})
        (start / "tables.pickle").write_bytes(pickle.dumps(reader.tables))
        try:
            with ProcessPoolExecutor(
                    helpers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_helper_start,
                    initargs=(str(start), str(out), run_id, as_of, str(paths.LOCAL_STAFF)),
            ) as pool:
                for n, units in enumerate(reader.batches(scopes)):
                    folder = Path(tmp) / f"batch-{n}"
                    folder.mkdir()
                    frames = {key: frame.combine_chunks() for key, frame in reader.frames(
                        u for unit in units for u in scopes[unit]).items()}
                    _write_arrow(folder, reader.tables, frames)
                    futures = [(unit, pool.submit(_helper_write, str(folder), unit,
                                                  scopes[unit])) for unit in units]
                    batch = _Batch(frames)
                    del frames
                    try:
                        for unit, future in reversed(futures):
                            if not future.cancel():
                                break  # a helper has it, and every unit before it
                            write(batch, unit)
                        for unit, future in futures:
                            if not future.cancelled():
                                written[unit] = Path(future.result())
                    except BaseException:
                        for _, future in futures:
                            future.cancel()
                        raise
                    del batch
                    shutil.rmtree(folder, ignore_errors=True)
                    if progress is not None:
                        progress(len(written), len(scopes))
        except BrokenProcessPool as e:
            raise RuntimeError(
                "a process writing unit bundles stopped before its work was done (was it "
                "killed for lack of memory? does the program's main module start casewatch "
                "when imported, without `if __name__ == '__main__'`?); with workers=1 (or "
                "CASEWATCH_BUNDLE_WORKERS=1) this process writes them all") from e


def _write_arrow(folder: Path, tables: list[_Table], frames: dict[tuple[str, str], pa.Table]
                 ) -> None:
    """`frames` as one Arrow file per table, named by the table's place in `tables` (a
    frame of one chunk is read back as one chunk, mapped, with nothing copied)."""
    for i, t in enumerate(tables):
        if t.key in frames:
            with pa.ipc.new_file(folder / f"{i}.arrow", frames[t.key].schema) as f:
                f.write_table(frames[t.key])


def _read_arrow(folder: Path, tables: list[_Table]) -> dict[tuple[str, str], pa.Table]:
    """What `_write_arrow` wrote, mapped into memory (not copied)."""
    return {t.key: pa.ipc.open_file(pa.memory_map(str(folder / f"{i}.arrow"))).read_all()
            for i, t in enumerate(tables) if (folder / f"{i}.arrow").exists()}


_HELPER: dict[str, Any] = {}  # in a helper process: what `_helper_start` was given


def _helper_start(start: str, out: str, run_id: str, as_of: dt.date, staff: str) -> None:
    import pickle

    from pipelines.dashboards.staff import load_staff

    tables = pickle.loads((Path(start) / "tables.pickle").read_bytes())
    _HELPER.update(reader=_Reader.detached(tables, _read_arrow(Path(start), tables)),
                   out=Path(out), run_id=run_id, as_of=as_of, staff=load_staff(Path(staff)),
                   folder=None, batch=None, copy=None)


def _helper_write(folder: str, unit: str, scope: list[str]) -> str:
    """One unit's bundle, in a helper process, from the batch in `folder`."""
    w = _HELPER
    if w["folder"] != folder:
        w["folder"], w["batch"] = folder, _Batch(_read_arrow(Path(folder), w["reader"].tables))
    w["copy"] = w["reader"].copy(w["batch"], scope, into=w["copy"])
    return str(_write_folder(w["copy"], unit, scope, w["out"], run_id=w["run_id"],
                             as_of=w["as_of"], staff=w["staff"]))


def write_unit_bundles(
    con: duckdb.DuckDBPyConnection, out_dir: str | Path, *, run_id: str, as_of: dt.date,
    progress: Callable[[int, int], None] | None = None, workers: int | None = None,
) -> dict[str, Path]:
    """A bundle for every unit of `marts.units`; bundles of units no longer listed go."""
    written = write_bundles(con, unit_scopes(con), out_dir, run_id=run_id, as_of=as_of,
                            progress=progress, workers=workers)
    units_dir = Path(out_dir) / UNITS_DIR
    for old in units_dir.iterdir() if units_dir.exists() else []:
        if old.is_dir() and old.name not in written:
            shutil.rmtree(old)
    return written
