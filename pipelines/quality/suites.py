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
pandas dataframes fetched from DuckDB (`validate_table`: every row, chunk by chunk, each
row-wise expectation on a frame of the columns it reads) in an ephemeral GX context: nothing is
written to disk and nothing needs the network. GX is imported lazily because its import costs
seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.paths import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

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


def _outcome(spec: dict[str, Any], result: Any) -> ExpectationOutcome:
    meta = spec.get("meta", {})
    r = result.result or {}
    exc = result.exception_info or {}
    raised = exc.get("raised_exception") if isinstance(exc, dict) else False
    if raised:
        failing, detail = 0, f"could not be evaluated: {str(exc.get('exception_message'))[:300]}"
        success = False
    elif "unexpected_count" in r:
        failing = int(r.get("unexpected_count") or 0)
        total = r.get("element_count")
        detail = f"{failing} of {total} rows unexpected"
        if failing:
            detail += f"; e.g. {_short(r.get('partial_unexpected_list') or [])}"
        success = bool(result.success)
    elif spec["type"] == "expect_table_columns_to_match_set":
        missing = (r.get("details") or {}).get("mismatched", {}).get("missing", []) or []
        failing = len(missing)
        detail = f"missing columns: {', '.join(missing)}" if missing else "all columns present"
        success = bool(result.success)
    else:
        success = bool(result.success)
        failing = 0 if success else 1
        observed = r.get("observed_value")
        detail = f"observed {observed}"
        if spec["type"] == "expect_table_row_count_to_be_between":
            kw = result.expectation_config.kwargs
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
# Rows per validated chunk: bounds the pandas frame in memory (a few hundred MB at most for the
# widest suite); every chunk is validated, and any failed chunk fails the expectation.
CHUNK_ROWS = 1_000_000
# GX computes only the unexpected count and a few examples (no full unexpected lists, no
# value counts of them, no index lists).
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 3}


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


def _groups(spec: dict[str, Any], available: list[str]) -> list[tuple[list[str] | None, dict]]:
    """The row-wise expectations of a suite grouped by the columns they read, each group with
    those columns only: GX copies the whole frame it is given whenever it filters rows (a
    `row_condition`, `ignore_row_if`), so each expectation gets a frame of its own columns.
    An expectation naming a column the table lacks gets the whole chunk (None), so GX reports
    the missing column."""
    groups: dict[tuple[str, ...] | None, list[dict]] = {}
    for e in _part(spec, None)["expectations"]:
        reads = _reads(e, available)
        key = tuple(c for c in available if c in reads) if reads <= set(available) else None
        groups.setdefault(key, []).append(e)
    return [(None if cols is None else list(cols), {**spec, "expectations": es})
            for cols, es in groups.items()]


def _validate_rows(validator: _Validator, groups: list, chunk: pd.DataFrame) -> list[Any]:
    """Every row-wise expectation on one chunk, each group on its own columns."""
    chunk = fast_dtypes(chunk)
    results: list[Any] = []
    for i, (cols, part) in enumerate(groups):
        results += validator.run(f"rows{i}", part, chunk if cols is None else chunk[cols])
    return results


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
    return frame.assign(**out) if out else frame


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


class _Validator:
    """One ephemeral GX context and pandas asset, reused for every part and chunk of a suite."""

    def __init__(self, spec: dict[str, Any], parameters: dict[str, Any]):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every batch frame (an md5 of `hash_pandas_object`: a batch marker,
        # read by no expectation) unless the frame exceeds this many bytes; it costs as much
        # as the expectations themselves, so no frame is fingerprinted.
        pandas_execution_engine.HASH_THRESHOLD = 0
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._definition = (
            context.data_sources.add_pandas(f"{spec['name']}_frame")
            .add_dataframe_asset(name=spec["name"])
            .add_batch_definition_whole_dataframe("whole")
        )
        self._parameters = parameters
        self._suites: dict[str, Any] = {}

    def run(self, part: str, spec: dict[str, Any], frame: pd.DataFrame) -> list[Any]:
        if not spec["expectations"]:
            return []
        suite = self._suites.get(part)
        if suite is None:
            suite = self._suites[part] = build_suite({**spec, "name": f"{spec['name']}_{part}"})
        batch = self._definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite, result_format=RESULT_FORMAT, expectation_parameters=self._parameters
        )
        return list(result.results)


def _merge(results: list[Any]) -> Any:
    """One expectation's results over every chunk, as one result: unexpected counts add up,
    it succeeds only if every chunk succeeds, examples come from the first failing chunk."""
    from great_expectations.core import ExpectationValidationResult

    if len(results) == 1:
        return results[0]
    for r in results:
        exc = r.exception_info or {}
        if isinstance(exc, dict) and exc.get("raised_exception"):
            return r
    merged = dict(results[0].result or {})
    if "unexpected_count" in merged:
        merged["unexpected_count"] = sum(int((r.result or {}).get("unexpected_count") or 0)
                                         for r in results)
        merged["element_count"] = sum(int((r.result or {}).get("element_count") or 0)
                                      for r in results)
        failing = next((r for r in results if not r.success), None)
        merged["partial_unexpected_list"] = (
            (failing.result or {}).get("partial_unexpected_list") or [] if failing else [])
    return ExpectationValidationResult(
        success=all(r.success for r in results),
        expectation_config=results[0].expectation_config,
        result=merged,
        exception_info=results[0].exception_info,
    )


def _outcomes(spec: dict[str, Any], results: list[Any]) -> list[ExpectationOutcome]:
    """Per expectation of the suite, in suite order, its merged result over every chunk."""
    by_name = {expectation_name(e): e for e in spec["expectations"]}
    grouped: dict[str, list[Any]] = {}
    for r in results:
        grouped.setdefault(r.expectation_config.meta["name"], []).append(r)
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
) -> SuiteOutcome:
    """Validate one mart's dataframe against its suite, chunk by chunk (see `validate_table`)."""
    import pandas as pd

    validator = _Validator(spec, _parameters(spec, as_of, previous_rows))
    results = validator.run("schema", _part(spec, _SCHEMA_TYPES), frame.iloc[:0])
    results += validator.run("count", _part(spec, _COUNT_TYPES),
                             pd.DataFrame(index=pd.RangeIndex(len(frame))))
    groups = _groups(spec, list(frame.columns))
    columns = columns_needed(spec, list(frame.columns))
    for start in range(0, max(len(frame), 1), chunk_rows):
        results += _validate_rows(validator, groups, frame.iloc[start:start + chunk_rows][columns])
    return SuiteOutcome(suite=spec["name"], rows=len(frame), results=_outcomes(spec, results))


def validate_table(
    con: Any,
    table: str,
    spec: dict[str, Any],
    *,
    as_of: dt.date,
    previous_rows: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> SuiteOutcome:
    """Validate every row of a DuckDB table against its suite without holding it in memory.

    - the column set is checked on the table's (empty) frame of every column;
    - the row-count band on the table's row count;
    - every other expectation on the columns the suite names only, `chunk_rows` rows at a time
      fetched from DuckDB with the same types as `.df()`; each chunk is validated and the
      counts add up, so a violation in any row of any chunk fails the expectation.
    """
    import pandas as pd

    validator = _Validator(spec, _parameters(spec, as_of, previous_rows))
    schema = con.sql(f"select * from {table} limit 0").df()
    results = validator.run("schema", _part(spec, _SCHEMA_TYPES), schema)
    (n,) = con.execute(f"select count(*) from {table}").fetchall()[0]
    results += validator.run("count", _part(spec, _COUNT_TYPES),
                             pd.DataFrame(index=pd.RangeIndex(n)))
    rows = _part(spec, None)
    columns = columns_needed(spec, list(schema.columns))
    if rows["expectations"] and columns:
        groups = _groups(spec, list(schema.columns))
        select = ", ".join(f'"{c}"' for c in columns)
        cursor = con.cursor()
        try:
            cursor.execute(f"select {select} from {table}")
            vectors = max(1, chunk_rows // 2048)
            seen = 0
            while True:
                chunk = cursor.fetch_df_chunk(vectors)
                if len(chunk) == 0 and seen:
                    break
                results += _validate_rows(validator, groups, chunk)
                seen += len(chunk)
                if len(chunk) == 0:
                    break
        finally:
            cursor.close()
    elif rows["expectations"]:
        results += validator.run("rows", rows, schema)  # names a missing column: GX says so
    return SuiteOutcome(suite=spec["name"], rows=n, results=_outcomes(spec, results))
