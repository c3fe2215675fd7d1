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
a pandas dataframe (`con.sql(...).df()`) in an ephemeral GX context: nothing is written to disk
and nothing needs the network. GX is imported lazily because its import costs seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def validate(
    frame: pd.DataFrame,
    spec: dict[str, Any],
    *,
    as_of: dt.date,
    previous_rows: int | None = None,
) -> SuiteOutcome:
    """Validate one mart's dataframe against its suite (ephemeral context, SUMMARY results)."""
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"{spec['name']}_frame")
        .add_dataframe_asset(name=spec["name"])
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    parameters = {"as_of": pd.Timestamp(as_of), **row_count_parameters(spec, previous_rows)}
    result = batch.validate(
        build_suite(spec), result_format="SUMMARY", expectation_parameters=parameters
    )
    by_name = {expectation_name(e): e for e in spec["expectations"]}
    outcomes = []
    for r in result.results:
        name = r.expectation_config.meta["name"]
        outcomes.append(_outcome(by_name[name], r))
    order = {n: i for i, n in enumerate(by_name)}
    outcomes.sort(key=lambda o: order[o.name])
    return SuiteOutcome(suite=spec["name"], rows=len(frame), results=outcomes)
