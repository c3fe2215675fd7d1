"""What makes the nightly job run by itself: the 01:00 schedule, the new-batch sensor, the alert
and retention sensors, the run tags that carry `as_of`, and the end-of-run steward report.

- The `nightly` job carries the tag `casewatch/job=nightly`. The instance config
  (`deploy/dagster.yaml`) limits runs with that tag to one at a time, so the schedule, the
  sensor and a launch from the UI queue behind each other instead of fighting over DuckDB's one
  writer.
- `as_of` is decided once per run (`decide_as_of`): the run config if it names one, else the
  run's `casewatch/as_of` tag (set by the schedule and the sensor when they create the run),
  else today in Asia/Ho_Chi_Minh. The decision is written back as the `casewatch/as_of` tag,
  so every run shows its status date in the UI.
- The steward report asset runs early (it must not sit downstream of marts whose blocking
  checks may fail); `finish_nightly_run` rewrites it when the run's resources are torn down,
  after the last step, whatever the outcome. This happens inside the run, so a run launched
  from the UI, the schedule, the sensor or `casewatch run` leaves the same report.

Environment variables read when the definitions load (the systemd units set them; see
docs/operations.md): `CASEWATCH_LANDING`, `CASEWATCH_WAREHOUSE`, `CASEWATCH_OUT`,
`CASEWATCH_PUBLISHED`, `CASEWATCH_HISTORY_NIGHTS`, `CASEWATCH_NIGHTLY_CRON`,
`CASEWATCH_SENSOR_INTERVAL`, `CASEWATCH_BATCH_SETTLE_SECONDS`, `CASEWATCH_RUN_RETENTION_DAYS`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from pipelines import paths
from pipelines.resources import CasewatchSettings, today_local

JOB_NAME = "nightly"
JOB_TAG = "casewatch/job"  # the instance limits runs with casewatch/job=nightly to one
AS_OF_TAG = "casewatch/as_of"
BATCH_TAG = "casewatch/batch_id"
TRIGGER_TAG = "casewatch/trigger"  # schedule / new_batch

NIGHTLY_CRON = "0 1 * * *"
TIMEZONE = "Asia/Ho_Chi_Minh"
SENSOR_INTERVAL = 30  # seconds between two looks at the landing folder
BATCH_SETTLE_SECONDS = 60  # a batch folder untouched this long is complete (copy finished)
RUN_RETENTION_DAYS = 90
HISTORY_NIGHTS = 7


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def settings_from_env() -> CasewatchSettings:
    """The run settings of a deployed instance: paths from `CASEWATCH_*`, else the project's
    default locations under data/."""
    return CasewatchSettings(
        landing_dir=_env("CASEWATCH_LANDING", str(paths.DEFAULT_LANDING)),
        warehouse_path=_env("CASEWATCH_WAREHOUSE", str(paths.DEFAULT_WAREHOUSE)),
        out_dir=_env("CASEWATCH_OUT", str(paths.DEFAULT_OUT)),
        published_path=_env("CASEWATCH_PUBLISHED", str(paths.DEFAULT_PUBLISHED)),
        history_nights=int(_env("CASEWATCH_HISTORY_NIGHTS", str(HISTORY_NIGHTS))),
        memory_limit=_env("CASEWATCH_MEMORY_LIMIT", ""),
        unit_bundles=_env("CASEWATCH_UNIT_BUNDLES", "on").lower() not in ("off", "0", "false"),
    )


def nightly_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,  # DuckDB has one writer
        tags={JOB_TAG: JOB_NAME},
        description="Load the night's batches, compute clocks and indicators, check, publish.",
    )


# --- as_of, once per run --------------------------------------------------------------------


def decide_as_of(configured: str, context: dg.InitResourceContext | None) -> str:
    """The run's as-of date (YYYY-MM-DD): the config, else the run tag, else today; recorded
    as the run's `casewatch/as_of` tag."""
    run = getattr(context, "dagster_run", None) if context is not None else None
    tags: Mapping[str, str] = run.tags if run is not None else {}
    value = configured or tags.get(AS_OF_TAG) or today_local().isoformat()
    dt.date.fromisoformat(value)  # a malformed tag fails the run here, not in a mart
    instance = getattr(context, "instance", None)
    if run is not None and instance is not None and tags.get(AS_OF_TAG) != value:
        instance.add_run_tags(run.run_id, {AS_OF_TAG: value})
    return value


def finish_nightly_run(settings: CasewatchSettings, context: dg.InitResourceContext) -> None:
    """After the last step of a `nightly` run: rewrite the steward report with every check of
    the run (see the module doc). Other jobs (tests materialising a few assets) are left alone."""
    run = getattr(context, "dagster_run", None)
    if run is None or run.job_name != JOB_NAME:
        return
    from pipelines.quality.report import refresh_steward_report

    path = refresh_steward_report(settings, run.run_id)
    if context.log is not None:
        context.log.info(f"steward report rewritten with every check of the run: {path}")


# --- schedule -------------------------------------------------------------------------------


def nightly_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    cron = _env("CASEWATCH_NIGHTLY_CRON", NIGHTLY_CRON)

    @dg.schedule(
        name="nightly_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"The nightly run ({cron}, {TIMEZONE}); as_of is the tick's local date.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time
        as_of = tick.date().isoformat() if tick is not None else today_local().isoformat()
        return dg.RunRequest(tags={AS_OF_TAG: as_of, TRIGGER_TAG: "schedule"})

    return _schedule


# --- new batch sensor -----------------------------------------------------------------------


def batch_folders(landing: Path) -> list[str]:
    """Batch ids in the landing folder: its sub-folders, except `_reference` and hidden ones."""
    if not landing.is_dir():
        return []
    return sorted(p.name for p in landing.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")))


def _settled(folder: Path, settle_seconds: float, now: float) -> bool:
    """A batch is complete when it holds a file and nothing in it changed for a while."""
    mtimes = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()]
    return bool(mtimes) and now - max(mtimes) >= settle_seconds


def new_batch_sensor(
    job: dg.UnresolvedAssetJobDefinition, settings: CasewatchSettings
) -> dg.SensorDefinition:
    interval = int(_env("CASEWATCH_SENSOR_INTERVAL", str(SENSOR_INTERVAL)))
    settle = float(_env("CASEWATCH_BATCH_SETTLE_SECONDS", str(BATCH_SETTLE_SECONDS)))

    @dg.sensor(
        name="new_batch",
        job=job,
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Starts the nightly job when a new batch folder appears in the landing folder (once "
            f"nothing in it changed for {settle:g} s). The run key is the batch id, so a batch "
            "never starts two runs. The batches present when the sensor first runs are the "
            "baseline: the schedule loads them."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext):
        landing = Path(settings.landing_dir)
        present = batch_folders(landing)
        if context.cursor is None:
            context.update_cursor(json.dumps(present))
            return dg.SkipReason(f"baseline: {len(present)} batch folder(s) already in {landing}")
        seen = set(json.loads(context.cursor))
        now = time.time()
        ready = [b for b in present if b not in seen and _settled(landing / b, settle, now)]
        if not ready:
            return dg.SkipReason(f"no new batch folder in {landing}")
        context.update_cursor(json.dumps(sorted(seen | set(ready))))
        as_of = today_local().isoformat()
        return [
            dg.RunRequest(run_key=batch, tags={BATCH_TAG: batch, AS_OF_TAG: as_of,
                                               TRIGGER_TAG: "new_batch"})
            for batch in ready
        ]

    return _sensor


# --- run retention --------------------------------------------------------------------------


def prune_runs(instance: dg.DagsterInstance, older_than_days: int) -> list[str]:
    """Delete finished runs (and their event logs) last updated more than `older_than_days`
    ago; returns their ids. Runs still queued or in progress are never touched."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
                      dg.DagsterRunStatus.CANCELED],
            updated_before=cutoff,
        )
    )
    deleted = []
    for record in records:
        instance.delete_run(record.dagster_run.run_id)
        deleted.append(record.dagster_run.run_id)
    return deleted


def run_retention_sensor() -> dg.SensorDefinition:
    days = int(_env("CASEWATCH_RUN_RETENTION_DAYS", str(RUN_RETENTION_DAYS)))

    @dg.sensor(
        name="run_retention",
        minimum_interval_seconds=6 * 3600,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Deletes finished runs and their logs older than {days} days.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        deleted = prune_runs(context.instance, days)
        return dg.SkipReason(f"deleted {len(deleted)} run(s) older than {days} days")

    return _sensor


# --- everything definitions.py adds ---------------------------------------------------------


def schedules(job: dg.UnresolvedAssetJobDefinition) -> list[dg.ScheduleDefinition]:
    return [nightly_schedule(job)]


def sensors(
    job: dg.UnresolvedAssetJobDefinition, settings: CasewatchSettings
) -> list[dg.SensorDefinition]:
    from pipelines.operations.alerts import alert_sensors

    return [new_batch_sensor(job, settings), run_retention_sensor(), *alert_sensors(job, settings)]
