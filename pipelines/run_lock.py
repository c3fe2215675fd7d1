"""One `casewatch run` at a time per warehouse: an exclusive lock file next to it.

`<warehouse>.lock` holds the pid and start time of the run that has it, under an exclusive
`flock`. The kernel releases a `flock` when its process dies, however it dies (kill -9
included), so a lock file whose lock is free is stale: the next run takes it over and says so.
The file itself is never deleted (deleting it would let two runs lock two different files);
a run that ends cleanly empties it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LockHolder:
    pid: int | None
    started: str | None

    def describe(self) -> str:
        return f"pid {self.pid if self.pid is not None else '?'}, started {self.started or '?'}"


class WarehouseLocked(Exception):
    """Another live run holds the warehouse."""

    def __init__(self, holder: LockHolder, lock_path: Path) -> None:
        super().__init__(f"another run ({holder.describe()}) holds the warehouse")
        self.holder = holder
        self.lock_path = lock_path


def lock_path_for(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _read(fd: int) -> LockHolder:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", "replace")
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pid = fields.get("pid", "").strip()
    return LockHolder(pid=int(pid) if pid.isdigit() else None,
                      started=fields.get("started", "").strip() or None)


@contextlib.contextmanager
def warehouse_lock(warehouse: Path, log: Callable[[str], object] = print) -> Iterator[Path]:
    """Hold the warehouse's lock for the duration of the block, or raise `WarehouseLocked`
    at once (never waits)."""
    path = lock_path_for(Path(warehouse))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseLocked(_read(fd), path) from None
        previous = _read(fd)
        if previous.pid is not None:
            log(f"casewatch: took over a stale lock on the warehouse ({previous.describe()}; "
                "that process is gone)")
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid={os.getpid()}\nstarted={started}\n".encode())
        os.fsync(fd)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # a clean end: nothing stale left behind
    finally:
        os.close(fd)  # releases the flock
