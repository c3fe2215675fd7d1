"""Interactive tables ("bảng tương tác"): filter by unit, prosecutor, clock or finding type,
status and date range; search; sort; download the filtered rows as CSV or XLSX.

The grid is DataTables as packaged offline by `itables` (`dt_bundle.js`/`dt_bundle.css`,
with the Buttons extension and JSZip): the bundle is inlined once per page that has a grid,
gzip-compressed and base64-encoded in two hidden textareas (256 KB instead of 824 KB), then
unpacked by the browser's own `DecompressionStream` and imported from a `data:` URL, so the
page stays self-contained and makes no request. A browser without `DecompressionStream`
shows the same rows as plain tables. The rows are the page's own HTML table (nothing is
inlined twice); the filters read the row's `data-*` attributes, which carry codes and ISO
dates, while the cells show the labels.

At 390 px a grid becomes one card per row (each cell prefixed by its column name).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import itables
from markupsafe import Markup, escape

from pipelines.dashboards.full_lists import FullList
from pipelines.dashboards.i18n import Bi, bi, fmt_int
from pipelines.dashboards.labels import nfc
from pipelines.dashboards.packed import packed, textarea

__all__ = ["Filter", "Grid", "grid_assets"]

_BUNDLE = Path(itables.__file__).parent / "html"


@dataclass
class Filter:
    """One select above a grid: rows whose `data-<key>` equals the chosen value stay."""

    key: str
    label: Bi
    options: list[tuple[str, Any]] = field(default_factory=list)  # (value, label)


class CappedRows:
    """Rows shown under a cap (`total` counts them before it): `capped` and the note that says
    so, from the class's `CAP_NOTE` (Vietnamese, English; `{shown}` and `{total}` filled in),
    then the link to every row (`full`, a file beside the page), or where else they are."""

    CAP_NOTE: tuple[str, str] = ("Hiển thị {shown} trên tổng số {total} dòng",
                                 "Showing {shown} of {total} rows")
    ELSEWHERE: tuple[str, str] = ("; toàn bộ có trong ảnh chụp dữ liệu (DuckDB/Parquet).",
                                  "; the full list is in the published snapshot "
                                  "(DuckDB/Parquet).")
    BESIDE = Bi("; toàn bộ trong tệp bên cạnh trang: ", "; every row is in the file beside "
                "the page: ")
    rows: list[list[Any]]
    total: int | None
    full: FullList | None = None

    @property
    def capped(self) -> bool:
        return self.total is not None and self.total > len(self.rows)

    @property
    def cap_note(self) -> Bi | Markup:
        shown, total = fmt_int(len(self.rows)), fmt_int(self.total)
        vi, en = self.CAP_NOTE
        note = Bi(vi.format(shown=shown.vi, total=total.vi),
                  en.format(shown=shown.en, total=total.en))
        if self.full is None:
            return note + Bi(*self.ELSEWHERE)
        return Markup((note + self.BESIDE).__html__()) + Markup(self.full.__html__())


@dataclass
class Grid(CappedRows):
    """An interactive table: headers, rows (cells the templates render), one dict of
    `data-*` values per row (codes and ISO dates: what the filters compare)."""

    id: str
    headers: list[Bi]
    rows: list[list[Any]] = field(default_factory=list)
    data: list[dict[str, str]] = field(default_factory=list)
    filter_keys: tuple[tuple[str, Bi], ...] = ()
    date_key: str | None = None  # data-* key of the date the date range filters on
    date_label: Bi = field(default_factory=lambda: bi("Hạn", "Due"))
    numeric: set[int] = field(default_factory=set)
    total: int | None = None  # rows before the cap
    empty: Bi = field(default_factory=lambda: bi("Không có dòng nào.", "No rows."))
    download: str = "casewatch"  # file name of the downloads (without extension)
    css: str = ""
    option_labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    full: FullList | None = None  # every row, a file beside the page
    CAP_NOTE = ("Hiển thị {shown} dòng khẩn cấp nhất trên tổng số {total}",
                "Showing the {shown} most urgent of {total} rows")

    def add(self, cells: list[Any], **data: Any) -> None:
        self.rows.append(cells)
        self.data.append({k: "" if v is None else str(v) for k, v in data.items()})

    @property
    def filters(self) -> list[Filter]:
        """The selects: every distinct value of each filtered key, labelled."""
        out = []
        for key, label in self.filter_keys:
            values = sorted({d.get(key, "") for d in self.data} - {""})
            labels = self.option_labels.get(key, {})
            out.append(Filter(key, label, [(v, _bi(labels.get(v, v))) for v in values]))
        return out

    def row_attrs(self, i: int) -> Markup:
        return Markup("".join(f' data-{k}="{escape(v)}"' for k, v in self.data[i].items()))


def _bi(label: Any) -> Bi:
    """An option's label as plain text in both languages (an <option> holds no markup)."""
    if isinstance(label, Bi):
        return label
    if hasattr(label, "__html__"):
        return bi(Markup(label.__html__()).striptags())
    return bi(str(label))


@functools.cache
def grid_assets() -> Markup:
    """The DataTables bundle, its CSS and JavaScript packed (`packed.py`), which the grid
    script unpacks at load — once a page."""
    css = (_BUNDLE / "dt_bundle.css").read_bytes()
    js = (_BUNDLE / "dt_bundle.js").read_bytes()
    return textarea("dt-style", packed(css)) + "\n" + textarea("dt-bundle", packed(js))


def staff_label(names: dict[str, str], prosecutor_id: str | None) -> str:
    """The prosecutor's code, with the name beside it when the local staff list has it."""
    if not prosecutor_id:
        return ""
    name = names.get(prosecutor_id)
    return nfc(f"{prosecutor_id} – {name}") if name else prosecutor_id
