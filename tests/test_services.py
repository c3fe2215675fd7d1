"""The real services: `casewatch serve` starts dagster-daemon and dagster-webserver (and a
read-only webserver) on loopback, in a temporary instance. The schedule (cron set here to fire
every minute) produces a successful run; a new batch folder makes the sensor start a run keyed
by the batch id; the read-only webserver refuses a launch. Bounded in time, stopped by PID."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from pipelines import paths
from pipelines.generator import generate
from pipelines.orchestration import AS_OF_TAG, JOB_TAG

START_TIMEOUT = 240  # seconds for the webservers to answer
RUNS_TIMEOUT = 900  # seconds for both runs to finish on a busy machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a listening socket on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:] if Path(table).exists() else []
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """`casewatch serve` in a new session (process group); killed by its PID at the end."""
    tmp = tmp_path_factory.mktemp("services")
    delivered = tmp / "delivered"
    generate(out=delivered, seed=3, scale="district", start=dt.date(2025, 6, 1),
             end=dt.date(2025, 6, 12), defect_rate=0.0, batches="daily")
    batches = sorted(p.name for p in delivered.iterdir() if p.is_dir() and p.name[0] != "_")
    new_batch = batches[-1]  # arrives while the services run
    landing = tmp / "landing"
    shutil.copytree(delivered, landing, ignore=shutil.ignore_patterns(new_batch))
    home = tmp / "dagster_home"
    port, ro_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "CASEWATCH_"))}
    env.update({
        "DAGSTER_HOME": str(home),
        "CASEWATCH_LANDING": str(landing),
        "CASEWATCH_WAREHOUSE": str(tmp / "warehouse.duckdb"),
        "CASEWATCH_OUT": str(tmp / "out"),
        "CASEWATCH_PUBLISHED": str(tmp / "published" / "casewatch.duckdb"),
        "CASEWATCH_NIGHTLY_CRON": "* * * * *",  # a tick within a minute
        "CASEWATCH_SENSOR_INTERVAL": "5",
        "CASEWATCH_BATCH_SETTLE_SECONDS": "1",
        "GX_ANALYTICS_ENABLED": "false",
    })
    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port),
         "--read-only-port", str(ro_port)],
        cwd=paths.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (_get(f"http://127.0.0.1:{port}/server_info") == 200
                   and _get(f"http://127.0.0.1:{ro_port}/server_info") == 200):
            assert proc.poll() is None, (tmp / "serve.log").read_text()[-4000:]
            assert time.monotonic() < deadline, "webservers did not answer in time"
            time.sleep(1)
        yield {"tmp": tmp, "home": home, "port": port, "ro_port": ro_port,
               "delivered": delivered, "landing": landing, "proc": proc,
               "new_batch": new_batch}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # serve stops its children, then exits
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with __import__("contextlib").suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything left in the group (run workers)
        log.close()


def test_the_webserver_binds_to_loopback_by_default(services) -> None:
    assert _listening_addresses(services["port"]) == {"0100007F"}  # 127.0.0.1 only
    from pipelines.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_the_read_only_webserver_refuses_a_launch(services) -> None:
    mutation = """mutation {
      launchRun(executionParams: {
        selector: {repositoryLocationName: "pipelines.definitions",
                   repositoryName: "__repository__", jobName: "nightly"}}) {
        __typename
        ... on UnauthorizedError { message }
      }
    }"""
    answer = _graphql(services["ro_port"], mutation)
    assert answer["data"]["launchRun"]["__typename"] == "UnauthorizedError", answer
    instance = dg.DagsterInstance.from_config(str(services["home"]))
    assert not [r for r in instance.get_runs() if r.tags.get("dagster/sensor_name") is None
                and r.tags.get("dagster/schedule_name") is None]  # no run from the UI


@pytest.mark.slow
def test_schedule_tick_and_new_batch_each_produce_a_successful_run(services) -> None:
    home, landing = services["home"], services["landing"]
    instance = dg.DagsterInstance.from_config(str(home))
    deadline = time.monotonic() + RUNS_TIMEOUT

    # The sensor's first tick takes the batches already there as its baseline.
    def baseline_taken() -> bool:
        for state in instance.all_instigator_state():
            if state.instigator_name == "new_batch" and state.instigator_data is not None:
                return getattr(state.instigator_data, "cursor", None) is not None
        return False

    while not baseline_taken():
        assert services["proc"].poll() is None
        assert time.monotonic() < deadline, "the new_batch sensor never ran"
        time.sleep(2)
    new_batch = services["new_batch"]
    shutil.copytree(services["delivered"] / new_batch, landing / new_batch)

    def finished(runs: list[dg.DagsterRun]) -> dg.DagsterRun | None:
        for run in runs:
            assert run.status != dg.DagsterRunStatus.FAILURE, _failure(instance, run)
            if run.status == dg.DagsterRunStatus.SUCCESS:
                return run
        return None

    scheduled = triggered = None
    while scheduled is None or triggered is None:
        assert services["proc"].poll() is None, "casewatch serve died"
        assert time.monotonic() < deadline, "no successful scheduled and sensor runs in time"
        scheduled = finished(instance.get_runs(
            filters=dg.RunsFilter(tags={"dagster/schedule_name": "nightly_schedule"})))
        triggered = finished(instance.get_runs(
            filters=dg.RunsFilter(tags={"dagster/sensor_name": "new_batch"})))
        time.sleep(3)

    assert triggered.tags["dagster/run_key"] == new_batch
    assert len(instance.get_runs(
        filters=dg.RunsFilter(tags={"dagster/sensor_name": "new_batch"}))) == 1
    for run in (scheduled, triggered):
        assert run.job_name == "nightly" and run.tags[JOB_TAG] == "nightly"
        dt.date.fromisoformat(run.tags[AS_OF_TAG])
    # one nightly run at a time: the two runs never overlapped
    a, b = (instance.get_run_record_by_id(r.run_id) for r in (scheduled, triggered))
    assert a.end_time <= b.start_time or b.end_time <= a.start_time
    out = services["tmp"] / "out"
    # the same outputs as `casewatch run`: report, pages, per-unit bundles, snapshot
    assert (out / "steward-report.html").exists() and (out / "index.html").exists()
    assert any((out / "units").iterdir())
    assert (services["tmp"] / "published" / "casewatch.duckdb").exists()


def _failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    events = instance.all_logs(run.run_id)
    return "\n".join(e.message or "" for e in events if e.is_dagster_event and
                     e.dagster_event.is_failure)[-4000:]
