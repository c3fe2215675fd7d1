"""What `make bench` measures a process with: wall time and the peak RSS of its whole tree.

`measure(cmd)` starts a command, samples the resident memory of the process and of every
descendant (children of children too: the dbt build, the isolated readers) from /proc every
`interval` seconds, and returns the wall time, the largest sum seen, and the output. A child
that lives shorter than the interval can be missed; the readers and dbt live for seconds.

`bare_load(landing, db)` is the floor the ingestion is compared with: the same files loaded
into DuckDB tables with no checks at all (`read_csv` and `read_parquet`, XLSX through polars).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants, now."""
    tree, total, todo = _children(), 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(p, []))
    return total


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def measure(cmd: list[str], env: dict[str, str] | None = None, interval: float = 0.25,
            cwd: Path | None = None) -> Measured:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return Measured(proc.returncode, seconds, round(peak / 1024**2, 1), out, err)


def bare_load(landing: Path, db: Path, memory_limit: str = "") -> dict:
    """Load every data file under `landing` into DuckDB tables, nothing else; rows loaded.

    DuckDB gets the same `memory_limit` and spill folder as a run given `memory_limit`
    (`pipelines.memory`); left to its default (80 % of the machine) it keeps the whole load in
    memory."""
    import duckdb
    import polars as pl

    from pipelines.memory import duckdb_limit, temp_directory

    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"memory_limit": duckdb_limit(memory_limit),
                                          "temp_directory": temp_directory(db)})
    rows = 0
    start = time.perf_counter()
    for i, path in enumerate(sorted(landing.glob("*/*"))):
        if path.name.startswith(("_", ".")) or path.parent.name.startswith("_"):
            continue
        table = f"t{i}"
        if path.suffix == ".csv":
            con.execute(f"create table {table} as select * from read_csv(?, all_varchar=true)",
                        [str(path)])
        elif path.suffix == ".parquet":
            con.execute(f"create table {table} as select * from read_parquet(?)", [str(path)])
        elif path.suffix == ".xlsx":
            frame = pl.read_excel(path, infer_schema_length=0)
            con.register("xlsx_frame", frame)
            con.execute(f"create table {table} as select * from xlsx_frame")
            con.unregister("xlsx_frame")
        else:
            continue
        rows += con.execute(f"select count(*) from {table}").fetchall()[0][0]
    seconds = time.perf_counter() - start
    con.close()
    db.unlink(missing_ok=True)
    return {"seconds": round(seconds, 3), "rows": rows}
