"""The whole list behind a capped table, as a file beside its page.

A page embeds at most its cap of rows per table (`model.py`, `scorecards.py`, `worklist.py`,
...), so it stays small at any scale. A capped table carries a `FullList`: the file beside the
page that holds every row, linked from the table's cap note. After the pages are written,
`write_full_lists` writes the CSV of every capped table, and of the few lists a page links
whether capped or not (every unit's scorecard, by the unit selector): UTF-8 with a byte-order
mark, so a spreadsheet reads the Vietnamese; each cell through `safe_output.csv_cell`; in the
page's order, with the marts' own column names and codes. A table no longer capped has its old
file removed. A `FullList` without a query names a file written elsewhere (`worklist.csv`,
`worklist.xlsx`, `interagency.xlsx`: `pages.py`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import duckdb
from markupsafe import Markup, escape

from pipelines.contract import PII_COLUMNS
from pipelines.dashboards.charts import Chart
from pipelines.dashboards.db import column_names
from pipelines.dashboards.i18n import Bi
from pipelines.safe_output import csv_cell

#  Columns never written, whatever a mart holds: personal data and staff names.
NEVER_WRITTEN = PII_COLUMNS | {"display_name"}
FETCH_ROWS = 10_000


@dataclass(frozen=True)
class FullList:
    """`file` beside the page; `sql` (with `params`) gives every row, None when the file is
    written elsewhere; `always`: written even when the table is not capped."""

    file: str
    sql: str | None = None
    params: tuple[Any, ...] = ()
    always: bool = False

    @property
    def label(self) -> Bi:
        kind = Path(self.file).suffix.lstrip(".").upper()
        return Bi(f"Tải toàn bộ ({kind})", f"Download all of it ({kind})")

    def __html__(self) -> str:
        return (f'<a class="full-list" href="{escape(self.file)}" download>'
                f"{self.label.__html__()}</a>")


def mart_columns(con: duckdb.DuckDBPyConnection, table: str, schema: str = "marts",
                 alias: str = "") -> str:
    """The select list of a mart's columns, personal ones left out."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{c}"' for c in column_names(con, schema, table)
                     if c not in NEVER_WRITTEN)


def _capped_tables(obj: Any) -> Iterator[Any]:
    """Every table (anything with `full` and `capped`) in a page's variables: in its dicts,
    lists and dataclasses (a chart's data is not looked into)."""
    if hasattr(obj, "full") and hasattr(obj, "capped"):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _capped_tables(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _capped_tables(v)
    elif is_dataclass(obj) and not isinstance(obj, type | Chart):
        for f in fields(obj):
            yield from _capped_tables(getattr(obj, f.name))


def write_csv(con: duckdb.DuckDBPyConnection, path: Path, sql: str,
              params: Iterable[Any] = ()) -> int:
    """Every row of `sql` as a CSV (header, BOM, cells made safe); written beside and renamed.
    Returns the number of rows."""
    tmp = path.with_name(f".{path.name}.tmp")
    n = 0
    try:
        cur = con.cursor()
        try:
            cur.execute(sql, list(params))
            header = [d[0] for d in cur.description]
            with tmp.open("w", encoding="utf-8-sig", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(header)
                while batch := cur.fetchmany(FETCH_ROWS):
                    writer.writerows([csv_cell(v) for v in row] for row in batch)
                    n += len(batch)
        finally:
            cur.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def write_full_lists(con: duckdb.DuckDBPyConnection, out: Path,
                     pages: Iterable[dict[str, Any]]) -> dict[str, Path]:
    """The file of every capped table of `pages` written into `out`; the files of tables no
    longer capped removed. Returns {file name: path} of the files written."""
    wanted: dict[str, FullList] = {}
    idle: set[str] = set()
    for page in pages:
        for table in _capped_tables(page):
            full = table.full
            if full is None or full.sql is None:
                continue
            if not table.capped and not full.always:
                idle.add(full.file)
                continue
            known = wanted.setdefault(full.file, full)
            if known != full:
                raise ValueError(f"two different lists named {full.file}")
    written = {}
    for name, full in wanted.items():
        written[name] = out / name
        write_csv(con, out / name, full.sql, full.params)
    for name in idle - set(wanted):
        (out / name).unlink(missing_ok=True)
    return written


def full_link(full: FullList | None) -> Markup:
    return Markup(full.__html__()) if full is not None else Markup("")
