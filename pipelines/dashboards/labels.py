"""Labels from the reference data: code lists (reference.codes), units (reference.units).

The labelling rule of the pages: every code a reader can see goes through `Labels.code(list,
code)` (or a helper built on it: `clock`, `indicator`, `pillar`, `target_status`,
`code_in`), every period through `period_label`, every legal basis through
`citation.citation`. The labels live in one home, `reference.codes`
(data/reference/codes.csv: `list`, `code`, `label_vi`, `label_en`), except the indicator,
pillar and stage names, which have their own reference tables. A technical name that is shown
on purpose (a file, a table, a column) is wrapped by `i18n.tech` (`translate="no"`).
`tests/test_page_language.py` fails on a raw code or a word of the other language.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import duckdb

from pipelines.dashboards.db import column_names, has_table
from pipelines.dashboards.i18n import Bi

#  Scorecard statuses are Vietnamese words (outputs.md §3); their code in the target_status list.
SCORECARD_STATUS = {"đạt": "met", "vượt": "exceeded", "không đạt": "missed"}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def period_label(kind: str, start: dt.date, end: dt.date | None = None) -> Bi:
    """A period as a reader names it, with its dates where the name does not say them:
    "Năm thống kê 2025 (01/12/2024–30/11/2025)", "Tháng 03/2025", "Quý I/2025
    (01/01–31/03/2025)"."""
    span = f"{start:%d/%m/%Y}–{end:%d/%m/%Y}" if end else f"{start:%d/%m/%Y}"
    if kind == "month":
        return Bi(f"Tháng {start:%m/%Y}", f"{_MONTHS_EN[start.month - 1]} {start.year}")
    if kind == "quarter":
        q = (start.month - 1) // 3 + 1
        return Bi(f"Quý {_ROMAN[q]}/{start.year} ({span})", f"Q{q} {start.year} ({span})")
    if kind == "statistical_year":
        year = end.year if end else start.year + 1
        return Bi(f"Năm thống kê {year} ({span})", f"Statistical year {year} ({span})")
    if kind == "calendar_year":
        return Bi(f"Năm {start.year}", f"Calendar year {start.year}")
    if kind == "statistical_half":
        return Bi(f"Sáu tháng thống kê ({span})", f"Statistical half-year ({span})")
    if kind == "na_year":
        return Bi(f"Năm báo cáo Quốc hội ({span})", f"National Assembly reporting year ({span})")
    if kind == "campaign":
        return Bi(f"Cả giai đoạn phong trào ({span})", f"Whole campaign ({span})")
    return Bi(span, span)


class Labels:
    """Bilingual labels for codes, indicators, pillars and units."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.codes: dict[tuple[str, str], Bi] = {}
        if has_table(con, "reference", "codes"):
            for lst, code, vi, en in con.execute(
                "select list, code, label_vi, label_en from reference.codes"
            ).fetchall():
                self.codes[(lst, str(code))] = Bi(nfc(vi or str(code)), en or vi or str(code))
        # Indicator, pillar and stage names come from their own reference tables.
        for lst, table in (("indicator", "indicators"), ("pillar", "campaign_pillars"),
                           ("stage", "indicator_stages")):
            if not has_table(con, "reference", table):
                continue
            cols = column_names(con, "reference", table)
            key = next((c for c in (f"{lst}_code", lst) if c in cols), None)
            vi = next((c for c in ("label_vi", "name_vi", f"{lst}_name_vi") if c in cols), None)
            en = next((c for c in ("label_en", "name_en", f"{lst}_name_en") if c in cols), None)
            if key and vi:
                for code, v, e in con.execute(
                    f"select distinct {key}, {vi}, {en or vi} from reference.{table}"
                ).fetchall():
                    self.codes.setdefault((lst, str(code)), Bi(nfc(v), e or v))
        self.indicator_kinds: dict[str, str] = {}
        if has_table(con, "reference", "indicators") and "kind" in column_names(
            con, "reference", "indicators"
        ):
            self.indicator_kinds = dict(
                con.execute("select indicator_code, any_value(kind) from reference.indicators "
                            "group by 1").fetchall()
            )
        self.pillar_order: dict[str, int] = {}
        self.pillar_groups: dict[str, Bi] = {}
        if has_table(con, "reference", "campaign_pillars"):
            cols = column_names(con, "reference", "campaign_pillars")
            if {"pillar", "sort_order"} <= set(cols):
                self.pillar_order = dict(con.execute(
                    "select pillar, min(sort_order) from reference.campaign_pillars group by 1"
                ).fetchall())
            if {"pillar", "group_name_vi", "group_name_en"} <= set(cols):
                for p, v, e in con.execute(
                    "select pillar, any_value(group_name_vi), any_value(group_name_en) "
                    "from reference.campaign_pillars group by 1"
                ).fetchall():
                    self.pillar_groups[p] = Bi(nfc(v), e)
        self.campaign: dict | None = None
        if has_table(con, "reference", "campaign"):
            cur = con.execute("select * from reference.campaign limit 1")
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
            self.campaign = dict(zip(names, rows[0], strict=True)) if rows else None
        self.units: dict[str, dict] = {}
        if has_table(con, "reference", "units"):
            cur = con.execute("select * from reference.units")
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                unit = dict(zip(names, row, strict=True))
                self.units[unit["unit_code"]] = unit

    def code(self, lst: str, code: str | None) -> Bi:
        if code is None:
            return Bi("–", "–")
        return self.codes.get((lst, str(code)), Bi(str(code), str(code)))

    def code_in(self, lists: tuple[str, ...], code: str | None) -> Bi:
        """The label of `code` in the first of `lists` that has it (a column whose codes come
        from several lists, e.g. an outcome or a verdict)."""
        for lst in lists:
            if (lst, str(code)) in self.codes:
                return self.codes[(lst, str(code))]
        return self.code(lists[0], code)

    def indicator(self, code: str) -> Bi:
        return self.code("indicator", code)

    def pillar(self, code: str) -> Bi:
        label = self.code("pillar", code)
        group = self.pillar_groups.get(code)
        return group + " – " + label if group else label

    def pillar_sort(self, code: str) -> tuple:
        return (self.pillar_order.get(code, 999), code)

    def clock(self, code: str) -> Bi:
        return self.code("clock", code)

    def unit(self, code: str | None) -> Bi:
        """'BTR-BD · Viện kiểm sát nhân dân huyện Bình Đại' (the name is Vietnamese in both)."""
        if code is None:
            return Bi("Không rõ đơn vị", "Unknown unit")
        unit = self.units.get(code)
        if not unit or not unit.get("name_vi"):
            return Bi(code, code)
        return Bi(f"{code} · {nfc(unit['name_vi'])}", f"{code} · {nfc(unit['name_vi'])}")

    def is_illustrative(self, code: str | None) -> bool:
        unit = self.units.get(code or "")
        return bool(unit) and str(unit.get("source") or "").strip().lower() == "illustrative"

    def parent(self, code: str) -> str | None:
        unit = self.units.get(code)
        return unit.get("parent_code") if unit else None

    def top_level(self) -> list[str]:
        return sorted(c for c, u in self.units.items() if not u.get("parent_code"))

    def target_status(self, status: str | None) -> tuple[str, Bi]:
        """(css code, label) for a target or scorecard status."""
        if status is None:
            return "no_target", self.code("target_status", "no_target")
        code = SCORECARD_STATUS.get(nfc(status).strip().lower(), status)
        return code, self.code("target_status", code)
