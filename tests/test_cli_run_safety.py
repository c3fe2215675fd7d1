"""`casewatch run` against its own failure modes: two runs at once on one warehouse, and an
output folder that cannot be written. The summary is always printed; nothing is left behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import EXIT_LOCKED, main
from pipelines.run_lock import lock_path_for

AS_OF = "2024-03-31"
BATCH = "20240320T0100"


def _landing(root: Path) -> Path:
    folder = root / "landing" / BATCH
    folder.mkdir(parents=True)
    (folder / "cases.csv").write_text(
        "case_id,unit_code,instituted_date,penal_code_article,crime_category,updated_at\n"
        "C1,BTR-TP,2024-03-10,173,serious,2024-03-15 08:00\n", encoding="utf-8")
    return root / "landing"


def _args(root: Path, out: Path | None = None) -> list[str]:
    return ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "w.duckdb"),
            "--out", str(out or root / "out"), "--published", str(root / "pub" / "cw.duckdb"),
            "--as-of", AS_OF]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a child by its pid (never by name)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_a_second_run_exits_at_once_while_the_first_holds_the_warehouse(tmp_path):
    _landing(tmp_path)
    cmd = [sys.executable, "-m", "pipelines.cli", *_args(tmp_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DAGSTER_HOME", None)
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    second = None
    try:
        lock = lock_path_for(tmp_path / "w.duckdb")
        deadline = time.monotonic() + 120
        while f"pid={first.pid}" not in (lock.read_text() if lock.exists() else ""):
            assert first.poll() is None, "the first run ended before taking the lock"
            assert time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.2)
        second = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env)
        _, err = second.communicate(timeout=120)
        assert first.poll() is None, "the first run must still hold the warehouse"
        assert second.returncode == EXIT_LOCKED, err
        assert f"another run (pid {first.pid}, started " in err
        assert "holds the warehouse" in err and "Traceback" not in err
    finally:
        if second is not None:
            _stop(second)
        _stop(first)
    # The killed run left its lock file behind: the next run takes it over and says so.
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(_args(tmp_path)) == 0
    assert f"took over a stale lock on the warehouse (pid {first.pid}" in printed.getvalue()


@pytest.mark.slow
def test_an_output_folder_that_cannot_be_written_ends_in_the_summary(tmp_path, capsys):
    """A read-only or full --out: permission bits do not stop root, so --out is a path under a
    regular file, which no process can write into."""
    _landing(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("in the way", encoding="utf-8")
    code = main(_args(tmp_path, out=blocker / "out"))
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "RUN FAILED" in captured.err
    assert "step failed: steward report refresh: " in captured.err
    assert "the last good snapshot stays at" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not list(tmp_path.rglob("*.tmp"))
    # The lock was released: a run with a writable --out succeeds right after.
    assert main(_args(tmp_path)) == 0
    con = duckdb.connect(str(tmp_path / "pub" / "cw.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from marts.batch_ledger").fetchall() == [(1,)]
    finally:
        con.close()
