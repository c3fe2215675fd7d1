"""Inspect a workbook before the XLSX reader sees it, so no workbook can exhaust memory.

The XLSX reader allocates a dense grid spanning the sheet's cells: a 2 KB file holding only A1
and XFD1048576 asks for 16,384 x 1,048,576 cells (hundreds of GB) and the process aborts. A
compressed sheet can also unpack to gigabytes of XML. `check_workbook` reads only the zip
directory and streams the first sheet's XML (never more than its declared size), and raises
`TooLarge` naming the cap when:

- the parts unpack to more than `max_uncompressed_bytes`, or a part over 1 MiB unpacks to more
  than `max_zip_ratio` times its packed size;
- the sheet's declared `<dimension>` or its used extent (the highest row and column any cell or
  row names) spans more than `max_sheet_cells` cells, more than `max_columns` columns or more
  than `max_rows` data rows.

Anything that is not a workbook raises `NotAWorkbook`.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipelines.ingest.limits import Limits, TooLarge

RATIO_FLOOR = 1 << 20  # parts smaller than this are never a bomb, whatever their ratio
_SMALL_PART = 16 << 20  # workbook.xml and its rels are read whole; they are never this big
_CHUNK = 1 << 20
_OVERLAP = 256  # a tag split across two chunks is seen whole in the next one

_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_REL = re.compile(rb"<Relationship\b[^>]*>")
_ATTR = re.compile(rb"\b(Id|Target)=\"([^\"]*)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([^\"]+)\"")
_PREFIX = re.compile(rb"<(\w+:)?sheetData\b")
# A cell's position (`r="XFD1048576"`): only cells carry an A1-style `r` attribute.
_CELL_REF = re.compile(rb"\sr=\"([A-Za-z]{1,4})(\d{1,8})\"")


class _Tags:
    """Patterns for the sheet's namespace prefix (most sheets have none); literal prefixes
    keep the scan fast."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        # Cells and rows may omit `r`; the reader then places them one after the other.
        self.cell = re.compile(rb"<" + p + rb"c[\s/>]")
        self.row = re.compile(rb"<" + p + rb"row[\s/>]")
        self.row_ref_first = re.compile(rb"<" + p + rb"row r=\"(\d{1,8})\"")
        self.row_ref_any = re.compile(rb"<" + p + rb"row\b[^>]*?\br=\"(\d{1,8})\"")
_A1 = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,8})$")


class NotAWorkbook(Exception):
    """The file is not a zip, or has no readable first sheet."""


def column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _extent(ref: str) -> tuple[int, int]:
    """(rows, columns) spanned by an A1 range such as `A1:XFD1048576` (or one cell)."""
    corners = [_A1.match(p.strip()) for p in ref.split(":")]
    if not all(corners):
        return 0, 0
    rows = [int(m.group(2)) for m in corners if m]
    cols = [column_number(m.group(1)) for m in corners if m]
    return max(rows) - min(rows) + 1, max(cols) - min(cols) + 1


def _first_sheet(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if part not in names:
            raise NotAWorkbook(f"no {part}")
        if zf.getinfo(part).file_size > _SMALL_PART:
            raise TooLarge("max_uncompressed_bytes", f"{part} is implausibly large")
    sheet = _SHEET_TAG.search(zf.read("xl/workbook.xml"))
    if sheet is None:
        raise NotAWorkbook("the workbook lists no sheet")
    for rel in _REL.findall(zf.read("xl/_rels/workbook.xml.rels")):
        attrs = dict(_ATTR.findall(rel))
        if attrs.get(b"Id") == sheet.group(1):
            target = attrs.get(b"Target", b"").decode("utf-8", "replace")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path not in names:
                raise NotAWorkbook("the first sheet is missing")
            return path
    raise NotAWorkbook("the first sheet has no relationship")


def check_workbook(path: Path, limits: Limits) -> None:
    """Raise `TooLarge` or `NotAWorkbook` for a workbook the reader must not open."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotAWorkbook("not a zip archive") from exc
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.max_uncompressed_bytes:
            raise TooLarge("max_uncompressed_bytes",
                           f"the workbook unpacks to {total:,} bytes, the cap is "
                           f"{limits.max_uncompressed_bytes:,}")
        for i in infos:
            if i.file_size > RATIO_FLOOR and i.file_size > limits.max_zip_ratio * max(
                    i.compress_size, 1):
                raise TooLarge("max_zip_ratio",
                               f"a part unpacks {i.file_size // max(i.compress_size, 1):,} "
                               f"times its packed size, the cap is {limits.max_zip_ratio}")
        _check_sheet(zf, _first_sheet(zf), limits)


def _check_sheet(zf: zipfile.ZipFile, part: str, limits: Limits) -> None:
    max_row = max_col = rows_total = 0
    tail = b""
    first = True
    tags = _Tags(b"")
    try:
        with zf.open(part) as fh:  # reads at most the declared size
            while chunk := fh.read(_CHUNK):
                data = tail + chunk
                if first:
                    first = False
                    prefix = _PREFIX.search(data)
                    tags = _Tags(prefix.group(1) or b"" if prefix else b"")
                    dim = _DIMENSION.search(data)
                    if dim:
                        rows, cols = _extent(dim.group(1).decode("ascii", "replace"))
                        _check_extent(rows, cols, limits, "declared")
                refs = _CELL_REF.findall(data)
                row_tags = len(tags.row.findall(data))
                row_refs = tags.row_ref_first.findall(data)
                if len(row_refs) < row_tags:  # `r` not first, or missing: look closer
                    row_refs = tags.row_ref_any.findall(data)
                cols_seen = {c for c, _ in refs}
                rows_seen = {r for _, r in refs} | set(row_refs)
                if cols_seen:
                    max_col = max(max_col, *(column_number(c.decode()) for c in cols_seen))
                if rows_seen:
                    max_row = max(max_row, *(int(r) for r in rows_seen))
                rows_total += len(tags.row.findall(chunk))
                if len(tags.cell.findall(data)) > len(refs):
                    # Some cells name no position: count the cells of each row instead.
                    for row in tags.row.split(data):
                        max_col = max(max_col, len(tags.cell.findall(row)))
                _check_extent(max(max_row, rows_total), max_col, limits, "used")
                tail = data[-_OVERLAP:]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise NotAWorkbook("the sheet cannot be unpacked") from exc


def _check_extent(rows: int, cols: int, limits: Limits, kind: str) -> None:
    if cols > limits.max_columns:
        raise TooLarge("max_columns", f"the sheet's {kind} range has {cols:,} columns, the cap "
                       f"is {limits.max_columns:,}")
    if rows - 1 > limits.max_rows:  # the first row is the header
        raise TooLarge("max_rows", f"the sheet's {kind} range has {rows - 1:,} data rows, the "
                       f"cap is {limits.max_rows:,}")
    if rows * cols > limits.max_sheet_cells:
        raise TooLarge("max_sheet_cells", f"the sheet's {kind} range spans {rows:,} x {cols:,} "
                       f"cells, the cap is {limits.max_sheet_cells:,}")
