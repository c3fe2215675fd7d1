"""Read one landed file into a frame of strings and map its headers onto the contract.

Every reader returns the cells as text (`pl.String`, null for an empty cell) with the original
header row kept aside, so typing happens in one place (`pipelines.ingest.parse`) whatever the
file format. Row numbers follow the landing contract: 1-based data rows (header excluded) in
CSV and XLSX, the 0-based row index in Parquet.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.contract import TABLES, columns
from pipelines.ingest.isolated import ReaderFailed, read_isolated
from pipelines.ingest.limits import Limits, TooLarge
from pipelines.ingest.xlsx_guard import NotAWorkbook, check_workbook

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
ROW_BASE = {"csv": 1, "xlsx": 1, "parquet": 0}


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


@dataclass
class LandedFile:
    """A file's cells as strings, with its original headers."""

    frame: pl.DataFrame  # columns named c0, c1, ... in file order; all pl.String
    headers: list[str]  # original header text per column ("" when empty)
    format: str

    @property
    def row_base(self) -> int:
        return ROW_BASE[self.format]


@dataclass
class MappedFile:
    """A landed file with its columns renamed to the contract."""

    frame: pl.DataFrame  # `_row_number`, contract columns present (pl.String), `_extra`
    present: list[str]
    missing_required: list[str]
    duplicates: list[str]
    extra_headers: list[str] = field(default_factory=list)
    records: int = 0  # data records in the file (blank ones included)
    blank_rows: int = 0  # records with no value at all: skipped, not landed


def read_landed(path: Path, limits: Limits | None = None) -> LandedFile:
    """Read a landed file within `limits` (raises `TooLarge` naming the cap, checked before
    the reader allocates for it, or `UnreadableFile`)."""
    limits = limits or Limits()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported format {path.suffix}")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise TooLarge("max_file_bytes",
                       f"{size:,} bytes, the cap is {limits.max_file_bytes:,}")
    try:
        if fmt == "csv":
            landed = _read_csv(path, limits)
        elif fmt == "xlsx":
            landed = _read_xlsx(path, limits)
        else:
            landed = _read_parquet(path, limits)
    except (UnreadableFile, TooLarge):
        raise
    except NotAWorkbook as exc:
        raise UnreadableFile(f"not a readable XLSX workbook ({exc})") from exc
    except pl.exceptions.PanicException as exc:  # a reader's internal error: still the file's
        raise UnreadableFile(_describe(exc, fmt)) from exc
    except Exception as exc:  # noqa: BLE001 - any parser error means the file is unreadable
        raise UnreadableFile(_describe(exc, fmt)) from exc
    _check_shape(landed, limits)
    return landed


def _check_shape(landed: LandedFile, limits: Limits) -> None:
    """Rows, columns and field length of what was read (memory is already bounded by the
    file-size cap, or for XLSX by the sheet pre-check)."""
    if len(landed.headers) > limits.max_columns:
        raise TooLarge("max_columns", f"{len(landed.headers):,} columns, the cap is "
                       f"{limits.max_columns:,}")
    if landed.frame.height > limits.max_rows:
        raise TooLarge("max_rows", f"more than {limits.max_rows:,} data rows")
    longest = max((len(h) for h in landed.headers), default=0)
    if landed.frame.width:
        lengths = landed.frame.select(pl.all().cast(pl.String).str.len_chars().max()).row(0)
        longest = max(longest, *(n or 0 for n in lengths))
    if longest > limits.max_field_chars:
        raise TooLarge("max_field_chars", f"a value of {longest:,} characters, the cap is "
                       f"{limits.max_field_chars:,}")


def _describe(exc: Exception, fmt: str) -> str:
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


def _split_header(raw: pl.DataFrame, fmt: str) -> LandedFile:
    if raw.height == 0:
        raise UnreadableFile("no header row")
    headers = ["" if v is None else str(v) for v in raw.row(0)]
    frame = raw.slice(1)
    frame.columns = [f"c{i}" for i in range(frame.width)]
    return LandedFile(frame=frame, headers=headers, format=fmt)


HEADER_PEEK = 1 << 20  # a header row longer than this is over any sensible cap


def _check_csv_header(path: Path, limits: Limits) -> None:
    """Columns of the header row, from the file's first MiB, before the reader runs."""
    with path.open("rb") as fh:
        head = fh.read(HEADER_PEEK)
    end = head.find(b"\n")
    if end < 0 and len(head) == HEADER_PEEK:
        raise TooLarge("max_field_chars", "the header row is longer than 1 MiB")
    line = head[: end if end >= 0 else len(head)].decode("utf-8", "replace")
    try:
        width = len(next(csv.reader([line]), []))
    except csv.Error:
        return  # the reader says what is wrong
    if width > limits.max_columns:
        raise TooLarge("max_columns", f"{width:,} columns, the cap is {limits.max_columns:,}")


def _read_csv(path: Path, limits: Limits) -> LandedFile:
    # RFC 4180, UTF-8 (a BOM is dropped by the reader); every cell read as text. Reading
    # stops one record past the row cap, so an endless file costs no more than the cap.
    _check_csv_header(path, limits)
    raw = pl.read_csv(
        path,
        has_header=False,
        infer_schema=False,
        encoding="utf8",
        quote_char='"',
        separator=",",
        raise_if_empty=True,
        n_rows=limits.max_rows + 2,  # the header, the cap, one more
    )
    return _split_header(raw, "csv")


def _read_xlsx(path: Path, limits: Limits) -> LandedFile:
    check_workbook(path, limits)  # the reader never sees a workbook that would exhaust memory
    try:  # and it runs in a child process under a memory limit, in case it does anyway
        frame = read_isolated("xlsx", path, limits.max_reader_memory_bytes,
                              limits.reader_timeout_seconds)
    except ReaderFailed as exc:
        raise UnreadableFile(str(exc)) from exc
    return _split_header(frame, "xlsx")


_TZ = "Asia/Ho_Chi_Minh"


def _read_parquet(path: Path, limits: Limits) -> LandedFile:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)  # the footer only
    if meta.num_columns > limits.max_columns:
        raise TooLarge("max_columns", f"{meta.num_columns:,} columns, the cap is "
                       f"{limits.max_columns:,}")
    if meta.num_rows > limits.max_rows:
        raise TooLarge("max_rows", f"{meta.num_rows:,} data rows, the cap is "
                       f"{limits.max_rows:,}")
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limits.max_uncompressed_bytes:
        raise TooLarge("max_uncompressed_bytes", f"the data unpacks to {unpacked:,} bytes, the "
                       f"cap is {limits.max_uncompressed_bytes:,}")
    try:  # a native reader: in a child process under a memory limit
        df = read_isolated("parquet", path, limits.max_reader_memory_bytes,
                           limits.reader_timeout_seconds)
    except ReaderFailed as exc:
        raise UnreadableFile(str(exc)) from exc
    cells = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                col = col.dt.convert_time_zone(_TZ).dt.replace_time_zone(None)
            col = col.dt.strftime("%Y-%m-%d %H:%M:%S%.f")
        elif dtype == pl.Date:
            col = col.dt.strftime("%Y-%m-%d")
        elif (dtype in (pl.String, pl.Categorical, pl.Enum, pl.Null, pl.Boolean)
              or dtype.is_numeric()):
            col = col.cast(pl.String)
        else:
            raise UnreadableFile(f"column {name!r} has an unsupported Parquet type {dtype}")
        cells.append(col.alias(f"c{len(cells)}"))
    frame = df.select(cells) if cells else pl.DataFrame()
    return LandedFile(frame=frame, headers=list(df.columns), format="parquet")


def map_headers(landed: LandedFile, table: str) -> MappedFile:
    """Rename columns to the contract; unknown columns are packed into `_extra` (JSON text)."""
    lookup = header_lookup(table)
    frame = landed.frame
    renames: dict[str, str] = {}
    seen: dict[str, list[str]] = {}
    extra: dict[str, str] = {}  # frame column -> original header
    for i, header in enumerate(landed.headers):
        src = f"c{i}"
        target = lookup.get(normalise_header(header))
        if target is not None:
            seen.setdefault(target, []).append(header)
            renames[src] = target
        elif header.strip() or frame.get_column(src).null_count() < frame.height:
            # A column without a header is kept only when it holds something.
            extra[src] = header.strip() or f"(column {i + 1})"
    duplicates = sorted(f"{t} ({', '.join(repr(h) for h in hs)})" for t, hs in seen.items()
                        if len(hs) > 1)
    present = [c.name for c in columns(table) if c.name in seen]
    missing = [c.name for c in columns(table) if c.required and c.name not in seen]
    if duplicates or missing:
        return MappedFile(frame=frame.clear(), present=present, missing_required=missing,
                          duplicates=duplicates, extra_headers=list(extra.values()),
                          records=frame.height)
    kept = [*renames, *extra]
    blank = (
        pl.all_horizontal(pl.col(c).str.strip_chars().fill_null("") == "" for c in kept)
        if kept else pl.lit(True)
    )
    exprs = [(pl.int_range(pl.len(), dtype=pl.Int64) + landed.row_base).alias("_row_number")]
    exprs += [pl.col(src).alias(dst) for src, dst in renames.items()]
    exprs.append(_extra_json(extra))
    # Row numbers are taken before blank rows are dropped, so they match the file.
    mapped = frame.select(exprs).filter(~frame.select(blank).to_series())
    return MappedFile(
        frame=mapped,
        present=present,
        missing_required=[],
        duplicates=[],
        extra_headers=list(extra.values()),
        records=frame.height,
        blank_rows=frame.height - mapped.height,
    )


def _extra_json(extra: dict[str, str]) -> pl.Expr:
    if not extra:
        return pl.lit(None, dtype=pl.String).alias("_extra")
    # Unknown headers may collide after stripping; make them unique for the JSON object.
    names: dict[str, str] = {}
    for src, header in extra.items():
        name, n = header, 2
        while name in names.values():
            name, n = f"{header} ({n})", n + 1
        names[src] = unicodedata.normalize("NFC", name)
    fields = [pl.col(src).str.normalize("NFC").alias(name) for src, name in names.items()]
    return pl.struct(fields).struct.json_encode().alias("_extra")


def extra_columns_json(headers: list[str]) -> str | None:
    return json.dumps(headers, ensure_ascii=False) if headers else None


def table_of(path: Path) -> str | None:
    return path.stem if path.stem in TABLES else None
