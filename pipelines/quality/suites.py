"""Great Expectations suites: the output contract of each published mart, as data.

`expectations/<mart>.json` is a GX 1.x suite (`gx.ExpectationSuite(**json)` loads it). Each
expectation's `meta` carries what the project adds on top of GX:

- `name`: a short stable identifier, unique in its suite (the `check_name` in
  `marts.validation_results`);
- `severity`: `error` (a failure blocks publication) or `warn` (reported, never blocks);
- `description_vi`: the Vietnamese text shown to data stewards (`description` is the English one);
- `band` (row-count expectations only): the sanity band the run turns into the parameters
  `row_count_min` / `row_count_max`.

Expectations may use the suite parameter `as_of` (the run's as-of date). Suites are validated on
pandas dataframes made from the mart's rows (`validate_table`: every row, chunk by chunk, each
group of row-wise expectations on a frame of the columns it reads) in an ephemeral GX context,
one per process, in worker processes (`pipelines.quality.gx_runner`): nothing is written to
disk and nothing needs the network. GX is imported only where it runs, because its import
costs seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.paths import EXPECTATIONS_DIR
from pipelines.quality.gx_runner import Result

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd
    import pyarrow as pa

SEVERITIES = ("error", "warn")
# GX's own severity field, kept in step with `meta.severity`.
_GX_SEVERITY = {"error": "critical", "warn": "warning"}


def suite_paths(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("*.json"))


@cache
def load_spec(name: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    """The suite JSON of mart `name` (the file stem)."""
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


def suite_names(directory: Path = EXPECTATIONS_DIR) -> list[str]:
    return [p.stem for p in suite_paths(directory)]


def expectation_name(spec: dict[str, Any]) -> str:
    return spec["meta"]["name"]


def expectation_severity(spec: dict[str, Any]) -> str:
    return spec.get("meta", {}).get("severity", "error")


def build_suite(spec: dict[str, Any]) -> gx.ExpectationSuite:
    """A GX suite from its JSON; GX's severity field follows `meta.severity`."""
    import great_expectations as gx

    doc = json.loads(json.dumps(spec))  # GX mutates what it is given
    for e in doc["expectations"]:
        e["severity"] = _GX_SEVERITY[expectation_severity(e)]
    return gx.ExpectationSuite(**doc)


def row_count_parameters(spec: dict[str, Any], previous_rows: int | None) -> dict[str, int]:
    """`row_count_min` / `row_count_max` for the suite's row-count band.

    The band is static (`min_rows`, `max_rows`) and, once there is a previous run, also relative:
    a drop of more than `max_drop_from_previous` of the previous row count is out of band.
    """
    band = next(
        (e["meta"]["band"] for e in spec["expectations"] if "band" in e.get("meta", {})),
        {"min_rows": 0, "max_rows": 10**12, "max_drop_from_previous": 1.0},
    )
    low = int(band["min_rows"])
    if previous_rows:
        low = max(low, math.ceil(previous_rows * (1 - float(band["max_drop_from_previous"]))))
    return {"row_count_min": low, "row_count_max": int(band["max_rows"])}


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str
    type: str
    severity: str  # error / warn
    success: bool
    failing_count: int
    element_count: int | None
    description: str
    description_vi: str
    detail: str  # what was observed: counts, a few unexpected values, or the error raised


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    rows: int
    results: list[ExpectationOutcome]

    @property
    def failed_errors(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == "warn"]

    @property
    def passed(self) -> bool:
        return not self.failed_errors and not self.failed_warnings


def _short(values: list[Any], n: int = 3) -> str:
    shown = []
    for v in values[:n]:
        if isinstance(v, dt.datetime | dt.date):
            v = v.isoformat()[:10]
        shown.append(str(v)[:60])
    return ", ".join(shown)


def _outcome(spec: dict[str, Any], result: Result) -> ExpectationOutcome:
    meta = spec.get("meta", {})
    r = result.result
    if result.error is not None:
        failing, detail = 0, f"could not be evaluated: {result.error[:300]}"
        success = False
    elif "unexpected_count" in r:
        failing = int(r.get("unexpected_count") or 0)
        total = r.get("element_count")
        detail = f"{failing} of {total} rows unexpected"
        if failing:
            detail += f"; e.g. {_short(r.get('partial_unexpected_list') or [])}"
        success = result.success
    elif spec["type"] == "expect_table_columns_to_match_set":
        missing = (r.get("details") or {}).get("mismatched", {}).get("missing", []) or []
        failing = len(missing)
        detail = f"missing columns: {', '.join(missing)}" if missing else "all columns present"
        success = result.success
    else:
        success = result.success
        failing = 0 if success else 1
        observed = r.get("observed_value")
        detail = f"observed {observed}"
        if spec["type"] == "expect_table_row_count_to_be_between":
            kw = result.kwargs
            detail += f" rows; band [{kw.get('min_value')}, {kw.get('max_value')}]"
    return ExpectationOutcome(
        name=meta["name"],
        type=spec["type"],
        severity=expectation_severity(spec),
        success=success,
        failing_count=failing,
        element_count=r.get("element_count"),
        description=spec.get("description", ""),
        description_vi=meta.get("description_vi", ""),
        detail=detail,
    )


# Expectations on the table as a whole; every other expectation is a row-wise check of the
# columns its kwargs name, and is validated chunk by chunk.
_SCHEMA_TYPES = {"expect_table_columns_to_match_set"}
_COUNT_TYPES = {"expect_table_row_count_to_be_between"}
_COLUMN_KWARGS = ("column", "column_A", "column_B")
# Each group of expectations reads its columns a chunk at a time: at most CHUNK_ROWS rows and
# CHUNK_BYTES of Arrow data (a chunk's pandas frame and GX's copies of it are a few times
# that). Every chunk is validated, and any failed chunk fails the expectation.
CHUNK_ROWS = 2_000_000
CHUNK_BYTES = 16 * 2**20
# Expectations whose pandas evaluation treats a text column without nulls in Arrow
# (`string[pyarrow]`) or as a category exactly as in Python strings: null tests and set
# membership. A `row_condition` (`==`, `!=`, `in`, `not in` on text) does too when the column
# has no null (with a null, pandas' Arrow text gives NA where Python strings give a boolean),
# so `gx_runner` converts a text column so only when it has no null in the chunk.
_TEXT_TYPES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
}
_SET_TYPES = {
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
}


def _reads(e: dict[str, Any], available: list[str]) -> set[str]:
    """The columns one row-wise expectation reads: those its kwargs name, and those its
    `row_condition` mentions."""
    wanted = {e["kwargs"][k] for k in _COLUMN_KWARGS if e["kwargs"].get(k)}
    condition = e["kwargs"].get("row_condition") or ""
    wanted.update(c for c in available if re.search(rf"\b{re.escape(c)}\b", condition))
    return wanted


def columns_needed(spec: dict[str, Any], available: list[str]) -> list[str]:
    """The columns of `available` the row-wise expectations of a suite read: those their
    kwargs name, and those their `row_condition` mentions."""
    wanted: set[str] = set()
    for e in spec["expectations"]:
        if e["type"] not in _SCHEMA_TYPES | _COUNT_TYPES:
            wanted |= _reads(e, available)
    return [c for c in available if c in wanted]


def _groups(spec: dict[str, Any], available: list[str]) -> list[tuple[list[str], dict]]:
    """The row-wise expectations of a suite grouped by the columns they read, each group with
    those columns only: GX copies the whole frame it is given whenever it filters rows (a
    `row_condition`, `ignore_row_if`, the non-null values of a column), so each expectation
    gets a frame of its own columns. An expectation naming a column the table lacks gets
    every column the suite reads, so GX reports the missing column."""
    needed = columns_needed(spec, available)
    groups: dict[tuple[str, ...] | None, list[dict]] = {}
    for e in _part(spec, None)["expectations"]:
        reads = _reads(e, available)
        key = tuple(c for c in available if c in reads) if reads <= set(available) else None
        groups.setdefault(key, []).append(e)
    return [(needed if cols is None else list(cols), {**spec, "expectations": es})
            for cols, es in groups.items()]


def _text_kinds(part: dict[str, Any], columns: list[str]) -> dict[str, str]:
    """How the text columns of a group may reach GX when they have no null in a chunk:
    a column only tested for null stays in Arrow; one matched against a set or filtered on by
    a `row_condition` becomes a category (GX filters and matches its integer codes). A
    column any other expectation names (a regex, lengths, a type list, bounds) reaches GX as
    Python strings, as `.df()` gives it."""
    kinds = dict.fromkeys(columns, "arrow")
    for e in part["expectations"]:
        kw = e["kwargs"]
        named = {kw[k] for k in _COLUMN_KWARGS if kw.get(k)}
        if e["type"] in _SET_TYPES:
            kinds.update((c, "category") for c in named if kinds.get(c) == "arrow")
        elif e["type"] not in _TEXT_TYPES:
            for c in named:
                kinds.pop(c, None)
    for e in part["expectations"]:
        condition = e["kwargs"].get("row_condition") or ""
        kinds.update((c, "category") for c in list(kinds)
                     if re.search(rf"\b{re.escape(c)}\b", condition))
    return kinds


def fast_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """The chunk with the dtypes GX evaluates vectorised, the values unchanged.

    GX's `between` compares a column with numpy operators only when its dtype is `int64`,
    `float64` or `datetime64[ns]`; any other (DuckDB's dates arrive as `datetime64[us]`, its
    INTEGER as `int32`, a nullable integer as `Int64`) is compared value by value in Python,
    100× slower. Dates within the nanosecond range become `datetime64[ns]`, narrower integers
    and nullable integers with no null in the chunk `int64`, `float32` `float64`;
    each of these is in the same type lists of the suites as the dtype it replaces.
    """
    import pandas as pd

    out = {}
    for name in frame.columns:
        column = frame[name]
        kind = column.dtype
        if pd.api.types.is_datetime64_dtype(kind) and not isinstance(kind, pd.DatetimeTZDtype):
            if str(kind) != "datetime64[ns]" and _ns_safe(column):
                out[name] = column.astype("datetime64[ns]")
        elif isinstance(kind, pd.api.extensions.ExtensionDtype) and kind.kind in "iu":
            if not column.hasnans:  # a nullable integer with no null in this chunk
                out[name] = column.astype(np.int64)
        elif kind in (np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32):
            out[name] = column.astype(np.int64)
        elif kind == np.float32:
            out[name] = column.astype(np.float64)
    if not out:
        return frame
    return pd.DataFrame({c: out.get(c, frame[c]) for c in frame.columns}, index=frame.index,
                        copy=False)


def _ns_safe(column: pd.Series) -> bool:
    """Every value of a datetime column fits `datetime64[ns]` (1677-09-21 .. 2262-04-11)."""
    lowest, highest = column.min(), column.max()
    if lowest is None or lowest != lowest:  # all null
        return True
    return (np.datetime64("1678-01-01") <= lowest.to_datetime64()
            and highest.to_datetime64() <= np.datetime64("2262-01-01"))


def _part(spec: dict[str, Any], types: set[str] | None) -> dict[str, Any]:
    """The suite restricted to expectations of `types` (None: the row-wise ones)."""
    def keep(e: dict[str, Any]) -> bool:
        table_level = e["type"] in _SCHEMA_TYPES | _COUNT_TYPES
        return e["type"] in types if types is not None else not table_level

    return {**spec, "expectations": [e for e in spec["expectations"] if keep(e)]}


def _merge(results: list[Result]) -> Result:
    """One expectation's results over every chunk, as one result: unexpected counts add up,
    it succeeds only if every chunk succeeds, examples come from the first failing chunk."""
    if len(results) == 1:
        return results[0]
    for r in results:
        if r.error is not None:
            return r
    merged = dict(results[0].result)
    if "unexpected_count" in merged:
        merged["unexpected_count"] = sum(int(r.result.get("unexpected_count") or 0)
                                         for r in results)
        merged["element_count"] = sum(int(r.result.get("element_count") or 0)
                                      for r in results)
        failing = next((r for r in results if not r.success), None)
        merged["partial_unexpected_list"] = (
            failing.result.get("partial_unexpected_list") or [] if failing else [])
    return Result(name=results[0].name, success=all(r.success for r in results),
                  result=merged, error=None, kwargs=results[0].kwargs)


def _outcomes(spec: dict[str, Any],
              done: list[tuple[tuple, list[Result]]]) -> list[ExpectationOutcome]:
    """Per expectation of the suite, in suite order, its merged result over every chunk
    (chunks in table order)."""
    by_name = {expectation_name(e): e for e in spec["expectations"]}
    grouped: dict[str, list[Result]] = {}
    for _, results in sorted(done, key=lambda d: d[0]):
        for r in results:
            grouped.setdefault(r.name, []).append(r)
    return [_outcome(by_name[n], _merge(grouped[n])) for n in by_name if n in grouped]


def _parameters(spec: dict[str, Any], as_of: dt.date, previous_rows: int | None) -> dict:
    import pandas as pd

    return {"as_of": pd.Timestamp(as_of), **row_count_parameters(spec, previous_rows)}


def validate(
    frame: pd.DataFrame,
    spec: dict[str, Any],
    *,
    as_of: dt.date,
    previous_rows: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    workers: int | None = 0,
) -> SuiteOutcome:
    """Validate one mart's dataframe against its suite: the frame is read through an
    in-memory DuckDB and validated as `validate_table` validates a mart (in this process
    unless `workers` says otherwise)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("frame", frame)
        con.execute("create table mart_frame as select * from frame")
        return validate_table(con, "mart_frame", spec, as_of=as_of, previous_rows=previous_rows,
                              chunk_rows=chunk_rows, workers=workers)
    finally:
        con.close()


def _chunks(con: Any, table: str, columns: list[str], chunk_rows: int,
            chunk_bytes: int | None = None) -> Iterator[pa.Table]:
    """The table's `columns` as Arrow, a chunk at a time (at least one chunk): at most
    `chunk_rows` rows, and no more rows than fit in `chunk_bytes` (at the width of the rows
    read so far)."""
    import pyarrow as pa

    chunk_bytes = chunk_bytes or CHUNK_BYTES
    select = ", ".join(f'"{c}"' for c in columns)
    cursor = con.cursor()
    try:
        reader = cursor.sql(f"select {select} from {table}").to_arrow_reader(
            min(chunk_rows, 1 << 17))
        pending: list[pa.RecordBatch] = []
        held = seen_rows = seen_bytes = 0
        yielded = False
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            seen_rows += batch.num_rows
            seen_bytes += batch.nbytes
            rows = max(1, min(chunk_rows, chunk_bytes * seen_rows // max(seen_bytes, 1)))
            while held >= rows:
                whole = pa.Table.from_batches(pending, schema=reader.schema)
                yield whole.slice(0, rows)
                yielded = True
                rest = whole.slice(rows)
                pending, held = rest.to_batches(), rest.num_rows
        if held or not yielded:
            yield pa.Table.from_batches(pending, schema=reader.schema)
    finally:
        cursor.close()


def validate_table(
    con: Any,
    table: str,
    spec: dict[str, Any],
    *,
    as_of: dt.date,
    previous_rows: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    workers: int | None = None,
) -> SuiteOutcome:
    """Validate every row of a DuckDB table against its suite without holding it in memory.

    - the column set is checked on the table's (empty) frame of every column;
    - the row-count band on the table's row count;
    - every other expectation on the columns it reads only, `chunk_rows` rows at a time
      fetched from DuckDB as Arrow and handed to GX with the types of `.df()` (see
      `gx_runner.to_pandas`); each chunk is validated and the counts add up, so a violation
      in any row of any chunk fails the expectation.

    GX runs in `workers` worker processes (None: `gx_runner.WORKERS`; 0: this process).
    """
    from pipelines.quality import gx_runner
    from pipelines.quality.gx_runner import Task

    parameters = _parameters(spec, as_of, previous_rows)
    cursor = con.cursor()
    try:
        schema = cursor.sql(f"select * from {table} limit 0").to_arrow_table()
        (n,) = cursor.execute(f"select count(*) from {table}").fetchall()[0]
    finally:
        cursor.close()
    available = schema.column_names
    groups = _groups(spec, available)
    columns = columns_needed(spec, available)

    def tasks() -> Iterator[Task]:
        yield Task(("schema",), _part(spec, _SCHEMA_TYPES), parameters, table=schema)
        yield Task(("count",), _part(spec, _COUNT_TYPES), parameters, rows=n)
        if not groups:
            return
        if not columns:  # every row-wise expectation names a missing column: GX says so
            yield Task(("rows", 0, 0), _part(spec, None), parameters, table=schema)
            return
        for j, (cols, part) in enumerate(groups):
            text = {c: kind for c, kind in _text_kinds(part, cols).items()
                    if gx_runner.is_text(schema.field(c).type)}
            for i, chunk in enumerate(_chunks(con, table, cols, chunk_rows)):
                yield Task(("rows", i, j), part, parameters, table=chunk, text=text)

    done = gx_runner.runner(workers).run(tasks())
    return SuiteOutcome(suite=spec["name"], rows=n, results=_outcomes(spec, done))
