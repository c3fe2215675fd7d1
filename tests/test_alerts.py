"""Alerts by e-mail through a real SMTP server on loopback (aiosmtpd): a failed night, a
partially failed one, and the morning summary of a good one."""

from __future__ import annotations

import email
import socket
from email.policy import default as default_policy
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from aiosmtpd.controller import Controller

from pipelines.operations.alerts import alert_sensors
from pipelines.orchestration import AS_OF_TAG
from pipelines.resources import CasewatchSettings

AS_OF = "2025-06-30"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {
        "CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(port),
        "CASEWATCH_SMTP_SECURITY": "none", "CASEWATCH_ALERT_FROM": "casewatch@vks.example",
        "CASEWATCH_ALERT_TO": "it@vks.example, steward@vks.example",
        "CASEWATCH_SUMMARY_TO": "lanhdao@vks.example",
    }.items():
        monkeypatch.setenv(name, value)
    yield handler
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path) -> CasewatchSettings:
    """A published snapshot of the night before: two units, a few deadlines."""
    published = tmp_path / "published" / "casewatch.duckdb"
    published.parent.mkdir()
    con = duckdb.connect(str(published))
    con.execute("create schema meta; create schema marts; create schema reference")
    con.execute("create table meta.snapshot as select 'run-of-29-june' as run_id, "
                "date '2025-06-29' as as_of")
    con.execute("""create table reference.units as select * from (values
        ('BTR-TP', 'Viện kiểm sát nhân dân thành phố Bến Tre'),
        ('BTR-CT', 'Viện kiểm sát nhân dân huyện Châu Thành')) t(unit_code, name_vi)""")
    con.execute("""create table marts.deadlines as select * from (values
        ('BTR-TP', 'overdue', date '2025-06-20'),
        ('BTR-TP', 'overdue', date '2025-06-25'),
        ('BTR-TP', 'open', date '2025-06-29'),
        ('BTR-CT', 'open', date '2025-06-29'),
        ('BTR-CT', 'open', date '2025-07-15'),
        ('BTR-CT', 'on_time', date '2025-06-29')) t(unit_code, status, due_on)""")
    con.close()
    return CasewatchSettings(out_dir=str(tmp_path / "out"), published_path=str(published),
                             warehouse_path=str(tmp_path / "w.duckdb"))


def _run(blocking: bool, passed: bool) -> tuple[dg.DagsterInstance, dg.ExecuteInProcessResult,
                                                dg.UnresolvedAssetJobDefinition]:
    """A small `nightly` job whose one check fails (or passes), run in an ephemeral instance."""

    @dg.asset(key=["marts", "deadlines"])
    def deadlines() -> None:
        return None

    @dg.asset_check(asset=deadlines, name="grain_unique", blocking=blocking)
    def grain_unique() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=passed, description="2 rows share a clock_id",
                                   severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset(key=["published", "snapshot"], deps=[deadlines])
    def snapshot() -> None:
        return None

    job = dg.define_asset_job("nightly", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=[deadlines, snapshot], asset_checks=[grain_unique], jobs=[job])
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly").execute_in_process(
        instance=instance, raise_on_error=False, tags={AS_OF_TAG: AS_OF})
    return instance, result, job


def _evaluate(sensor: dg.SensorDefinition, instance, result, event_type: str):
    run = instance.get_run_by_id(result.run_id)
    event = next(e for e in result.all_events if e.event_type_value == event_type)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_event=event, dagster_instance=instance,
        dagster_run=run)
    if event_type == "PIPELINE_FAILURE":
        context = context.for_run_failure()
    return sensor(context)


def test_a_failed_night_mails_the_failed_checks_report_and_last_good_snapshot(
        inbox, settings) -> None:
    instance, result, job = _run(blocking=True, passed=False)
    assert not result.success
    failure_sensor, _ = alert_sensors(job, settings)
    _evaluate(failure_sensor, instance, result, "PIPELINE_FAILURE")

    ((to, message),) = inbox.messages
    assert to == ["it@vks.example", "steward@vks.example"]
    assert message["From"] == "casewatch@vks.example"
    assert "FAILED" in message["Subject"] and AS_OF in message["Subject"]
    body = message.get_content()
    assert "marts.deadlines: grain_unique (2 rows share a clock_id)" in body
    assert str(Path(settings.out_dir) / "steward-report.html") in body
    assert "The last good snapshot stays published" in body
    assert "as of 2025-06-29, run run-of-29-june" in body
    assert result.run_id in body


def test_a_partially_failed_night_mails_the_failure(inbox, settings) -> None:
    instance, result, job = _run(blocking=False, passed=False)
    assert result.success  # the run went through, but a check of severity ERROR failed
    _, success_sensor = alert_sensors(job, settings)
    _evaluate(success_sensor, instance, result, "PIPELINE_SUCCESS")

    ((to, message),) = inbox.messages
    assert to == ["it@vks.example", "steward@vks.example"]
    assert "FAILED" in message["Subject"]
    assert "marts.deadlines: grain_unique" in message.get_content()


def test_a_good_night_sends_the_morning_summary(inbox, settings) -> None:
    instance, result, job = _run(blocking=True, passed=True)
    assert result.success
    _, success_sensor = alert_sensors(job, settings)
    _evaluate(success_sensor, instance, result, "PIPELINE_SUCCESS")

    ((to, message),) = inbox.messages
    assert to == ["lanhdao@vks.example"]
    assert "29/06/2025: 2 quá hạn / overdue, 2 đến hạn hôm nay / due today" in message["Subject"]
    lines = message.get_content().splitlines()
    tp = next(line for line in lines if line.startswith("BTR-TP"))
    ct = next(line for line in lines if line.startswith("BTR-CT"))
    assert tp.split()[1:3] == ["2", "1"]  # overdue, due today
    assert ct.split()[1:3] == ["0", "1"]


def test_without_smtp_settings_nothing_is_sent(monkeypatch, settings) -> None:
    monkeypatch.delenv("CASEWATCH_SMTP_HOST", raising=False)
    instance, result, job = _run(blocking=True, passed=False)
    failure_sensor, _ = alert_sensors(job, settings)
    skipped = _evaluate(failure_sensor, instance, result, "PIPELINE_FAILURE")
    assert isinstance(skipped, dg.SkipReason) and "CASEWATCH_SMTP_HOST" in skipped.skip_message
