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
# table comes as Parquet (a bulk export), its follow-up as CSV
SINGLE_PLAN = {
    0: {
        "crime_reports": Style(bom=True),
        "cases": Style(headers="vi"),
        "persons": Style(headers="vi_nfd", nfd=True, dates="dmy"),
        "case_events": Style(fmt="parquet", shuffle=True),
        "detention_orders": Style(timestamps="offset"),
        "detention_movements": Style(fmt="parquet"),
        "judgements": Style(fmt="xlsx", dates="dmy", bools="10"),
        "execution_events": Style(bom=True, dates="dmy", timestamps="dmy"),
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


def render(df: pl.DataFrame, table: str, style: Style, rng: np.random.Generator
           ) -> tuple[pl.DataFrame, list[int | None]]:
    """The file's content (all text, or typed for Parquet) in row order, and the defect tag
    of every row."""
    df = df.sort(["_ts", "_seq"], maintain_order=True)
    tags = df["_tag"].to_list()
    cols = columns(table)
    exprs = []
    typed = style.fmt == "parquet"
    for c in cols:
        e = pl.col(c.name)
        if typed:
            pass
        elif c.type == "date" and style.dates == "dmy":
            e = e.str.replace(r"^(\d{4})-(\d{2})-(\d{2})$", "${3}/${2}/${1}")
        elif c.type == "timestamp" and style.timestamps == "dmy":
            e = e.str.replace(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$",
                              "${3}/${2}/${1} ${4}:${5}")
        elif c.type == "timestamp" and style.timestamps == "offset":
            e = e.str.replace(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$",
                              "${1}-${2}-${3}T${4}:${5}:00+07:00")
        elif c.type == "bool" and style.bools != "tf":
            # x/empty only where empty means false by contract (is_deleted); an optional flag
            # keeps an explicit false, since an empty cell there reads as unknown
            yes, no = BOOL_STYLES["tf" if style.bools == "x" and c.name != "is_deleted"
                                  else style.bools]
            e = (pl.when(e == "true").then(pl.lit(yes)).when(e == "false").then(pl.lit(no))
                 .otherwise(e))
        if c.type == "text" and style.nfd:
            e = e.str.normalize("NFD")
        exprs.append(e.alias(c.name))
    out = df.select(exprs)
    if typed:
        out = _typed(out, table)
    names = [c.name for c in cols]
    if style.shuffle:
        names = [names[i] for i in rng.permutation(len(names))]
        out = out.select(names)
    if style.headers != "canonical":
        vi = {c.name: c.vi_header for c in cols}
        form = "NFD" if style.headers == "vi_nfd" else "NFC"
        out = out.rename({n: unicodedata.normalize(form, vi[n]) for n in names})
    return out, tags


def _typed(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Parquet columns with native types; a column holding an unparseable value stays text."""
    out = []
    for c in columns(table):
        s = df[c.name]
        try:
            if c.type == "date":
                s = s.str.to_date("%Y-%m-%d", strict=True)
            elif c.type == "timestamp":
                s = s.str.to_datetime("%Y-%m-%d %H:%M", time_unit="us", strict=True)
            elif c.type == "int":
                s = s.cast(pl.Int64, strict=True)
            elif c.type == "number":
                s = s.cast(pl.Float64, strict=True)
            elif c.type == "bool":
                if s.drop_nulls().is_in(["true", "false"]).all():
                    s = s == "true"
        except pl.exceptions.PolarsError:
            pass
        out.append(s)
    return pl.DataFrame(out)


def write_file(df: pl.DataFrame, path: Path, style: Style, exported: dt.datetime) -> None:
    if style.fmt == "csv":
        text = df.with_columns(pl.all().replace("", None))
        text.write_csv(path, include_bom=style.bom)
    elif style.fmt == "xlsx":
        wb = Workbook(str(path))
        wb.set_properties({"created": exported.replace(tzinfo=None), "author": "casewatch"})
        df.with_columns(pl.all().replace("", None)).write_excel(
            wb, worksheet="Sheet1", autofilter=False, table_style=None)
        wb.close()
    else:
        df.write_parquet(path, compression="zstd", statistics=False)


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
