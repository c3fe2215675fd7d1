"""`casewatch serve`: the Dagster webserver and daemon for a trial on one machine.

The production setup runs the same two programs as systemd services (deploy/, docs/operations.md).
`serve` starts them as child processes of one command: the daemon (schedule, sensors, run queue,
run monitoring), the webserver on 127.0.0.1 unless `--host` says otherwise, and optionally a
second, read-only webserver (`--read-only-port`). Ctrl-C or SIGTERM stops all of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines import paths

DEPLOY_DIR = paths.ROOT / "deploy"
INSTANCE_TEMPLATE = DEPLOY_DIR / "dagster.yaml"
TEMPLATE_HOME = "/var/lib/casewatch/dagster"  # the path deploy/dagster.yaml is written for
DEFAULT_HOST = "127.0.0.1"


def ensure_instance(home: Path) -> Path:
    """`home/dagster.yaml` from deploy/dagster.yaml when there is none (paths under `home`)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        text = INSTANCE_TEMPLATE.read_text(encoding="utf-8")
        config.write_text(text.replace(TEMPLATE_HOME, str(home.resolve())), encoding="utf-8")
    return config


def _bin(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def commands(host: str, port: int, read_only_port: int | None,
             workspace: Path = paths.ROOT / "workspace.yaml") -> list[list[str]]:
    ws = ["-w", str(workspace)]
    cmds = [
        [_bin("dagster-daemon"), "run", *ws],
        [_bin("dagster-webserver"), *ws, "-h", host, "-p", str(port)],
    ]
    if read_only_port:
        cmds.append([_bin("dagster-webserver"), *ws, "-h", host, "-p", str(read_only_port),
                     "--read-only"])
    return cmds


def serve(host: str, port: int, read_only_port: int | None) -> int:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.ROOT / ".dagster_home")))
    ensure_instance(home)
    # Create the storage once, here: three processes creating the same SQLite files at once
    # race on their schema migrations.
    import dagster as dg

    with dg.DagsterInstance.get():
        pass
    for sig in (signal.SIGINT, signal.SIGTERM):  # background shells may start us with these ignored
        signal.signal(sig, signal.SIG_DFL)
    procs = [subprocess.Popen(cmd, cwd=paths.ROOT) for cmd in commands(host, port, read_only_port)]
    print(f"casewatch: Dagster instance {home}", flush=True)
    print(f"casewatch: UI at http://{host}:{port}", flush=True)
    if read_only_port:
        print(f"casewatch: read-only UI at http://{host}:{read_only_port}", flush=True)

    stopping = False

    def stop(signum, frame) -> None:  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for proc in procs:
                if proc.poll() is not None:
                    print(f"casewatch: {Path(proc.args[0]).name} exited ({proc.returncode}); "
                          "stopping the others", file=sys.stderr, flush=True)
                    code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in procs:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return code
