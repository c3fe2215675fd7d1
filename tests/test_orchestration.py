"""The nightly job's orchestration without the services: as_of decided once per run and kept
as a tag, the schedule's and the sensor's run requests, the steward report rewritten after the
last step whatever the outcome, and run retention."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.orchestration import (
    AS_OF_TAG,
    BATCH_TAG,
    JOB_NAME,
    finish_nightly_run,
    new_batch_sensor,
    nightly_job,
    nightly_schedule,
    prune_runs,
)
from pipelines.resources import CasewatchSettings, today_local


def _job_reading_as_of(settings: CasewatchSettings, name: str = "as_of_probe"):
    seen: list[dt.date] = []

    @dg.asset
    def first(settings: CasewatchSettings) -> None:
        seen.append(settings.as_of_date())

    @dg.asset(deps=[first])
    def second(settings: CasewatchSettings) -> None:
        seen.append(settings.as_of_date())

    defs = dg.Definitions(assets=[first, second], jobs=[dg.define_asset_job(name)],
                          resources={"settings": settings})
    return defs.resolve_job_def(name), seen


def test_as_of_comes_from_the_run_tag_and_is_kept() -> None:
    job, seen = _job_reading_as_of(CasewatchSettings())
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, tags={AS_OF_TAG: "2025-03-04"})
    assert seen == [dt.date(2025, 3, 4)] * 2
    assert instance.get_run_by_id(result.run_id).tags[AS_OF_TAG] == "2025-03-04"


def test_without_a_tag_as_of_is_today_and_recorded_as_the_tag() -> None:
    job, seen = _job_reading_as_of(CasewatchSettings())
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance)
    tag = instance.get_run_by_id(result.run_id).tags[AS_OF_TAG]
    assert seen == [dt.date.fromisoformat(tag)] * 2
    assert abs((dt.date.fromisoformat(tag) - today_local()).days) <= 1


def test_a_configured_as_of_wins_and_is_recorded() -> None:
    job, seen = _job_reading_as_of(CasewatchSettings(as_of="2024-12-31"))
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, tags={AS_OF_TAG: "2025-03-04"})
    assert seen == [dt.date(2024, 12, 31)] * 2
    assert instance.get_run_by_id(result.run_id).tags[AS_OF_TAG] == "2024-12-31"


def test_the_schedule_asks_for_the_ticks_local_date(monkeypatch) -> None:
    monkeypatch.delenv("CASEWATCH_NIGHTLY_CRON", raising=False)
    schedule = nightly_schedule(nightly_job())
    assert schedule.cron_schedule == "0 1 * * *"
    tick = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    request = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
    (run_request,) = request.run_requests
    assert run_request.tags[AS_OF_TAG] == "2026-03-02"


def _sensor(tmp_path: Path, monkeypatch) -> tuple[dg.SensorDefinition, Path]:
    monkeypatch.setenv("CASEWATCH_BATCH_SETTLE_SECONDS", "30")
    landing = tmp_path / "landing"
    (landing / "20250101T0100").mkdir(parents=True)
    (landing / "20250101T0100" / "cases.csv").write_text("x\n", encoding="utf-8")
    (landing / "_reference").mkdir()
    settings = CasewatchSettings(landing_dir=str(landing))
    return new_batch_sensor(nightly_job(), settings), landing


def _deliver(landing: Path, batch: str, age_seconds: float) -> None:
    (landing / batch).mkdir()
    path = landing / batch / "cases.csv"
    path.write_text("x\n", encoding="utf-8")
    then = time.time() - age_seconds
    os.utime(path, (then, then))


def test_the_sensor_starts_one_run_per_new_batch_keyed_by_its_id(tmp_path, monkeypatch) -> None:
    sensor, landing = _sensor(tmp_path, monkeypatch)
    instance = dg.DagsterInstance.ephemeral()
    first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert first.run_requests == [] and "baseline: 1 batch folder" in first.skip_message
    cursor = first.cursor

    _deliver(landing, "20250102T0100", age_seconds=5)  # still being copied
    pending = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))
    assert pending.run_requests == []

    _deliver(landing, "20250103T0100", age_seconds=120)
    os.utime(landing / "20250102T0100" / "cases.csv", (time.time() - 120,) * 2)
    ready = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))
    assert [(r.run_key, r.tags[BATCH_TAG]) for r in ready.run_requests] == [
        ("20250102T0100", "20250102T0100"), ("20250103T0100", "20250103T0100")]
    assert all(AS_OF_TAG in r.tags for r in ready.run_requests)

    again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=ready.cursor))
    assert again.run_requests == []  # the same batches never trigger twice


def test_the_steward_report_is_rewritten_after_the_last_step_even_when_a_check_fails(
        tmp_path) -> None:
    settings = CasewatchSettings(out_dir=str(tmp_path / "out"),
                                 warehouse_path=str(tmp_path / "w.duckdb"))

    @dg.asset(key=["marts", "deadlines"])
    def deadlines(settings: CasewatchSettings) -> None:
        return None

    @dg.asset_check(asset=deadlines, name="grain_unique", blocking=True)
    def grain_unique() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    @dg.asset(deps=[deadlines])
    def downstream() -> None:
        return None

    defs = dg.Definitions(assets=[deadlines, downstream], asset_checks=[grain_unique],
                          jobs=[dg.define_asset_job(JOB_NAME)], resources={"settings": settings})
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(raise_on_error=False)
    assert not result.success
    report = (tmp_path / "out" / "steward-report.html").read_text(encoding="utf-8")
    assert result.run_id in report


def test_other_jobs_leave_the_report_alone(tmp_path) -> None:
    settings = CasewatchSettings(out_dir=str(tmp_path / "out"))
    job, _ = _job_reading_as_of(settings, name="not_nightly")
    job.execute_in_process()
    assert not (tmp_path / "out").exists()
    finish_nightly_run(settings, dg.build_init_resource_context())  # no run: nothing to do
    assert not (tmp_path / "out").exists()


def test_run_retention_deletes_only_finished_runs_past_the_limit() -> None:
    job, _ = _job_reading_as_of(CasewatchSettings())
    instance = dg.DagsterInstance.ephemeral()
    run_id = job.execute_in_process(instance=instance).run_id
    assert prune_runs(instance, older_than_days=90) == []
    assert instance.get_run_by_id(run_id) is not None
    assert prune_runs(instance, older_than_days=-1) == [run_id]  # cut-off in the future
    assert instance.get_run_by_id(run_id) is None


def test_the_operator_can_move_the_nightly_hour(monkeypatch) -> None:
    monkeypatch.setenv("CASEWATCH_NIGHTLY_CRON", "15 3 * * *")
    assert nightly_schedule(nightly_job()).cron_schedule == "15 3 * * *"


@pytest.fixture(scope="module")
def environment_seen_by_module_fixtures() -> dict[str, str]:
    """Module- and session-scoped fixtures run before the function-scoped ones."""
    return {k: v for k, v in os.environ.items()
            if k == "DAGSTER_HOME" or k.startswith("CASEWATCH_")}


def test_no_fixture_sees_an_exported_dagster_home(environment_seen_by_module_fixtures) -> None:
    # `make test` exports DAGSTER_HOME: runs made by module fixtures must not land there.
    assert environment_seen_by_module_fixtures == {}
