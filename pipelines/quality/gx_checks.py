"""One Dagster asset check per Great Expectations suite: `matches_contract` on `marts.<name>`.

- A failed `error` expectation fails the check with ERROR severity; the check is blocking, so
  nothing downstream of the mart (publication, dashboards) runs and the run ends as failed.
- Failed `warn` expectations only (e.g. the row-count band on a quiet night) fail the check
  with WARN severity, which never blocks.
- Every expectation is recorded in `marts.validation_results` (tool `great_expectations`,
  `failing_count` = GX's unexpected_count); the check's metadata carries the counts only, never
  values.
- Every row is validated, without holding the mart in memory: the suite's row-wise
  expectations run on the columns they name, one chunk of rows at a time
  (`suites.validate_table`); a violation in any chunk fails the expectation.
- GX runs in worker processes shared by the run's checks (`pipelines.quality.gx_runner`);
  they stop once the last check of the run is done, before the steps after it start.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from pipelines.check_log import record_check
from pipelines.quality import gx_runner, suites
from pipelines.resources import CasewatchSettings, Warehouse

CHECK_NAME = "matches_contract"


def _previous_row_count(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> int | None:
    """The mart's row count at its latest materialization in an earlier run, if the instance
    keeps history (an ephemeral instance does not)."""
    records = context.instance.fetch_materializations(key, limit=5).records
    for record in records:
        if record.run_id == context.run.run_id:
            continue
        materialization = record.asset_materialization
        value = materialization.metadata.get("dagster/row_count") if materialization else None
        if value is not None:
            return int(value.value)
    return None


_DONE: dict[str, set[str]] = {}  # per run: the GX check steps finished in this process


def _last_check_done(context: dg.AssetCheckExecutionContext) -> bool:
    """Whether every GX check step of this run has now finished (the workers can stop)."""
    try:
        step = context.get_step_execution_context()
        planned = {k for k in step.plan_data.execution_plan.step_keys_to_execute
                   if k.endswith(f"_{CHECK_NAME}")}
        key = step.step.key
    except Exception:  # noqa: BLE001 - no plan to read: the idle workers stop by themselves
        return False
    done = _DONE.setdefault(context.run.run_id, set())
    done.add(key)
    if planned <= done:
        _DONE.pop(context.run.run_id, None)
        return True
    return False


def _failed_table(outcomes: list[suites.ExpectationOutcome]) -> str:
    lines = ["| expectation | severity | failing rows |", "|---|---|---|"]
    lines += [f"| {o.name} | {o.severity} | {o.failing_count} |" for o in outcomes]
    return "\n".join(lines)


def record_outcome(con: Any, run_id: str, mart: str, outcome: suites.SuiteOutcome) -> None:
    """One `marts.validation_results` row per expectation."""
    for o in outcome.results:
        record_check(
            con, run_id=run_id, asset=f"marts.{mart}", check_name=f"gx:{o.name}",
            tool="great_expectations", severity=o.severity, passed=o.success,
            failing_count=o.failing_count, detail=f"{o.description} {o.detail}".strip(),
        )


def gx_check(mart: str) -> dg.AssetChecksDefinition:
    """The `matches_contract` check of `marts.<mart>` from `expectations/<mart>.json`."""
    spec = suites.load_spec(mart)
    key = dg.AssetKey(["marts", mart])
    n_error = sum(suites.expectation_severity(e) == "error" for e in spec["expectations"])

    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=True,
        description=(
            f"Great Expectations suite expectations/{mart}.json: the output contract of "
            f"marts.{mart} ({len(spec['expectations'])} expectations, {n_error} blocking)."
        ),
    )
    def _check(
        context, settings: CasewatchSettings, warehouse: Warehouse
    ) -> dg.AssetCheckResult:
        previous = _previous_row_count(context, key)
        with warehouse.connect() as con:
            outcome = suites.validate_table(
                con, f"marts.{mart}", spec, as_of=settings.as_of_date(), previous_rows=previous
            )
            record_outcome(con, context.run.run_id, mart, outcome)
        if _last_check_done(context):
            gx_runner.close_workers()
        errors, warnings = outcome.failed_errors, outcome.failed_warnings
        metadata: dict[str, Any] = {
            "rows": outcome.rows,
            "expectations": len(outcome.results),
            "failed_error": len(errors),
            "failed_warn": len(warnings),
            "failing_rows": sum(o.failing_count for o in errors + warnings),
            "suite": f"expectations/{mart}.json",
        }
        if errors or warnings:
            metadata["failed"] = dg.MetadataValue.md(_failed_table(errors + warnings))
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=(
                f"{len(errors)} blocking and {len(warnings)} warning expectation(s) failed"
                if errors or warnings else "every expectation holds"
            ),
        )

    return _check


def build_gx_checks(available: set[dg.AssetKey] | None = None) -> list[dg.AssetChecksDefinition]:
    """A check per suite whose mart is defined (`available`; all suites when None)."""
    return [
        gx_check(name)
        for name in suites.suite_names()
        if available is None or dg.AssetKey(["marts", name]) in available
    ]
