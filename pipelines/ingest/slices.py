"""Validate and write one table's files a bounded slice at a time.

`TableSlices` takes the mapped text rows of every file of one table in a group of batches,
file after file as their readers give them (`read.LandedStream`), and validates and writes
them `slice_rows` rows at a time: small files share a slice (one pandera pass for many small
batches), a big file spans several. Only one slice's rows are in memory at once, plus, for
each file, one 8-byte hash per row (below).

Every row rule holds within a row, except `duplicate_conflict`: rows of one file with the same
key and `updated_at` but other content. Within a slice it is checked as always. A file whose
rows span several slices keeps the hash of each row's key and `updated_at`
(`validate.group_hash`) per slice; when the table is done, a hash found in two slices of the
file names rows that may conflict. Those rows (all the rows of their groups) are read from the
file again and validated together, and replace what their slices wrote: the rows that now
break a rule leave `raw.<table>`, their quarantine rows are written anew, and the file's
counts follow. Rows whose hashes only collide are written back unchanged.

A file refused part-way (a reading cap or a parse error past its first slice) leaves nothing
behind: its rows leave the buffer, and what its earlier slices wrote is deleted, inside the
group's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.contract import KEYS, columns
from pipelines.ingest.read import HeaderMap, LandedStream
from pipelines.ingest.validate import (
    RECEIVED,
    Validated,
    ValueRules,
    group_hash,
    type_column,
    validate_rows,
)


@dataclass(eq=False)
class FilePart:
    """One file of the table being loaded, and what its slices have done so far."""

    batch_id: str
    file_name: str
    stream: LandedStream
    header: HeaderMap
    receipt: dt.datetime | None
    rows_landed: int = 0
    rows_quarantined: int = 0
    rule_counts: Counter[str] = field(default_factory=Counter)
    slices: list[int] = field(default_factory=list)  # slices that held its rows
    groups: list[pl.Series] = field(default_factory=list)  # per slice: its group hashes

    @property
    def key(self) -> tuple[str, str]:
        return (self.batch_id, self.file_name)

    def lineage(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.lit(self.batch_id).alias("_batch_id"), pl.lit(self.file_name).alias("_file_name"),
            pl.lit(self.receipt, dtype=pl.Datetime("us")).alias(RECEIVED))


class TableSlices:
    """Buffer, validate and write the rows of one table, `slice_rows` at a time.

    A validated slice is written by a worker thread while the next one is validated (DuckDB
    works without the interpreter lock), one write at a time; every other use of the
    connection waits for it. `close` waits too, and must be called."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, rules: ValueRules,
                 loaded_at: dt.datetime, slice_rows: int) -> None:
        self.con, self.table, self.rules = con, table, rules
        self.loaded_at, self.slice_rows = loaded_at, max(1, slice_rows)
        self.held: list[tuple[FilePart, pl.DataFrame]] = []
        self.held_rows = 0
        self.slice_count = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._writing: Future[None] | None = None

    def _wait(self) -> None:
        """Wait for the slice being written (its error, if any, is raised here)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._writer.shutdown(wait=True)

    def add(self, part: FilePart, frame: pl.DataFrame) -> None:
        """Mapped rows of `part` (with lineage): written once a slice is full."""
        if frame.height:
            self.held.append((part, frame))
            self.held_rows += frame.height
        while self.held_rows >= self.slice_rows:
            self._flush(self.slice_rows)

    def finish(self, parts: list[FilePart]) -> None:
        """Write what is held, then check duplicates across the slices of each file."""
        if self.held_rows:
            self._flush(self.held_rows)
        self._wait()
        for part in parts:
            if len(part.slices) > 1:
                self._recheck_across_slices(part)
            part.groups = []

    def discard(self, part: FilePart) -> None:
        """A file refused part-way: nothing of it stays (buffer, raw table, quarantine)."""
        kept = [(p, f) for p, f in self.held if p is not part]
        self.held_rows = sum(f.height for _, f in kept)
        self.held = kept
        if part.slices:
            self._wait()
            self.con.execute(f"delete from raw.{self.table} where _batch_id = ? "
                             "and _file_name = ?", list(part.key))
            self.con.execute("delete from raw.quarantine where batch_id = ? and file_name = ?",
                             list(part.key))
        part.slices, part.groups = [], []
        part.rows_landed = part.rows_quarantined = 0
        part.rule_counts.clear()

    # --- one slice --------------------------------------------------------------------------

    def _flush(self, rows: int) -> None:
        taken: list[tuple[FilePart, pl.DataFrame]] = []
        need = rows
        while need:
            part, frame = self.held[0]
            if frame.height <= need:
                taken.append(self.held.pop(0))
                need -= frame.height
            else:
                taken.append((part, frame.slice(0, need)))
                self.held[0] = (part, frame.slice(need))
                need = 0
        self.held_rows -= rows
        frames = [f for _, f in taken]
        stacked = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        del frames
        result = validate_rows(stacked, self.table, self.rules)
        del stacked
        self._wait()
        self._writing = self._writer.submit(write_rows, self.con, self.table, result,
                                            self.loaded_at)
        index = self.slice_count
        self.slice_count += 1
        parts = {p.key: p for p, _ in taken}
        for key, counts in result.files.items():
            part = parts[key]
            part.rows_landed += counts.rows_landed
            part.rows_quarantined += counts.rows_quarantined
            part.rule_counts.update(counts.rule_counts)
        start = 0
        for part, frame in taken:
            if not part.slices or part.slices[-1] != index:
                part.slices.append(index)
                part.groups.append(pl.Series(dtype=pl.UInt64))
            hashes = result.groups.slice(start, frame.height).drop_nulls()
            part.groups[-1] = pl.concat([part.groups[-1], hashes]).unique()
            start += frame.height

    # --- duplicates across slices ----------------------------------------------------------

    def _recheck_across_slices(self, part: FilePart) -> None:
        per_slice = pl.concat(part.groups)  # each slice's hashes are unique already
        recurring = per_slice.filter(per_slice.is_duplicated()).unique()
        if recurring.len() == 0:
            return
        rows = self._reread(part, recurring)
        result = validate_rows(rows, self.table, self.rules)
        numbers = rows.select("_row_number")
        before = self._quarantined(part, numbers)
        self.con.register("ingest_recheck", numbers)
        try:
            self.con.execute(
                f"delete from raw.{self.table} where _batch_id = ? and _file_name = ? and "
                "_row_number in (select _row_number from ingest_recheck)", list(part.key))
            self.con.execute(
                "delete from raw.quarantine where batch_id = ? and file_name = ? and "
                "row_number in (select _row_number from ingest_recheck)", list(part.key))
        finally:
            self.con.unregister("ingest_recheck")
        write_rows(self.con, self.table, result, self.loaded_at)
        counts = result.files.get(part.key)
        part.rows_quarantined += (counts.rows_quarantined if counts else 0) - before[0]
        part.rule_counts.subtract(before[1])
        if counts:
            part.rule_counts.update(counts.rule_counts)
        part.rule_counts = +part.rule_counts  # drop rules counted to zero

    def _reread(self, part: FilePart, recurring: pl.Series) -> pl.DataFrame:
        """The rows of `part` whose group hash is in `recurring`, read from the file again."""
        types = {c.name: c.type for c in columns(self.table)}
        key = [*KEYS[self.table], "updated_at"]
        found = []
        offset = 0
        for text in part.stream.slices(self.slice_rows):
            mapped, _ = part.header.apply(text, part.stream.row_base + offset)
            offset += text.height
            typed = pl.DataFrame([
                type_column(types[c], mapped.get_column(c) if c in mapped.columns else None,
                            mapped.height)[1].alias(c)
                for c in key])
            keep = group_hash(typed, self.table).is_in(recurring.implode())
            found.append(mapped.filter(keep.fill_null(False)))
        return part.lineage(pl.concat(found, how="diagonal_relaxed"))

    def _quarantined(self, part: FilePart, numbers: pl.DataFrame) -> tuple[int, Counter[str]]:
        """Rows among `numbers` the earlier slices quarantined, and their failures per rule."""
        self.con.register("ingest_recheck", numbers)
        try:
            failures = self.con.execute(
                "select rule, row_number from raw.quarantine where batch_id = ? and "
                "file_name = ? and row_number in (select _row_number from ingest_recheck)",
                list(part.key)).fetchall()
        finally:
            self.con.unregister("ingest_recheck")
        return len({n for _, n in failures}), Counter(rule for rule, _ in failures)


def write_rows(con: duckdb.DuckDBPyConnection, table: str, result: Validated,
               loaded_at: dt.datetime) -> None:
    """Append a validated slice: accepted rows to `raw.<table>`, failures to the quarantine."""
    stamp = pl.lit(loaded_at).cast(pl.Datetime("us", "UTC"))
    if result.accepted.height:
        append(con, f"raw.{table}", result.accepted.with_columns(stamp.alias("_loaded_at")))
    if result.quarantine.height:
        append(con, "raw.quarantine", result.quarantine.with_columns(stamp.alias("loaded_at")))


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert `frame` into `table` by column name.

    The rows go to DuckDB as a stream of Arrow record batches, each released once read:
    DuckDB keeps the Python object it scanned alive until the transaction ends, outside its
    memory limit, so a registered frame would keep every slice of a group of batches (one
    transaction) in memory."""
    arrow = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    schema, batches = arrow.schema, arrow.to_batches()
    del arrow

    def drain() -> Iterator[pa.RecordBatch]:
        while batches:
            yield batches.pop(0)

    con.register("ingest_rows", pa.RecordBatchReader.from_batches(schema, drain()))
    try:
        con.execute(f"insert into {table} by name select * from ingest_rows")
    finally:
        con.unregister("ingest_rows")
