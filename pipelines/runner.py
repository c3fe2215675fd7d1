"""Run the nightly graph in-process (DuckDB has one writer) and summarise the outcome."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import dagster as dg

from pipelines.resources import CasewatchSettings


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    skipped_assets: list[str] = field(default_factory=list)


def _instance() -> dg.DagsterInstance:
    # The Makefile points DAGSTER_HOME at the project's .dagster_home (telemetry off), so runs
    # started from the command line show up in `make ui`; without it the run is ephemeral.
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_nightly(settings: CasewatchSettings, raise_on_error: bool = False) -> RunOutcome:
    from pipelines.definitions import build_defs

    defs = build_defs(settings)
    job = defs.resolve_job_def("nightly")
    with _instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=raise_on_error,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    # The run rewrote the steward report when its resources were torn down (as for a UI launch;
    # pipelines.orchestration.finish_nightly_run). Rewrite it once more here so that a failure
    # to write it becomes a failed step of the summary instead of passing unnoticed.
    from pipelines.quality.report import refresh_steward_report

    failed_after: list[str] = []
    try:
        refresh_steward_report(settings, result.run_id)
    except Exception as exc:  # noqa: BLE001 - a failed refresh is a failed step, not a crash
        failed_after.append(f"steward report refresh: {type(exc).__name__}: {exc}")
    failed_checks = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed_checks.append(
                f"{'.'.join(evaluation.asset_key.path)}: {evaluation.check_name}"
                + (f" ({evaluation.description})" if evaluation.description else "")
            )
    failed_steps = [
        e.step_key or "?" for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    ] + failed_after
    materialized = {
        ".".join(e.asset_key.path) for e in result.get_asset_materialization_events()
    }
    planned = {".".join(k.path) for k in job.asset_layer.executable_asset_keys}
    return RunOutcome(
        success=result.success and not failed_checks and not failed_after,
        run_id=result.run_id,
        failed_checks=failed_checks,
        failed_steps=failed_steps,
        skipped_assets=sorted(planned - materialized),
    )
