"""Where Great Expectations runs: one GX context per process, and two worker processes.

A *task* is one part of a suite (the column set, the row count, or one group of row-wise
expectations) and the rows it is validated on, as an Arrow table of the columns the part reads
(`suites.validate_table` makes them). `run_task` turns the table into the pandas frame GX is
given (`to_pandas`) and validates the part on it in this process's GX context. The outcome of
each expectation comes back as a `Result`, plain data that needs no GX to read.

`Workers` runs tasks in worker processes, two by default, so both cores work: one process
(`python -m pipelines.quality.gx_runner`) imports GX and forks the other, so GX is imported
once; each keeps its GX context for every suite of the run. The parent reads the warehouse
(DuckDB has one writer, so a worker never opens it) and sends each task down the worker's own
pipe (a pickled header, then the Arrow columns as Arrow IPC); the worker answers on another.
Workers start on first use and stop when `close_workers` is called (after the last GX check of
a run), when the parent has not used them for `IDLE_SECONDS`, or when the parent exits.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# GX computes only the unexpected count and a few examples (no full unexpected lists, no
# value counts of them, no index lists).
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 3}
# Worker processes: two on a machine of two cores or more (0: everything in this process).
WORKERS = 2 if (os.cpu_count() or 1) >= 2 else 0
IDLE_SECONDS = 30.0  # workers left unused this long stop (their memory goes back)
DEPTH = 2  # tasks sent ahead to each worker


@dataclass(frozen=True)
class Result:
    """One expectation's outcome on one task: GX's result, as plain data."""

    name: str  # meta.name
    success: bool
    result: dict[str, Any]  # GX's result dict (unexpected_count, element_count, ...)
    error: str | None  # GX's exception message when it could not evaluate the expectation
    kwargs: dict[str, Any]  # the expectation's kwargs as GX evaluated them (parameters filled)


@dataclass
class Task:
    """One part of a suite and its rows. `rows` alone (no `table`) stands for a frame of that
    many rows and no column, which is all the row-count expectation needs."""

    order: tuple  # where its results go among the suite's (part, chunk)
    part: dict[str, Any]  # the suite restricted to the part's expectations
    parameters: dict[str, Any]
    table: pa.Table | None = None
    rows: int | None = None
    text: dict[str, str] = field(default_factory=dict)  # see `to_pandas`


# --------------------------------------------------------------------------- in this process


@cache
def _definition() -> Any:
    """This process's GX context and its one pandas batch definition (GX imported here)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every batch frame (an md5 of `hash_pandas_object`: a batch marker, read
    # by no expectation) unless the frame exceeds this many bytes; it costs as much as the
    # expectations themselves, so no frame is fingerprinted.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("casewatch_marts")
        .add_dataframe_asset(name="mart")
        .add_batch_definition_whole_dataframe("whole")
    )


@lru_cache(maxsize=512)
def _suite(part_json: str) -> Any:
    from pipelines.quality.suites import build_suite

    return build_suite(json.loads(part_json))


@cache
def _duck() -> Any:
    import duckdb

    return duckdb.connect()  # in memory: converts Arrow columns exactly as `.df()` does


def is_text(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))


def to_pandas(table: pa.Table, text: dict[str, str] | None = None) -> pd.DataFrame:
    """The frame GX is given: the values and types of DuckDB's `.df()` after `fast_dtypes`.

    Built from Arrow, column by column (`_column`); a column of a type not handled there is
    converted by DuckDB itself (`.df()` on the Arrow columns), then by `fast_dtypes`. `text`
    names the text columns that may stay in Arrow (`"arrow"`) or become categories
    (`"category"`) when they have no null (see `suites._text_kinds`).
    """
    import pandas as pd

    from pipelines.quality.suites import fast_dtypes

    text = text or {}
    columns: dict[str, Any] = {}
    rest = []
    for name in table.column_names:
        column = _column(table.column(name), text.get(name))
        if column is None:
            rest.append(name)
        else:
            columns[name] = column
    if rest:
        frame = fast_dtypes(_duck().from_arrow(table.select(rest)).df())
        columns.update({c: frame[c] for c in rest})
    if not table.column_names:
        return pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    return pd.DataFrame({c: columns[c] for c in table.column_names}, copy=False)


_NS_RANGE = ("1678-01-01", "2262-01-01")  # the dates `fast_dtypes` turns into nanoseconds


def _column(column: pa.ChunkedArray, text: str | None) -> pd.Series | None:
    """One Arrow column as `.df()` + `fast_dtypes` give it, or None (left to DuckDB).

    - text: Python strings, `None` for null (as `.df()`); a text column without null that
      `text` allows stays in Arrow (pandas' `string[pyarrow]`) or becomes a category: its
      values are the same strings, and without nulls both compare, match sets and test for
      null exactly as Python strings do;
    - integers without null: `int64`; booleans without null: `bool`; floats: `float64`,
      nulls as NaN;
    - dates and timestamps without time zone, all within 1678–2262: `datetime64[ns]`, NaT
      for null.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if is_text(kind):
        if text == "arrow" and column.null_count == 0:
            return pd.Series(pd.arrays.ArrowStringArray(column.cast(pa.large_string())))
        if text == "category" and column.null_count == 0:
            return pd.Series(pc.dictionary_encode(column).to_pandas())
        return pd.Series(column.to_pandas(), dtype=object)
    if pa.types.is_integer(kind) and kind.bit_width <= 32 or kind in (pa.int64(),):
        if column.null_count == 0:
            return pd.Series(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
        return None
    if pa.types.is_boolean(kind):
        return pd.Series(column.to_numpy(), dtype=bool) if column.null_count == 0 else None
    if pa.types.is_floating(kind):
        return pd.Series(column.cast(pa.float64()).to_pandas(), dtype=np.float64)
    if pa.types.is_date32(kind) or (pa.types.is_timestamp(kind) and kind.tz is None):
        unit = "D" if pa.types.is_date32(kind) else kind.unit
        low, high = (int(np.datetime64(b, unit).astype(np.int64)) for b in _NS_RANGE)
        bounds = pc.min_max(column)
        if bounds["min"].is_valid and not (low <= bounds["min"].value
                                           and bounds["max"].value <= high):
            return None  # beyond nanoseconds: kept as `.df()` gives it, by DuckDB
        return pd.Series(column.cast(pa.timestamp("ns")).to_pandas(), dtype="datetime64[ns]")
    return None


def validate_frame(part: dict[str, Any], parameters: dict[str, Any],
                   frame: pd.DataFrame) -> list[Result]:
    """GX validates the part's expectations on `frame`, in this process."""
    if not part["expectations"]:
        return []
    suite = _suite(json.dumps(part, sort_keys=True))
    definition = _definition()
    batch = definition.get_batch(batch_parameters={"dataframe": frame})
    try:
        outcome = batch.validate(suite, result_format=RESULT_FORMAT,
                                 expectation_parameters=parameters)
    finally:
        _forget(definition.data_asset.datasource.get_execution_engine())
    return [_result(r) for r in outcome.results]


def _forget(engine: Any) -> None:
    """Drop what GX's execution engine keeps after a validation: the datasource reuses one
    engine, which caches every metric it resolved (the per-row condition series and index
    arrays of each chunk) and the last batch's frame. Each validation resolves its whole
    metric graph itself, so nothing is lost: each chunk is validated as by a fresh engine."""
    cache = getattr(engine, "_metric_cache", None)
    if isinstance(cache, dict):
        cache.clear()
    frames = getattr(getattr(engine, "batch_manager", None), "_batch_data_cache", None)
    if isinstance(frames, dict):
        frames.clear()


def _result(r: Any) -> Result:
    info = r.exception_info or {}
    # GX puts the exception at the top, or under the id of each metric that raised one.
    raised = [info] if info.get("raised_exception") else [
        v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    config = r.expectation_config
    return Result(
        name=config.meta["name"],
        success=bool(r.success),
        result=dict(r.result or {}),
        error=str(raised[0].get("exception_message")) if raised else None,
        kwargs=dict(config.kwargs),
    )


def run_task(task: Task) -> list[Result]:
    import pandas as pd

    if task.table is None:
        frame = pd.DataFrame(index=pd.RangeIndex(task.rows or 0))
    else:
        frame = to_pandas(task.table, task.text)
    return validate_frame(task.part, task.parameters, frame)


class InProcess:
    """Runs every task in this process, in order."""

    def run(self, tasks: Iterable[Task]) -> list[tuple[tuple, list[Result]]]:
        done = [(t.order, run_task(t)) for t in tasks]
        gc.collect()  # the frames GX's reference cycles hold
        return done


# --------------------------------------------------------------------------- worker processes

_LENGTH = struct.Struct("<Q")


def _write(fd: int, *frames: bytes | memoryview) -> None:
    for data in frames:
        view = memoryview(data).cast("B")
        os.write(fd, _LENGTH.pack(len(view)))
        while view:
            view = view[os.write(fd, view):]


def _read(fd: int) -> bytes | None:
    """One length-prefixed frame; None at the end of the stream."""
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    (n,) = _LENGTH.unpack(head)
    data = _read_exactly(fd, n)
    if data is None:
        raise EOFError("the stream ended inside a frame")
    return data


def _read_exactly(fd: int, n: int) -> bytes | None:
    buffer = bytearray(n)
    view, got = memoryview(buffer), 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            if got == 0:
                return None
            raise EOFError("the stream ended inside a frame")
        got += k
    return bytes(buffer) if n < 1 << 16 else buffer  # large frames stay a bytearray (no copy)


def _ipc(table: pa.Table | None) -> bytes | memoryview:
    import pyarrow as pa

    if table is None:
        return b""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return memoryview(sink.getvalue())


def _from_ipc(data: bytes | bytearray) -> pa.Table | None:
    import pyarrow as pa

    if not data:
        return None
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


class _Worker:
    """The parent's end of one worker: a pipe to send tasks, one to receive results."""

    def __init__(self, send: int, receive: int, proc: subprocess.Popen | None,
                 failed: threading.Event) -> None:
        self.out, self.inp, self.proc = send, receive, proc
        self.failed = failed  # shared by the workers of one start: stop sending

    def send(self, task: Task) -> None:
        header = pickle.dumps((task.order, task.part, task.parameters, task.rows,
                               task.text), protocol=pickle.HIGHEST_PROTOCOL)
        _write(self.out, header, _ipc(task.table))

    def send_all(self, tasks: queue.SimpleQueue) -> None:
        """Send tasks until None; a stopped worker ends it (`receive` reports the failure),
        and so does a failure elsewhere (the tasks still queued are not sent)."""
        while (task := tasks.get()) is not None:
            if self.failed.is_set():
                continue
            try:
                self.send(task)
            except OSError:
                self.failed.set()

    def receive(self) -> list[Result]:
        data = _read(self.inp)
        if data is None:
            raise RuntimeError("a Great Expectations worker process stopped")
        status, value = pickle.loads(data)
        if status != "ok":
            raise RuntimeError(f"a Great Expectations worker process failed:\n{value}")
        return value

    def stop_receiving(self) -> None:
        if self.inp >= 0:
            os.close(self.inp)
            self.inp = -1

    def close_pipes(self) -> None:
        """The worker reads the end of its tasks and leaves."""
        self.stop_receiving()
        if self.out >= 0:
            os.close(self.out)
            self.out = -1

    def wait(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _start_workers(n: int) -> list[_Worker]:
    """`n` workers: one process imports GX, then forks the others (one import for all)."""
    parent_ends, child_ends = [], []
    for _ in range(n):
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        parent_ends.append((task_w, result_r))
        child_ends.append((task_r, result_w))
    fds = [fd for pair in child_ends for fd in pair]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.quality.gx_runner",
         ",".join(f"{r}:{w}" for r, w in child_ends)],
        pass_fds=fds, stdin=subprocess.DEVNULL,
    )
    for fd in fds:
        os.close(fd)
    failed = threading.Event()
    return [_Worker(send, receive, proc if i == 0 else None, failed)
            for i, (send, receive) in enumerate(parent_ends)]


class Workers:
    """Worker processes shared by every suite validated in this process."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._last_used = time.monotonic()
        self._watch: threading.Thread | None = None

    def run(self, tasks: Iterable[Task]) -> list[tuple[tuple, list[Result]]]:
        """Every task, each on the first free worker; results in the order they come back."""
        with self._lock:
            try:
                return self._run(iter(tasks))
            except BaseException:
                self._close()  # a worker may be mid-task: start afresh next time
                raise
            finally:
                self._last_used = time.monotonic()

    def _run(self, tasks: Iterator[Task]) -> list[tuple[tuple, list[Result]]]:
        self._start()
        # Each worker has up to DEPTH tasks sent ahead, written by a thread of its own, so it
        # starts its next task as soon as it answers one.
        pending: dict[int, deque] = {w.inp: deque() for w in self._workers}
        queues = {w.inp: queue.SimpleQueue() for w in self._workers}
        writers = [threading.Thread(target=w.send_all, args=(queues[w.inp],), daemon=True)
                   for w in self._workers]
        for writer in writers:
            writer.start()
        by_fd = {w.inp: w for w in self._workers}
        done: list[tuple[tuple, list[Result]]] = []

        def feed(fd: int) -> None:
            while len(pending[fd]) < DEPTH:
                task = next(tasks, None)
                if task is None:
                    return
                pending[fd].append(task.order)
                queues[fd].put(task)

        try:
            for fd in by_fd:
                feed(fd)
            while any(pending.values()):
                ready, _, _ = select.select([fd for fd in by_fd if pending[fd]], [], [])
                for fd in ready:
                    done.append((pending[fd].popleft(), by_fd[fd].receive()))
                    feed(fd)
        except BaseException:
            # Stop sending; a worker still answering then fails to write, leaves, and so
            # ends any write to it that is under way: the writers can be joined.
            for worker in self._workers:
                worker.failed.set()
                worker.stop_receiving()
            raise
        finally:
            for q in queues.values():  # after a failure, tasks not yet sent are dropped
                q.put(None)
            for writer in writers:
                writer.join()
        return done

    def _start(self) -> None:
        if not self._workers:
            self._workers = _start_workers(self.n)
        if self._watch is None or not self._watch.is_alive():
            self._watch = threading.Thread(target=self._stop_when_idle, daemon=True,
                                           name="gx-workers-idle")
            self._watch.start()

    def _stop_when_idle(self) -> None:
        while True:
            time.sleep(min(IDLE_SECONDS / 4, 5.0))
            if not self._lock.acquire(blocking=False):
                continue
            try:
                if not self._workers:
                    return
                if time.monotonic() - self._last_used > IDLE_SECONDS:
                    self._close()
                    return
            finally:
                self._lock.release()

    def _close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:  # every pipe first: the first process waits for the forked
            worker.close_pipes()
        for worker in workers:
            worker.wait()

    def close(self) -> None:
        with self._lock:
            self._close()


_SHARED: dict[int, Workers] = {}


def runner(workers: int | None = None) -> InProcess | Workers:
    """`workers` processes (None: `WORKERS`), shared by every suite of this process; 0: this
    process."""
    n = WORKERS if workers is None else workers
    if n <= 0:
        return InProcess()
    if n not in _SHARED:
        _SHARED[n] = Workers(n)
    return _SHARED[n]


def close_workers() -> None:
    """Stop every worker process (at the end of a run; they also stop when left idle)."""
    for pool in list(_SHARED.values()):
        pool.close()


atexit.register(close_workers)


def _serve(pairs: list[tuple[int, int]]) -> None:
    """The worker processes: this one imports GX, forks one process per further pipe pair,
    and each reads tasks on its pair until the parent closes it."""
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything printed goes to stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers (EOF)
    import great_expectations  # noqa: F401 - once, before the fork: shared by every worker

    children = []
    for k, pair in enumerate(pairs[1:], start=1):
        pid = os.fork()
        if pid == 0:  # a forked worker: serves its pair, then leaves without exit handlers
            code = 1
            try:
                for other in [pairs[0], *pairs[k + 1:]]:  # the pairs still open here
                    os.close(other[0])
                    os.close(other[1])
                _serve_pair(*pair)
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
        os.close(pair[0])
        os.close(pair[1])
    try:
        _serve_pair(*pairs[0])
    finally:
        for pid in children:
            os.waitpid(pid, 0)


def _serve_pair(inp: int, out: int) -> None:
    _definition()
    gc.freeze()  # what the import and the context made is never collected: cheap collections
    try:
        _serve_tasks(inp, out)
    except (BrokenPipeError, EOFError):
        return  # the parent stopped listening (it failed or left): nothing to answer


def _serve_tasks(inp: int, out: int) -> None:
    while True:
        header = _read(inp)
        if header is None:
            return
        payload = _read(inp)
        order, part, parameters, rows, text = pickle.loads(header)
        try:
            task = Task(order, part, parameters, _from_ipc(payload or b""), rows, text)
            reply: tuple = ("ok", run_task(task))
            del task
        except Exception:  # noqa: BLE001 - sent back whole: the parent raises it
            reply = ("error", traceback.format_exc())
        del payload
        _write(out, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        _release_memory()


def _release_memory() -> None:
    """Free what a task left: GX's validation leaves reference cycles that hold the task's
    frames until a collection; then give the freed memory back to the system."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc() if sys.platform.startswith("linux") else None


if __name__ == "__main__":
    from pipelines.quality import gx_runner  # results pickle under the module's own name

    gx_runner._serve([tuple(int(fd) for fd in pair.split(":"))
                      for pair in sys.argv[1].split(",")])
