"""E-mail alerts: a failed (or partially failed) night, and the optional morning summary.

Both are Dagster run-status sensors evaluated by the daemon after a `nightly` run ends:

- `nightly_failure_alert` (a `run_failure_sensor`): the run failed. The mail lists the failed
  blocking checks and failed steps, the steward report's path, and says that the last good
  snapshot stays published (with its as-of date).
- `nightly_success_alert` (a `run_status_sensor` on SUCCESS): the run succeeded. If a check of
  severity ERROR failed anyway (a partial failure), the failure mail goes out; otherwise, when
  `CASEWATCH_SUMMARY_TO` is set, the morning summary: overdue and due-today deadlines per unit.

SMTP settings come from the environment when the sensor runs (see docs/operations.md):
`CASEWATCH_SMTP_HOST`, `CASEWATCH_SMTP_PORT` (25), `CASEWATCH_SMTP_SECURITY` (none, starttls
or ssl), `CASEWATCH_SMTP_USER`, `CASEWATCH_SMTP_PASSWORD`, `CASEWATCH_ALERT_FROM`,
`CASEWATCH_ALERT_TO` and `CASEWATCH_SUMMARY_TO` (comma-separated addresses). Without a host and a
recipient the sensors skip and say why.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.resources import CasewatchSettings

STEWARD_REPORT = "steward-report.html"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    security: str = "none"  # none / starttls / ssl
    user: str = ""
    password: str = ""
    sender: str = "casewatch@localhost"
    alert_to: tuple[str, ...] = ()
    summary_to: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpConfig | None:
        env = dict(os.environ if env is None else env)

        def addresses(name: str) -> tuple[str, ...]:
            return tuple(a.strip() for a in env.get(name, "").split(",") if a.strip())

        host = env.get("CASEWATCH_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(env.get("CASEWATCH_SMTP_PORT", "25") or 25),
            security=(env.get("CASEWATCH_SMTP_SECURITY", "none") or "none").lower(),
            user=env.get("CASEWATCH_SMTP_USER", ""),
            password=env.get("CASEWATCH_SMTP_PASSWORD", ""),
            sender=env.get("CASEWATCH_ALERT_FROM", "") or "casewatch@localhost",
            alert_to=addresses("CASEWATCH_ALERT_TO"),
            summary_to=addresses("CASEWATCH_SUMMARY_TO"),
        )


def send(config: SmtpConfig, to: tuple[str, ...], subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    if config.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=30,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=30)
    with smtp:
        if config.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(msg)


# --- what the run left behind ---------------------------------------------------------------


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """`schema.table: check (description)` for every check of severity ERROR that failed."""
    failed = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            text = f"{'.'.join(evaluation.asset_key.path)}: {evaluation.check_name}"
            if evaluation.description:
                text += f" ({evaluation.description})"
            failed.append(text)
    return failed


def failed_steps(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [e.dagster_event.step_key or "?"
            for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)]


def published_snapshot(path: str | Path) -> tuple[str, str] | None:
    """(as_of, run_id) of the published snapshot, or None when there is none yet."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("select as_of, run_id from meta.snapshot").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return (row[0].isoformat(), row[1]) if row else None


def failure_message(
    instance: dg.DagsterInstance, run: dg.DagsterRun, settings: CasewatchSettings,
    error: str | None = None,
) -> tuple[str, str]:
    """(subject, body) of the alert for a failed or partially failed run."""
    from pipelines.orchestration import AS_OF_TAG

    as_of = run.tags.get(AS_OF_TAG, "?")
    checks = failed_checks(instance, run.run_id)
    steps = failed_steps(instance, run.run_id)
    snapshot = published_snapshot(settings.published_path)
    lines = [
        f"Lần chạy {run.job_name} ngày {as_of} KHÔNG thành công. / "
        f"The {run.job_name} run as of {as_of} FAILED.",
        "",
        f"Run id: {run.run_id}",
    ]
    if error:
        lines.append(f"Error: {error}")
    lines += ["", "Kiểm tra không đạt / Failed checks:"]
    lines += [f"  - {c}" for c in checks] or ["  (none recorded)"]
    if steps:
        lines += ["", "Bước lỗi / Failed steps:", *[f"  - {s}" for s in steps]]
    lines += [
        "",
        f"Báo cáo cho cán bộ dữ liệu / Steward report: {Path(settings.out_dir) / STEWARD_REPORT}",
        "",
    ]
    if snapshot:
        lines.append(
            f"Bản dữ liệu tốt gần nhất vẫn được giữ nguyên / The last good snapshot stays "
            f"published: {settings.published_path} (as of {snapshot[0]}, run {snapshot[1]})."
        )
    else:
        lines.append(f"No snapshot has been published yet at {settings.published_path}.")
    subject = (f"[casewatch] LỖI / FAILED: {run.job_name} {as_of}"
               f" ({len(checks)} check(s) failed)")
    return subject, "\n".join(lines) + "\n"


def morning_summary(settings: CasewatchSettings, run: dg.DagsterRun) -> tuple[str, str] | None:
    """(subject, body): overdue and due-today deadlines per unit, from the published snapshot."""
    path = Path(settings.published_path)
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        (as_of,) = con.execute("select as_of from meta.snapshot").fetchone()
        rows = con.execute(
            """
            select d.unit_code, coalesce(u.name_vi, d.unit_code),
                   count(*) filter (where d.status = 'overdue'),
                   count(*) filter (where d.status = 'open' and d.due_on = ?)
            from marts.deadlines d
            left join reference.units u using (unit_code)
            group by all
            having count(*) filter (where d.status = 'overdue') > 0
                or count(*) filter (where d.status = 'open' and d.due_on = ?) > 0
            order by 1
            """,
            [as_of, as_of],
        ).fetchall()
    finally:
        con.close()
    day = as_of.strftime("%d/%m/%Y") if isinstance(as_of, dt.date) else str(as_of)
    lines = [
        f"Tình hình thời hạn ngày {day} / Deadlines as of {day} (run {run.run_id})",
        "",
        f"{'Đơn vị / Unit':<12} {'Quá hạn / Overdue':>18} {'Đến hạn hôm nay / Due today':>28}",
    ]
    for unit, name, overdue, due_today in rows:
        lines.append(f"{unit:<12} {overdue:>18} {due_today:>28}   {name}")
    if not rows:
        lines.append("Không có việc quá hạn hay đến hạn hôm nay. / Nothing overdue or due today.")
    lines += ["", f"Danh sách việc / Worklist: {Path(settings.out_dir) / 'worklist.html'}"]
    total_overdue = sum(r[2] for r in rows)
    total_due = sum(r[3] for r in rows)
    subject = (f"[casewatch] {day}: {total_overdue} quá hạn / overdue, "
               f"{total_due} đến hạn hôm nay / due today")
    return subject, "\n".join(lines) + "\n"


# --- the sensors ----------------------------------------------------------------------------


def alert_on_failure(context, settings: CasewatchSettings, error: str | None = None):
    config = SmtpConfig.from_env()
    if config is None or not config.alert_to:
        return dg.SkipReason("no alert sent: CASEWATCH_SMTP_HOST / CASEWATCH_ALERT_TO not set")
    subject, body = failure_message(context.instance, context.dagster_run, settings, error)
    send(config, config.alert_to, subject, body)
    return None


def alert_on_success(context, settings: CasewatchSettings):
    config = SmtpConfig.from_env()
    if config is None:
        return dg.SkipReason("no mail sent: CASEWATCH_SMTP_HOST not set")
    run = context.dagster_run
    if failed_checks(context.instance, run.run_id):  # partial failure
        if not config.alert_to:
            return dg.SkipReason("checks failed but CASEWATCH_ALERT_TO is not set")
        subject, body = failure_message(context.instance, run, settings)
        send(config, config.alert_to, subject, body)
        return None
    if not config.summary_to:
        return dg.SkipReason("no morning summary: CASEWATCH_SUMMARY_TO not set")
    summary = morning_summary(settings, run)
    if summary is None:
        return dg.SkipReason("no published snapshot to summarise")
    send(config, config.summary_to, *summary)
    return None


def alert_sensors(
    job: dg.UnresolvedAssetJobDefinition, settings: CasewatchSettings
) -> list[dg.SensorDefinition]:
    @dg.run_failure_sensor(
        name="nightly_failure_alert",
        monitored_jobs=[job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="E-mails CASEWATCH_ALERT_TO when a nightly run fails.",
    )
    def nightly_failure_alert(context: dg.RunFailureSensorContext):
        error = context.failure_event.message if context.failure_event else None
        return alert_on_failure(context, settings, error)

    @dg.run_status_sensor(
        name="nightly_success_alert",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "After a successful nightly run: the failure mail if a check of severity ERROR "
            "failed anyway, else the morning summary to CASEWATCH_SUMMARY_TO."
        ),
    )
    def nightly_success_alert(context: dg.RunStatusSensorContext):
        return alert_on_success(context, settings)

    return [nightly_failure_alert, nightly_success_alert]
