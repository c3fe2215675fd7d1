"""Read one landed file as a stream of text slices and map its headers onto the contract.

`open_landed(path, limits)` checks the caps that can be checked before reading, reads the
header row and returns a `LandedStream`; `LandedStream.slices(rows)` then gives the data
records a slice of at most `rows` rows at a time, so no file is ever held whole:

- CSV is parsed in blocks of about 16 MiB (`CSV_BLOCK_BYTES`) cut after a line end outside
  quotes (an even number of `"` before it, as RFC 4180 quoting has), each block parsed with the
  file's own header line in front of it, so every block is read exactly as the whole file
  would be (the same width, BOM and quoting);
- XLSX and Parquet are read by their native readers in a child process (`isolated`) into a
  temporary Arrow IPC file, read back one record batch at a time.

Every reader gives the cells as text (`pl.String`, null for an empty cell), with the original
header row kept aside, so typing happens in one place (`pipelines.ingest.parse`) whatever the
file format; only the dates, timestamps (a zoned one in local wall time), booleans, integers
and 64-bit floats of a Parquet file stay as they are, and are taken as the text they stand
for would be (`parse.parse_native`). Row numbers follow the landing contract: 1-based data
rows (header excluded) in CSV and XLSX, the 0-based row index in Parquet.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.contract import TABLES, columns
from pipelines.ingest.isolated import ReaderFailed, read_isolated
from pipelines.ingest.limits import Limits, TooLarge
from pipelines.ingest.parse import landed_text
from pipelines.ingest.xlsx_guard import NotAWorkbook, check_workbook

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
ROW_BASE = {"csv": 1, "xlsx": 1, "parquet": 0}
CSV_BLOCK_BYTES = 16 << 20  # CSV bytes parsed at a time
HEADER_PEEK = 1 << 20  # a header row longer than this is over any sensible cap


class UnreadableFile(Exception):
    """The file cannot be parsed at all (the ledger refuses it on its own)."""


# Vietnamese has two conventions for placing the tone mark in "oa", "oe", "uy" (hòa / hoà).
# Headers typed by hand use either; both map to one form before comparing.
_TONE_PLACEMENT = {
    old: new
    for a, b in (("o", "a"), ("o", "e"), ("u", "y"))
    for old, new in (
        (unicodedata.normalize("NFC", a + mark) + b, a + unicodedata.normalize("NFC", b + mark))
        for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    )
}
_SPACES = re.compile(r"\s+")


def normalise_header(text: str) -> str:
    """NFC, casefold, collapse white space; tone-mark placement made uniform."""
    s = _SPACES.sub(" ", unicodedata.normalize("NFC", text).replace("\ufeff", "")).strip()
    s = unicodedata.normalize("NFC", s.casefold())
    for old, new in _TONE_PLACEMENT.items():
        s = s.replace(old, new)
    return s


def header_lookup(table: str) -> dict[str, str]:
    """Normalised header (canonical name or Vietnamese header) -> contract column."""
    lookup: dict[str, str] = {}
    for col in columns(table):
        lookup[normalise_header(col.name)] = col.name
        lookup[normalise_header(col.vi_header)] = col.name
    return lookup


# --- streams --------------------------------------------------------------------------------


class LandedStream:
    """A landed file: its header row, then its data records as text frames.

    `slices(rows)` yields frames of at most `rows` data records (columns `c0`, `c1`, ... in
    file order, text but for a Parquet file's typed values), in file order; it may be iterated
    again (a second pass reads the file again). `records` is the number of data records (blank
    ones included): known on opening for XLSX and Parquet, once read through for CSV. Reading
    raises `TooLarge` or `UnreadableFile`, also part-way through a file.
    """

    format: str
    headers: list[str]  # original header text per column ("" when empty)
    records: int | None = None

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits

    @property
    def row_base(self) -> int:
        return ROW_BASE[self.format]

    def _frames(self) -> Iterator[pl.DataFrame]:
        raise NotImplementedError

    def slices(self, rows: int) -> Iterator[pl.DataFrame]:
        held: list[pl.DataFrame] = []
        n = 0
        for frame in _guarded(self._frames(), self.format):
            _check_cells(frame, self.limits)
            held.append(frame)
            n += frame.height
            while n >= rows:
                whole = pl.concat(held, rechunk=False) if len(held) > 1 else held[0]
                yield whole.slice(0, rows)
                rest = whole.slice(rows)
                held, n = ([rest] if rest.height else []), rest.height
        if n:
            yield pl.concat(held, rechunk=False) if len(held) > 1 else held[0]

    def column_has_values(self, index: int) -> bool:
        """Whether column `index` holds a value in any record (reads the file through)."""
        name = f"c{index}"
        return any(f.get_column(name).null_count() < f.height
                   for f in _guarded(self._frames(), self.format))

    def count_records(self) -> int:
        """Data records of the file (reads it through when not known yet)."""
        if self.records is None:
            for _ in _guarded(self._frames(), self.format):
                pass
        assert self.records is not None
        return self.records

    def close(self) -> None:
        pass

    def __enter__(self) -> LandedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_landed(path: Path, limits: Limits | None = None,
                spill_dir: Path | None = None) -> LandedStream:
    """Open a landed file within `limits`: caps checked before the reader allocates for them
    (raises `TooLarge` naming the cap, or `UnreadableFile`), header row read. The Arrow file
    of an XLSX or Parquet file is written under `spill_dir` (default: the system's temporary
    folder)."""
    limits = limits or Limits()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported format {path.suffix}")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise TooLarge("max_file_bytes",
                       f"{size:,} bytes, the cap is {limits.max_file_bytes:,}")
    stream: LandedStream | None = None
    try:
        if fmt == "csv":
            stream = _CsvStream(path, limits)
        else:
            stream = _IpcStream(path, limits, fmt, spill_dir)
        stream.open()
    except BaseException as exc:
        if stream is not None:
            stream.close()
        if isinstance(exc, UnreadableFile | TooLarge) or not isinstance(
                exc, Exception | pl.exceptions.PanicException):
            raise
        if isinstance(exc, NotAWorkbook):
            raise UnreadableFile(f"not a readable XLSX workbook ({exc})") from exc
        raise UnreadableFile(_describe(exc, fmt)) from exc
    if len(stream.headers) > limits.max_columns:
        stream.close()
        raise TooLarge("max_columns", f"{len(stream.headers):,} columns, the cap is "
                       f"{limits.max_columns:,}")
    longest = max((len(h) for h in stream.headers), default=0)
    if longest > limits.max_field_chars:
        stream.close()
        raise TooLarge("max_field_chars", f"a value of {longest:,} characters, the cap is "
                       f"{limits.max_field_chars:,}")
    return stream


def _guarded(frames: Iterator[pl.DataFrame], fmt: str) -> Iterator[pl.DataFrame]:
    """A reader's error part-way through a file is that file's: `UnreadableFile`."""
    try:
        yield from frames
    except (UnreadableFile, TooLarge):
        raise
    except pl.exceptions.PanicException as exc:  # a reader's internal error: still the file's
        raise UnreadableFile(_describe(exc, fmt)) from exc
    except Exception as exc:  # noqa: BLE001 - any parser error means the file is unreadable
        raise UnreadableFile(_describe(exc, fmt)) from exc


def _check_cells(frame: pl.DataFrame, limits: Limits) -> None:
    """The longest value of a slice (memory is already bounded by the file-size cap)."""
    text = pl.col(pl.String)
    if not frame.height or not frame.select(text).width:
        return
    # A value has at least as many bytes as characters: count characters only past the cap.
    widest = max(n or 0 for n in frame.select(text.str.len_bytes().max()).row(0))
    if widest <= limits.max_field_chars:
        return
    longest = max(n or 0 for n in frame.select(text.str.len_chars().max()).row(0))
    if longest > limits.max_field_chars:
        raise TooLarge("max_field_chars", f"a value of {longest:,} characters, the cap is "
                       f"{limits.max_field_chars:,}")


def _describe(exc: BaseException, fmt: str) -> str:
    """What went wrong, without quoting the file: parser messages may echo cell values."""
    text = str(exc).lower()
    if "utf-8" in text or "utf8" in text:
        return "not valid UTF-8 text"
    if "empty" in text:
        return "empty file"
    if "more fields" in text:
        return "a row has more fields than the header"
    if fmt == "csv":
        return f"malformed CSV, e.g. unbalanced quotes ({type(exc).__name__})"
    if fmt == "xlsx":
        return f"not a readable XLSX workbook ({type(exc).__name__})"
    return f"not a readable Parquet file ({type(exc).__name__})"


# --- CSV ------------------------------------------------------------------------------------

# RFC 4180, UTF-8 (a BOM is dropped by the reader); every cell read as text.
_CSV_OPTIONS = {"has_header": False, "infer_schema": False, "encoding": "utf8",
                "quote_char": '"', "separator": ",", "raise_if_empty": True}


def _record_end(data: bytes, first: bool = False) -> int:
    """Offset just past the last (`first`: the first) line end of `data` outside quotes, or -1.

    `data` starts at a record boundary, so a line end with an even number of `"` before it
    ends a record (an escaped `""` counts twice)."""
    if first:
        quotes, start = 0, 0
        while (nl := data.find(b"\n", start)) >= 0:
            quotes += data.count(b'"', start, nl)
            if quotes % 2 == 0:
                return nl + 1
            start = nl + 1
        return -1
    quotes = data.count(b'"')
    end = len(data)
    while (nl := data.rfind(b"\n", 0, end)) >= 0:
        quotes -= data.count(b'"', nl + 1, end)
        if quotes % 2 == 0:
            return nl + 1
        end = nl
    return -1


def _check_csv_header(path: Path, limits: Limits) -> bytes:
    """Columns of the header row, from the file's first MiB, before the reader runs; the
    file's first MiB."""
    with path.open("rb") as fh:
        head = fh.read(HEADER_PEEK)
    end = head.find(b"\n")
    if end < 0 and len(head) == HEADER_PEEK:
        raise TooLarge("max_field_chars", "the header row is longer than 1 MiB")
    line = head[: end if end >= 0 else len(head)].decode("utf-8", "replace")
    try:
        width = len(next(csv.reader([line]), []))
    except csv.Error:
        return head  # the reader says what is wrong
    if width > limits.max_columns:
        raise TooLarge("max_columns", f"{width:,} columns, the cap is {limits.max_columns:,}")
    return head


class _CsvStream(LandedStream):
    format = "csv"

    def open(self) -> None:
        head = _check_csv_header(self.path, self.limits)
        end = _record_end(head, first=True)
        if end < 0:
            # No line end outside quotes in the first MiB (a header row alone, or quoting
            # that never closes): the file is read in one piece.
            self._header = b""
            whole = pl.read_csv(self.path, **_CSV_OPTIONS, n_rows=self.limits.max_rows + 2)
            self.headers = ["" if v is None else str(v) for v in whole.row(0)]
            self._whole: pl.DataFrame | None = whole.slice(1)
            return
        self._header = head[:end]
        self._whole = None
        first = pl.read_csv(self._header, **_CSV_OPTIONS)
        self.headers = ["" if v is None else str(v) for v in first.row(0)]

    def _parse(self, block: bytes) -> pl.DataFrame:
        frame = pl.read_csv(self._header + block, **_CSV_OPTIONS).slice(1)
        frame.columns = [f"c{i}" for i in range(frame.width)]
        return frame

    def _frames(self) -> Iterator[pl.DataFrame]:
        records = 0
        cap = self.limits.max_rows

        def counted(frame: pl.DataFrame) -> pl.DataFrame:
            nonlocal records
            records += frame.height
            if records > cap:
                raise TooLarge("max_rows", f"more than {cap:,} data rows")
            return frame

        if self._whole is not None:
            frame = self._whole
            frame.columns = [f"c{i}" for i in range(frame.width)]
            yield counted(frame)
            self.records = records
            return
        with self.path.open("rb") as fh:
            fh.seek(len(self._header))
            carry = b""
            while chunk := fh.read(CSV_BLOCK_BYTES):
                data = carry + chunk
                end = _record_end(data)
                if end < 0:  # a record longer than a block: read on
                    carry = data
                    continue
                carry = data[end:]
                yield counted(self._parse(data[:end]))
            if carry:
                yield counted(self._parse(carry))
        self.records = records


# --- XLSX and Parquet (read in a child process) ---------------------------------------------


_TZ = "Asia/Ho_Chi_Minh"


_NATIVE = (pl.Date, pl.Boolean, pl.Float64, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8,
           pl.UInt16, pl.UInt32, pl.UInt64)


def _parquet_cells(schema: pl.Schema) -> list[pl.Expr]:
    """Each Parquet column as text, or as it is when it may be a contract date, timestamp
    (a zoned one in local wall time), boolean, integer or number
    (`parse.parse_native`)."""
    cells = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                col = col.dt.convert_time_zone(_TZ).dt.replace_time_zone(None)
        elif dtype in _NATIVE:
            pass
        elif dtype in (pl.String, pl.Categorical, pl.Enum, pl.Null) or dtype.is_numeric():
            col = col.cast(pl.String)
        else:
            raise UnreadableFile(f"column {name!r} has an unsupported Parquet type {dtype}")
        cells.append(col.alias(f"c{len(cells)}"))
    return cells


class _IpcStream(LandedStream):
    """XLSX or Parquet: read by the native reader in a child process into an Arrow IPC file."""

    def __init__(self, path: Path, limits: Limits, fmt: str, spill_dir: Path | None) -> None:
        super().__init__(path, limits)
        self.format, self._spill_dir = fmt, spill_dir
        self._tmp: Path | None = None
        self._made: Path | None = None

    def open(self) -> None:
        limits = self.limits
        if self.format == "xlsx":
            # The reader never sees a workbook that would exhaust memory ...
            check_workbook(self.path, limits)
        else:
            self._check_parquet_footer()
        if self._spill_dir is not None and not self._spill_dir.exists():
            self._spill_dir.mkdir(parents=True)
            self._made = self._spill_dir  # removed again when left empty
        self._tmp = Path(tempfile.mkdtemp(prefix="casewatch-read-", dir=self._spill_dir))
        try:  # ... and it runs in a child process under a memory limit, in case it does anyway
            self._ipc = read_isolated(self.format, self.path, self._tmp / "frame.arrow",
                                      limits.max_reader_memory_bytes,
                                      limits.reader_timeout_seconds)
        except ReaderFailed as exc:
            raise UnreadableFile(str(exc)) from exc
        import pyarrow as pa

        with pa.OSFile(str(self._ipc)) as f:
            reader = pa.ipc.open_file(f)
            total = reader.count_rows()
            schema = pl.from_arrow(reader.schema.empty_table()).schema  # type: ignore[union-attr]
        if self.format == "parquet":
            self.headers = list(schema)
            exprs = _parquet_cells(schema)
            self._cells: Callable[[pl.DataFrame], pl.DataFrame] = (
                lambda f: f.select(exprs) if exprs else pl.DataFrame())
            self.records = total
        else:
            if total == 0:
                raise UnreadableFile("no header row")
            self.headers = ["" if v is None else str(v) for v in self._first_row()]
            self._cells = lambda f: f.rename({c: f"c{i}" for i, c in enumerate(f.columns)})
            self.records = total - 1
        if self.records > limits.max_rows:
            raise TooLarge("max_rows", f"more than {limits.max_rows:,} data rows")

    def _check_parquet_footer(self) -> None:
        import pyarrow.parquet as pq

        limits = self.limits
        meta = pq.read_metadata(self.path)  # the footer only
        if meta.num_columns > limits.max_columns:
            raise TooLarge("max_columns", f"{meta.num_columns:,} columns, the cap is "
                           f"{limits.max_columns:,}")
        if meta.num_rows > limits.max_rows:
            raise TooLarge("max_rows", f"{meta.num_rows:,} data rows, the cap is "
                           f"{limits.max_rows:,}")
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if unpacked > limits.max_uncompressed_bytes:
            raise TooLarge("max_uncompressed_bytes", f"the data unpacks to {unpacked:,} bytes, "
                           f"the cap is {limits.max_uncompressed_bytes:,}")

    def _first_row(self) -> tuple:
        batches = self._batches()
        try:
            return next(f for f in batches if f.height).row(0)
        finally:
            batches.close()

    def _batches(self) -> Iterator[pl.DataFrame]:
        import pyarrow as pa

        with pa.OSFile(str(self._ipc)) as f:
            reader = pa.ipc.open_file(f)
            for i in range(reader.num_record_batches):
                frame = pl.from_arrow(reader.get_batch(i))
                assert isinstance(frame, pl.DataFrame)
                yield frame

    def _frames(self) -> Iterator[pl.DataFrame]:
        skip = 1 if self.format == "xlsx" else 0  # the header row
        for frame in self._batches():
            if skip:
                frame, skip = frame.slice(skip), max(0, skip - frame.height)
            if frame.height:
                yield self._cells(frame)

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._made is not None:
            with contextlib.suppress(OSError):  # not empty: DuckDB spills there too
                self._made.rmdir()
            self._made = None


# --- headers --------------------------------------------------------------------------------


@dataclass
class HeaderMap:
    """How a landed file's columns map onto the contract (`map_headers`)."""

    renames: dict[str, str]  # frame column -> contract column
    extra: dict[str, str]  # frame column -> its name in `_extra` (unique)
    present: list[str]
    missing_required: list[str]
    duplicates: list[str]
    extra_headers: list[str] = field(default_factory=list)

    def apply(self, frame: pl.DataFrame, first_row: int) -> tuple[pl.DataFrame, int]:
        """A slice renamed to the contract (`_row_number`, the contract columns present, as
        text, and `_extra`) without its blank records, and how many those were; `first_row`
        is the row number of the slice's first record."""
        exprs = [(pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("_row_number")]
        exprs += [pl.col(src).alias(dst) for src, dst in self.renames.items()]
        exprs.append(_extra_json(self.extra, frame.schema))
        # Row numbers are taken before blank rows are dropped, so they match the file.
        mapped = frame.select(exprs)
        blank = self._blank(frame)
        if blank is None:
            return mapped, 0
        mapped = mapped.filter(~blank)
        return mapped, frame.height - mapped.height

    def _blank(self, frame: pl.DataFrame) -> pl.Series | None:
        """Records with no value at all (every kept cell empty or white space); None when
        there is none."""
        kept = [*self.renames, *self.extra]
        if not kept:
            return pl.Series(dtype=pl.Boolean).extend_constant(True, frame.height)
        text = {c for c in kept if frame.schema[c] == pl.String}

        def has_value(c: str, quick: bool = False) -> pl.Expr:
            if c not in text:  # a typed Parquet value
                return pl.col(c).is_not_null()
            if quick:  # starts with a character other than white space
                return pl.col(c).str.contains(r"^\S").fill_null(False)
            return pl.col(c).str.strip_chars().fill_null("") != ""

        # The first cell settles most records.
        if frame.select(has_value(kept[0], quick=True).all()).item():
            return None
        blank = frame.select(~pl.any_horizontal(has_value(c) for c in kept)).to_series()
        return blank if blank.any() else None


def map_headers(landed: LandedStream, table: str) -> HeaderMap:
    """Map the file's headers onto the contract; unknown columns go to `_extra` (JSON text).
    A column without a header is kept only when it holds a value somewhere in the file."""
    lookup = header_lookup(table)
    renames: dict[str, str] = {}
    seen: dict[str, list[str]] = {}
    extra: dict[str, str] = {}  # frame column -> original header
    for i, header in enumerate(landed.headers):
        src = f"c{i}"
        target = lookup.get(normalise_header(header))
        if target is not None:
            seen.setdefault(target, []).append(header)
            renames[src] = target
        elif header.strip() or landed.column_has_values(i):
            extra[src] = header.strip() or f"(column {i + 1})"
    duplicates = sorted(f"{t} ({', '.join(repr(h) for h in hs)})" for t, hs in seen.items()
                        if len(hs) > 1)
    present = [c.name for c in columns(table) if c.name in seen]
    missing = [c.name for c in columns(table) if c.required and c.name not in seen]
    return HeaderMap(renames=renames, extra=_unique_names(extra), present=present,
                     missing_required=missing, duplicates=duplicates,
                     extra_headers=list(extra.values()))


def _unique_names(extra: dict[str, str]) -> dict[str, str]:
    # Unknown headers may collide after stripping; make them unique for the JSON object.
    names: dict[str, str] = {}
    for src, header in extra.items():
        name, n = header, 2
        while name in names.values():
            name, n = f"{header} ({n})", n + 1
        names[src] = unicodedata.normalize("NFC", name)
    return names


def _extra_json(names: dict[str, str], schema: pl.Schema) -> pl.Expr:
    if not names:
        return pl.lit(None, dtype=pl.String).alias("_extra")
    fields = [(pl.col(src).str.normalize("NFC") if schema[src] == pl.String
               else pl.col(src).map_batches(landed_text, return_dtype=pl.String)).alias(name)
              for src, name in names.items()]
    return pl.struct(fields).struct.json_encode().alias("_extra")


def extra_columns_json(headers: list[str]) -> str | None:
    return json.dumps(headers, ensure_ascii=False) if headers else None


def table_of(path: Path) -> str | None:
    return path.stem if path.stem in TABLES else None
