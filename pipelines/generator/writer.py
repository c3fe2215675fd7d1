"""Write batches exactly as `landing.md` describes: one folder per batch, one file per table
(`<table>.csv|xlsx|parquet`), a `_manifest.json` with row counts and checksums.

Files vary the way real exports do, all of it valid input (§2): Vietnamese headers (sometimes
in NFD), DD/MM/YYYY dates, ISO timestamps with an offset, NFD text, a UTF-8 BOM, columns in
another order, booleans as 1/0, có/không or x/empty; `judgements` always comes as XLSX (the
court's spreadsheet) and `detention_movements` as Parquet (the facility system).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from xlsxwriter import Workbook

from pipelines.contract import CONTRACT_VERSION, columns

TABLE_FORMAT = {"judgements": "xlsx", "detention_movements": "parquet"}
XLSX_MAX_ROWS = 50_000  # a spreadsheet export that big would be a CSV (Excel stops at 2**20)
BOOL_STYLES = {
    "tf": ("true", "false"),
    "10": ("1", "0"),
    "cokhong": ("có", "không"),
    "x": ("x", None),
}


@dataclass(frozen=True)
class Style:
    fmt: str = "csv"  # csv / xlsx / parquet
    headers: str = "canonical"  # canonical / vi / vi_nfd
    dates: str = "iso"  # iso / dmy
    timestamps: str = "iso"  # iso / dmy / offset
    nfd: bool = False  # text columns in NFD
    bom: bool = False
    shuffle: bool = False
    bools: str = "tf"

    def describe(self) -> list[str]:
        out = [] if self.fmt == "csv" else [self.fmt]
        if self.headers != "canonical":
            out.append(f"headers={self.headers}")
        if self.dates != "iso":
            out.append("dates=dmy")
        if self.timestamps != "iso":
            out.append(f"timestamps={self.timestamps}")
        if self.nfd:
            out.append("nfd")
        if self.bom:
            out.append("bom")
        if self.shuffle:
            out.append("column_order")
        if self.bools != "tf":
            out.append(f"bools={self.bools}")
        return out


# single mode: a fixed plan that shows every variant at least once; the main batch's biggest
# tables (case and execution events) come as Parquet (a bulk export), their follow-ups as CSV
SINGLE_PLAN = {
    0: {
        "crime_reports": Style(bom=True),
        "cases": Style(headers="vi"),
        "persons": Style(headers="vi_nfd", nfd=True, dates="dmy"),
        "case_events": Style(fmt="parquet", shuffle=True),
        "detention_orders": Style(timestamps="offset"),
        "detention_movements": Style(fmt="parquet"),
        "judgements": Style(fmt="xlsx", dates="dmy", bools="10"),
        "execution_events": Style(fmt="parquet", headers="vi_nfd"),
        "manual_scores": Style(headers="vi", nfd=True),
    },
    1: {  # the follow-up carries the retractions: is_deleted shows its styles here
        "crime_reports": Style(headers="vi", dates="dmy", timestamps="dmy", bools="x"),
        "cases": Style(bom=True, shuffle=True),
        "persons": Style(nfd=True),
        "case_events": Style(headers="vi", bools="cokhong", timestamps="offset"),
        "detention_orders": Style(dates="dmy", timestamps="dmy"),
        "detention_movements": Style(fmt="parquet", headers="vi"),
        "judgements": Style(fmt="xlsx", headers="vi"),
        "execution_events": Style(shuffle=True, bools="10"),
        "manual_scores": Style(),
    },
}


def style_for(table: str, batch_key: int, single: bool, rng: np.random.Generator) -> Style:
    if single:
        return SINGLE_PLAN[min(batch_key, 1)][table]  # the caller caps XLSX by size
    fmt = TABLE_FORMAT.get(table, "csv")
    u = rng.random(8)
    headers = "canonical" if u[0] >= 0.25 else ("vi_nfd" if u[1] < 0.3 else "vi")
    return Style(
        fmt=fmt,
        headers=headers,
        dates="dmy" if u[2] < 0.25 else "iso",
        timestamps="dmy" if u[3] < 0.2 else "offset" if u[3] < 0.3 else "iso",
        nfd=bool(u[4] < 0.3),
        bom=bool(u[5] < 0.25) and fmt == "csv",
        shuffle=bool(u[6] < 0.15),
        bools=("tf", "10", "cokhong", "x")[int(np.searchsorted([0.6, 0.75, 0.9], u[7]))],
    )


class FileWriter:
    """Writes one landing file from chunks of canonical-text rows (in file order), in the
    file's style. CSV and Parquet are written chunk by chunk, so a national-size file never
    sits whole in memory; XLSX (at most `XLSX_MAX_ROWS`) is written at the end."""

    def __init__(self, path: Path, table: str, style: Style, exported: dt.datetime,
                 rng: np.random.Generator, untyped: set[str] = frozenset(),
                 omit: tuple[str, ...] = ()) -> None:
        self.path, self.table, self.style, self.exported = path, table, style, exported
        self.cols = [c for c in columns(table) if c.name not in omit]  # omit: a 1.0-style file
        names = [c.name for c in self.cols]
        if style.shuffle:
            names = [names[i] for i in rng.permutation(len(names))]
        self.names = names
        self.headers = names
        if style.headers != "canonical":
            vi = {c.name: c.vi_header for c in self.cols}
            form = "NFD" if style.headers == "vi_nfd" else "NFC"
            self.headers = [unicodedata.normalize(form, vi[n]) for n in names]
        self.untyped = untyped  # Parquet columns that hold an unparseable value: kept as text
        self.rows = 0
        self.tags: list[int | None] = []
        self._pending: list[pl.DataFrame] = []
        self._csv = path.open("wb") if style.fmt == "csv" else None
        self._parquet: pq.ParquetWriter | None = None

    def write(self, chunk: pl.DataFrame) -> None:
        if chunk.height == 0:
            return
        self.tags += chunk["_tag"].to_list()
        out = self._styled(chunk).select(self.names)
        out.columns = self.headers
        if self.style.fmt == "csv":
            assert self._csv is not None
            out.with_columns(pl.all().replace("", None)).write_csv(
                self._csv, include_header=self.rows == 0,
                include_bom=self.style.bom and self.rows == 0)
        elif self.style.fmt == "parquet":
            table = out.to_arrow(compat_level=pl.CompatLevel.oldest())
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd",
                                                 write_statistics=False)
            self._parquet.write_table(table)
        else:
            self._pending.append(out)
        self.rows += out.height

    def close(self) -> int:
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
        if self.style.fmt == "xlsx":
            df = pl.concat(self._pending) if len(self._pending) > 1 else self._pending[0]
            wb = Workbook(str(self.path))
            wb.set_properties({"created": self.exported.replace(tzinfo=None),
                               "author": "casewatch"})
            df.with_columns(pl.all().replace("", None)).write_excel(
                wb, worksheet="Sheet1", autofilter=False, table_style=None)
            wb.close()
        return self.rows

    def _styled(self, df: pl.DataFrame) -> pl.DataFrame:
        style = self.style
        exprs = []
        for c in self.cols:
            e = pl.col(c.name)
            if style.fmt == "parquet":
                e = _native(c.type, e) if c.name not in self.untyped else e
            elif c.type == "date" and style.dates == "dmy":
                e = e.str.replace(r"^(\d{4})-(\d{2})-(\d{2})$", "${3}/${2}/${1}")
            elif c.type == "timestamp" and style.timestamps == "dmy":
                e = e.str.replace(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$",
                                  "${3}/${2}/${1} ${4}:${5}")
            elif c.type == "timestamp" and style.timestamps == "offset":
                e = e.str.replace(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$",
                                  "${1}-${2}-${3}T${4}:${5}:00+07:00")
            elif c.type == "bool" and style.bools != "tf":
                # x/empty only where empty means false by contract (is_deleted); an optional
                # flag keeps an explicit false, since an empty cell there reads as unknown
                yes, no = BOOL_STYLES["tf" if style.bools == "x" and c.name != "is_deleted"
                                      else style.bools]
                e = (pl.when(e == "true").then(pl.lit(yes)).when(e == "false")
                     .then(pl.lit(no)).otherwise(e))
            if c.type == "text" and style.nfd:
                e = e.str.normalize("NFD")
            exprs.append(e.alias(c.name))
        return df.select(exprs)


def _native(col_type: str, e: pl.Expr) -> pl.Expr:
    """A Parquet column's native type, from canonical text."""
    if col_type == "date":
        return e.str.to_date("%Y-%m-%d", strict=True)
    if col_type == "timestamp":
        return e.str.to_datetime("%Y-%m-%d %H:%M", time_unit="us", strict=True)
    if col_type == "int":
        return e.cast(pl.Int64, strict=True)
    if col_type == "number":
        return e.cast(pl.Float64, strict=True)
    if col_type == "bool":
        return e == "true"
    return e


def untyped_columns(rows: pl.DataFrame | None, table: str) -> set[str]:
    """Columns of `rows` (the planted rows of a file) holding a value that would not convert
    to the column's native type: a Parquet file keeps those as text."""
    if rows is None or rows.height == 0:
        return set()
    bad = set()
    for c in columns(table):
        try:
            rows.select(_native(c.type, pl.col(c.name)))
        except pl.exceptions.PolarsError:
            bad.add(c.name)
    return bad


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: Path, files: dict[str, int], exported: dt.datetime,
                   source_system: str) -> dict:
    manifest = {
        "contract_version": CONTRACT_VERSION,
        "source_system": source_system,
        "exported_at": exported.isoformat(),
        "files": {name: {"rows": rows, "sha256": sha256(folder / name)}
                  for name, rows in sorted(files.items())},
    }
    (folder / "_manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
    return manifest


def truncate(path: Path, keep: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def write_csv_rows(path: Path, rows: list[dict[str, str]], header: list[str]) -> None:
    pl.DataFrame(rows, schema={h: pl.String for h in header}).write_csv(path)
