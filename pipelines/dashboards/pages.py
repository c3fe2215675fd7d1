"""Render the static dashboard pages from the marts.

Pages (all in one folder, linked to each other and to `steward-report.html`):

- `index.html` — the "Đồng Khởi mới" campaign overview (pillars, targets, trends, units, the
  2025 re-organisation as-was / as-is, exemplary-individual candidates);
- `criminal.html`, `custody.html`, `execution.html` — one per supervision area and its clocks;
- `worklist.html` — the morning worklist per unit and prosecutor (`marts.deadline_watchlist`);
- `quality.html` — data quality per unit, so every number carries its caveat.

Everything shown is aggregated in DuckDB first; drill-down tables are capped (and say so).
Only pseudonymous ids appear. An empty mart gives a "no data" message; a missing mart is an
error (`MissingMartError`): a page without it would be silently wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pandas as pd
import vl_convert
from markupsafe import Markup

from pipelines.contract import PII_COLUMNS, TABLES
from pipelines.dashboards import charts
from pipelines.dashboards.i18n import (
    NA,
    Bi,
    bi,
    fmt_date,
    fmt_int,
    fmt_num,
    fmt_pct,
)
from pipelines.dashboards.labels import Labels

TEMPLATES = Path(__file__).parent / "templates"

REQUIRED_MARTS = (
    "deadlines",
    "deadline_watchlist",
    "deadline_findings",
    "protest_windows",
    "indicator_values",
    "campaign_scorecard",
    "exemplary_candidates",
    "wrongful_prosecutions",
    "missed_crime_signals",
    "batch_ledger",
    "quarantine",
    "data_findings",
    "validation_results",
)

#  Caps on row-level tables, so a national-scale page stays a few MB.
DRILL_ROWS = 200
WORKLIST_ROWS_PER_UNIT = 150
WORKLIST_ROWS = 2500
UNIT_ROWS = 300
TREND_UNITS = 6
QUALITY_WARN = 0.02  # a unit whose quarantine rate exceeds this carries a warning sign
#  Columns never shown, whatever a mart holds: personal data and staff names.
NEVER_SHOWN = PII_COLUMNS | {"display_name"}
#  Landing tables whose rows carry their own unit_code (the per-unit quarantine rate).
UNIT_TABLES = tuple(t for t, cols in TABLES.items() if any(c.name == "unit_code" for c in cols))

AGE_BANDS = (
    ("0-30", 30, Bi("≤ 30 ngày", "≤ 30 days")),
    ("31-90", 90, Bi("31–90 ngày", "31–90 days")),
    ("91-180", 180, Bi("91–180 ngày", "91–180 days")),
    ("181-365", 365, Bi("181–365 ngày", "181–365 days")),
    (">365", None, Bi("> 365 ngày", "> 365 days")),
)
STATUS_ORDER = ["on_time", "late", "suspended", "open", "overdue"]


class MissingMartError(RuntimeError):
    """A mart the dashboards read does not exist (not merely empty)."""


@dataclass(frozen=True)
class Area:
    key: str
    file: str
    title: Bi
    intro: Bi
    clocks: tuple[str, ...]
    indicators: tuple[str, ...]
    stages: tuple[str, ...] = ()
    finding_rules: tuple[str, ...] = ()  # findings without a clock fall here by rule
    id_columns: tuple[str, ...] = ("subject_id", "case_id")


AREAS = (
    Area(
        key="criminal",
        file="criminal.html",
        title=Bi("Kiểm sát giải quyết nguồn tin và vụ án hình sự",
                 "Supervision of crime reports and criminal cases"),
        intro=Bi(
            "Thời hạn giải quyết nguồn tin, điều tra, truy tố và chuẩn bị xét xử (BLTTHS 2015).",
            "Time limits for crime reports, investigation, prosecution and trial preparation "
            "(Criminal Procedure Code 2015).",
        ),
        clocks=(
            "report_resolution", "report_resolution_resumed", "investigation",
            "resumed_investigation", "supplementary_investigation_vks",
            "supplementary_investigation_court", "prosecution_decision", "trial_preparation",
            "trial_decision_after_return", "hearing_opening",
        ),
        indicators=(
            "report_resolution_rate", "report_overdue_rate", "investigation_on_time_rate",
            "prosecution_on_time_rate", "trial_preparation_on_time_rate", "vks_return_rate",
            "court_return_rate", "protest_acceptance_rate", "extension_request_late_rate",
        ),
        stages=("report", "investigation", "prosecution", "trial"),
        finding_rules=("extension_beyond_limit", "late_extension", "extension_request_late",
                       "too_many_returns"),
        id_columns=("subject_id", "case_id"),
    ),
    Area(
        key="custody",
        file="custody.html",
        title=Bi("Kiểm sát tạm giữ, tạm giam", "Supervision of custody and detention"),
        intro=Bi(
            "Thời hạn tạm giữ, tạm giam theo lệnh; người bị giữ quá hạn; lệnh vượt thời hạn "
            "luật định.",
            "Custody and detention deadlines by order; persons held past the deadline; orders "
            "longer than the law allows.",
        ),
        clocks=("custody", "detention"),
        indicators=("overdue_custody_count", "overdue_detention_count", "illegal_order_count"),
        finding_rules=("illegal_order", "held_without_order"),
        id_columns=("person_id", "case_id"),
    ),
    Area(
        key="execution",
        file="execution.html",
        title=Bi("Kiểm sát thi hành án hình sự", "Supervision of criminal-judgement execution"),
        intro=Bi(
            "Ra và gửi quyết định thi hành án, đưa người bị kết án đi chấp hành, triệu tập người "
            "được hưởng án treo.",
            "Issuing and sending execution decisions, bringing convicts to serve, summoning "
            "persons on suspended sentences.",
        ),
        clocks=("issue_execution_decision", "dispatch_execution_decision", "report_to_serve",
                "summon_suspended_sentence"),
        indicators=("execution_decision_on_time_rate", "brought_to_serve_rate"),
        id_columns=("judgement_id", "person_id", "case_id"),
    ),
)

NAV = (
    ("index.html", Bi("Tổng quan phong trào", "Campaign overview")),
    ("criminal.html", Bi("Hình sự", "Criminal cases")),
    ("custody.html", Bi("Tạm giữ, tạm giam", "Custody & detention")),
    ("execution.html", Bi("Thi hành án", "Execution")),
    ("worklist.html", Bi("Việc cần làm", "Worklist")),
    ("quality.html", Bi("Chất lượng dữ liệu", "Data quality")),
)

NO_DATA = Bi("Chưa có dữ liệu.", "No data yet.")


# --------------------------------------------------------------------------------------------
# Small building blocks the templates render


@dataclass
class Badge:
    css: str
    label: Bi

    def __html__(self) -> str:
        return f'<span class="badge s-{self.css}">{self.label.__html__()}</span>'


@dataclass
class Table:
    headers: list[Bi]
    rows: list[list[Any]]
    total: int | None = None  # rows before the cap
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    empty: Bi = NO_DATA
    css: str = ""
    row_attrs: list[str] | None = None

    @property
    def capped(self) -> bool:
        return self.total is not None and self.total > len(self.rows)

    @property
    def cap_note(self) -> Bi:
        shown, total = fmt_int(len(self.rows)), fmt_int(self.total)
        return Bi(
            f"Hiển thị {shown.vi} trên tổng số {total.vi} dòng; xem đầy đủ trong ảnh chụp dữ "
            "liệu (DuckDB/Parquet).",
            f"Showing {shown.en} of {total.en} rows; the full list is in the published "
            "snapshot (DuckDB/Parquet).",
        )


@dataclass
class Kpi:
    label: Bi
    value: Bi
    css: str = ""
    note: Bi | None = None


# --------------------------------------------------------------------------------------------
# Data access


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = ?",
        [schema],
    ).fetchall()
    return {r[0] for r in rows}


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def check_marts(con: duckdb.DuckDBPyConnection, required: Iterable[str] = REQUIRED_MARTS) -> None:
    present = _tables(con, "marts")
    missing = [m for m in required if m not in present]
    if missing:
        raise MissingMartError(
            "the dashboards read mart(s) that do not exist: "
            + ", ".join(f"marts.{m}" for m in missing)
            + " (was the nightly run complete?)"
        )


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _ratio(num: float | None, den: float | None) -> float | None:
    if _nan(num) or _nan(den) or not den:
        return None
    return float(num) / float(den)


class Context:
    """What every page needs: the connection, labels, as-of, run id, rate indicators."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, run_id: str, as_of: dt.date) -> None:
        self.con = con
        self.run_id = run_id
        self.as_of = as_of
        self.labels = Labels(con)
        self.rate_codes = {
            r["indicator_code"]
            for r in _rows(
                con,
                "select indicator_code from marts.indicator_values group by 1 "
                "having bool_or(denominator is not null)",
            )
        }
        self.unit_quality = _unit_quality(con)

    def is_rate(self, code: str) -> bool:
        kind = self.labels.indicator_kinds.get(code)
        return kind == "rate" if kind else (code in self.rate_codes or code.endswith("_rate"))

    def value(self, code: str, value: Any) -> Bi:
        if _nan(value):
            return NA
        if self.is_rate(code):
            return fmt_pct(value)
        if self.labels.indicator_kinds.get(code) == "days" or code.endswith("_days"):
            return fmt_num(value, 0) + Bi(" ngày", " days")
        v = float(value)
        return fmt_num(v, 0 if v.is_integer() else 1)

    def target(self, code: str, value: Any, comparator: str | None = None,
               confirmed: bool | None = None) -> Bi | Markup:
        if _nan(value):
            return NA
        sign = {
            ">=": "≥", "ge": "≥", "gte": "≥", "<=": "≤", "le": "≤", "lte": "≤",
            ">": ">", "gt": ">", "<": "<", "lt": "<", "=": "=", "==": "=", "eq": "=",
        }.get(str(comparator or "").strip().lower(), "")
        text = (sign + " " if sign else "") + self.value(code, value)
        if confirmed is False:
            return Markup(text.__html__()) + Markup(
                '<sup class="unconfirmed" title="chưa xác nhận / unconfirmed">†</sup>'
            )
        return text

    def quality_cell(self, unit_code: str | None) -> Bi | Markup:
        q = self.unit_quality.get(unit_code or "")
        if q is None or q["rate"] is None:
            return NA
        text = fmt_pct(q["rate"], 2)
        if q["rate"] > QUALITY_WARN:
            return Markup(f'<span class="warn" title="&gt; {QUALITY_WARN:.0%}">⚠ '
                          f"{text.__html__()}</span>")
        return text

    def unit_cell(self, unit_code: str | None) -> Markup:
        label = self.labels.unit(unit_code).__html__()
        if self.labels.is_illustrative(unit_code):
            label += ('<sup class="illustrative" title="ánh xạ minh họa / illustrative '
                      'mapping">*</sup>')
        return Markup(label)

    def stage(self, code: str) -> Bi:
        return self.labels.code("stage", code)

    def status_badge(self, status: str | None) -> Badge:
        return Badge(status or "none", self.labels.code("clock_status", status))

    def target_badge(self, status: str | None) -> Badge:
        css, label = self.labels.target_status(status)
        return Badge(css, label)


def _unit_quality(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per unit: rows quarantined / rows landed, over the landing tables whose rows carry a
    unit_code. Rows landed = quarantined + accepted; accepted rows are counted (never shown)
    in the warehouse's raw layer when it is there."""
    quarantined = {
        r["unit_code"]: r["n"]
        for r in _rows(
            con,
            "select unit_code, count(distinct (batch_id, file_name, row_number)) as n "
            "from marts.quarantine where list_contains(?, table_name) group by 1",
            [list(UNIT_TABLES)],
        )
    }
    accepted: dict[str, int] = {}
    raw = _tables(con, "raw")
    parts = [
        f"select unit_code from raw.{t}" for t in UNIT_TABLES
        if t in raw and "unit_code" in _columns(con, "raw", t)
    ]
    if parts:
        accepted = {
            r["unit_code"]: r["n"]
            for r in _rows(
                con,
                f"select unit_code, count(*) as n from ({' union all '.join(parts)}) group by 1",
            )
        }
    out = {}
    for unit in set(quarantined) | set(accepted):
        q, a = quarantined.get(unit, 0), accepted.get(unit, 0)
        known = bool(parts) and unit is not None  # rows without a readable unit: no rate
        out[unit or ""] = {
            "quarantined": q,
            "landed": q + a if known else None,
            "rate": _ratio(q, q + a) if known else None,
        }
    return out


# --------------------------------------------------------------------------------------------
# Common header and footer facts


def _common(ctx: Context) -> dict[str, Any]:
    con = ctx.con
    versions = _rows(
        con,
        "select indicator_code, string_agg(distinct cast(definition_version as varchar), ', ' "
        "order by cast(definition_version as varchar)) as versions "
        "from marts.indicator_values group by 1 order by 1",
    )
    distinct = sorted({v for r in versions for v in str(r["versions"]).split(", ")})
    ledger = _rows(
        con,
        "select count(*) filter (where status = 'loaded') as files_loaded, "
        "count(*) filter (where status = 'refused') as files_refused, "
        "sum(rows_landed) filter (where status = 'loaded') as landed, "
        "sum(rows_quarantined) filter (where status = 'loaded') as quarantined "
        "from marts.batch_ledger",
    )[0]
    pending = _scalar(
        con,
        "select count(*) from marts.data_findings where rule = 'reference_pending' "
        "and status = 'open'",
    )
    return {
        "as_of": fmt_date(ctx.as_of),
        "run_id": ctx.run_id,
        "definition_versions": versions,
        "definition_versions_summary": ", ".join(f"v{v}" for v in distinct) if distinct else None,
        "nav": NAV,
        "caveat": {
            "rate": fmt_pct(_ratio(ledger["quarantined"], ledger["landed"]), 2),
            "files_refused": fmt_int(ledger["files_refused"] or 0),
            "pending": fmt_int(pending or 0),
            "has_ledger": bool(ledger["files_loaded"] or ledger["files_refused"]),
        },
    }


# --------------------------------------------------------------------------------------------
# index.html: the campaign overview

HIERARCHIES = ("as_was", "as_is")


def _latest_period(ctx: Context, kind: str) -> dt.date | None:
    """The start of the latest period of that kind ended by as-of (else the latest one)."""
    return _scalar(
        ctx.con,
        "select coalesce(max(period_start) filter (where period_end <= ?), max(period_start)) "
        "from marts.indicator_values where period_kind = ?",
        [ctx.as_of, kind],
    )


def _year_label(ctx: Context, start: dt.date | None) -> Bi:
    """'Năm thống kê 2025': a statistical year is named by the year it ends in."""
    end = _scalar(
        ctx.con,
        "select max(period_end) from marts.indicator_values "
        "where period_kind = 'statistical_year' and period_start = ?",
        [start],
    )
    year = end.year if end else ""
    return Bi(f"Năm thống kê {year}", f"Statistical year {year}")


def _top_units(ctx: Context, hierarchy: str) -> list[str]:
    """The roll-ups to show: top-level units present in the indicator values, the busiest
    `TREND_UNITS` of them."""
    top = ctx.labels.top_level()
    rows = _rows(
        ctx.con,
        "select unit_code, sum(coalesce(denominator, numerator, 0)) as volume "
        "from marts.indicator_values where hierarchy = ? and list_contains(?, unit_code) "
        "group by 1 order by volume desc, unit_code limit ?",
        [hierarchy, top, TREND_UNITS],
    )
    return sorted(r["unit_code"] for r in rows)


def _scorecard_tables(ctx: Context) -> dict[str, dict[str, Any]]:
    con, labels = ctx.con, ctx.labels
    stat_year = _latest_period(ctx, "statistical_year")
    out = {}
    for h in HIERARCHIES:
        units = _top_units(ctx, h) or sorted(
            {r["unit_code"] for r in _rows(
                con, "select distinct unit_code from marts.campaign_scorecard where hierarchy = ?",
                [h])}
        )[:TREND_UNITS]
        rows = _rows(
            con,
            """
            select s.pillar, s.indicator_code, s.unit_code, s.value, s.target_value,
                   s.target_is_confirmed, s.status, s.source,
                   v.target_comparator, v.target_source,
                   y.value as year_value, y.status as year_status
            from marts.campaign_scorecard s
            left join marts.indicator_values v
              on v.indicator_code = s.indicator_code and v.stage = 'all'
             and v.hierarchy = s.hierarchy and v.unit_code = s.unit_code
             and v.period_kind = s.period_kind and v.period_start = s.period_start
            left join marts.campaign_scorecard y
              on y.indicator_code = s.indicator_code and y.pillar = s.pillar
             and y.hierarchy = s.hierarchy and y.unit_code = s.unit_code
             and y.period_kind = 'statistical_year' and y.period_start = ?
            where s.hierarchy = ? and s.period_kind = 'campaign' and list_contains(?, s.unit_code)
            order by s.pillar, s.indicator_code, s.unit_code
            """,
            [stat_year, h, units],
        )
        pillars: dict[str, Table] = {}
        for r in rows:
            table = pillars.setdefault(
                r["pillar"],
                Table(
                    headers=[bi("Chỉ tiêu", "Indicator"), bi("Đơn vị", "Unit"),
                             bi("Cả giai đoạn", "Whole campaign"), bi("Chỉ tiêu đặt ra", "Target"),
                             bi("Kết quả", "Result"),
                             _year_label(ctx, stat_year),
                             bi("Kết quả năm", "Year result"), bi("Nguồn", "Source")],
                    rows=[],
                    numeric={2, 3, 5},
                ),
            )
            source = (Bi("Nhập thủ công", "Manual input") if r["source"] == "manual"
                      else Bi("Dữ liệu vụ án", "Case data"))
            table.rows.append([
                labels.indicator(r["indicator_code"]),
                ctx.unit_cell(r["unit_code"]),
                ctx.value(r["indicator_code"], r["value"]),
                ctx.target(r["indicator_code"], r["target_value"], r["target_comparator"],
                           r["target_is_confirmed"]),
                ctx.target_badge(r["status"]),
                ctx.value(r["indicator_code"], r["year_value"]),
                ctx.target_badge(r["year_status"]) if r["year_status"] else NA,
                source,
            ])
        out[h] = {
            "pillars": [(labels.pillar(p), pillars[p])
                        for p in sorted(pillars, key=labels.pillar_sort)],
            "units": units,
        }
    return out


def _scorecard_indicators(ctx: Context) -> list[str]:
    rows = _rows(
        ctx.con,
        "select indicator_code, min(pillar) as pillar from marts.campaign_scorecard "
        "where source = 'case_data' group by 1",
    )
    rows.sort(key=lambda r: (ctx.labels.pillar_sort(r["pillar"]), r["indicator_code"]))
    codes = [r["indicator_code"] for r in rows]
    if not codes:
        codes = [r["indicator_code"] for r in _rows(
            ctx.con, "select distinct indicator_code from marts.indicator_values order by 1")]
    return codes


def _trend_charts(ctx: Context, codes: Sequence[str], hierarchy: str, prefix: str,
                  title: Bi) -> list[charts.Chart]:
    units = _top_units(ctx, hierarchy)
    if not codes or not units:
        return []
    frame = ctx.con.execute(
        """
        select indicator_code, unit_code as unit, period_kind, period_start, period_end,
               value, target_value
        from marts.indicator_values
        where stage = 'all' and hierarchy = ? and list_contains(?, unit_code)
          and list_contains(?, indicator_code)
          and (period_kind = 'month' and period_start <= ?
               or period_kind = 'statistical_year' and period_end <= ?)
        order by indicator_code, unit_code, period_kind, period_start
        """,
        [hierarchy, units, list(codes), ctx.as_of, ctx.as_of],
    ).df()
    if frame.empty:
        return []
    frame["indicator_vi"] = [ctx.labels.indicator(c).vi for c in frame["indicator_code"]]
    frame["indicator_en"] = [ctx.labels.indicator(c).en for c in frame["indicator_code"]]
    frame = frame.astype({"value": "float64", "target_value": "float64"}).round(
        {"value": 4, "target_value": 4})
    out = []
    is_rate = frame["indicator_code"].map(ctx.is_rate)
    frame = frame.drop(columns=["indicator_code"])
    for kind, part in (("rates", frame[is_rate]), ("counts", frame[~is_rate])):
        if part.empty:
            continue
        out.append(charts.trend(f"{prefix}-{kind}-{hierarchy}", part,
                                is_rate=kind == "rates", title=title))
    return out


UNIT_TABLE_INDICATORS = 6


def _unit_table(ctx: Context, hierarchy: str, codes: Sequence[str]) -> Table:
    with_target = {
        r["indicator_code"] for r in _rows(
            ctx.con, "select distinct indicator_code from marts.indicator_values "
                     "where target_value is not null")
    }
    codes = sorted(codes, key=lambda c: c not in with_target)[:UNIT_TABLE_INDICATORS]
    period = "campaign"
    start = _latest_period(ctx, period)
    if start is None:
        period, start = "statistical_year", _latest_period(ctx, "statistical_year")
    rows = _rows(
        ctx.con,
        """
        select unit_code, indicator_code, value, target_status
        from marts.indicator_values
        where stage = 'all' and hierarchy = ? and period_kind = ? and period_start = ?
          and list_contains(?, indicator_code)
        """,
        [hierarchy, period, start, codes],
    )
    by_unit: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_unit.setdefault(r["unit_code"], {})[r["indicator_code"]] = r
    labels = ctx.labels

    def sort_key(u: str) -> tuple:
        parent = labels.parent(u)
        return (parent or u, parent is not None, u)

    units = sorted(by_unit, key=sort_key)
    table = Table(
        headers=[bi("Đơn vị", "Unit")] + [labels.indicator(c) for c in codes]
        + [bi("Tỷ lệ cách ly dữ liệu", "Quarantine rate")],
        rows=[],
        total=len(units),
        numeric=set(range(1, len(codes) + 2)),
        css="units-table",
    )
    table.row_attrs = []
    for u in units[:UNIT_ROWS]:
        cells: list[Any] = [ctx.unit_cell(u)]
        for c in codes:
            r = by_unit[u].get(c)
            if r is None:
                cells.append(NA)
                continue
            css, _ = labels.target_status(r["target_status"])
            cells.append(Markup(f'<span class="t-{css}">')
                         + Markup(ctx.value(c, r["value"]).__html__()) + Markup("</span>"))
        cells.append(ctx.quality_cell(u))
        table.rows.append(cells)
        table.row_attrs.append(' class="rollup"' if not labels.parent(u) else "")
    return table


def _reorganisation(ctx: Context) -> Table:
    units = ctx.labels.units
    rows = sorted(
        (u for u in units.values() if u.get("successor_code")),
        key=lambda u: (u.get("parent_code") or "", u["unit_code"]),
    )
    table = Table(
        headers=[bi("Đơn vị trước 01/07/2025", "Unit before 01/07/2025"),
                 bi("Hiệu lực đến", "Valid until"), bi("Đơn vị kế thừa", "Successor"),
                 bi("Căn cứ ánh xạ", "Mapping basis")],
        rows=[],
        total=len(rows),
    )
    for u in rows[:UNIT_ROWS]:
        src = str(u.get("source") or "")
        table.rows.append([
            ctx.unit_cell(u["unit_code"]),
            fmt_date(u.get("valid_to")),
            ctx.unit_cell(u["successor_code"]),
            Bi("Minh họa (chưa xác nhận)", "Illustrative (unconfirmed)")
            if src.lower() == "illustrative" else src,
        ])
    return table


COLUMN_LABELS = {
    "person_id": Bi("Mã người", "Person id"),
    "case_id": Bi("Mã vụ án", "Case id"),
    "report_id": Bi("Mã nguồn tin", "Report id"),
    "event_id": Bi("Mã sự kiện", "Event id"),
    "unit_code": Bi("Đơn vị", "Unit"),
    "prosecutor_id": Bi("Kiểm sát viên", "Prosecutor"),
    "rule": Bi("Căn cứ", "Rule"),
    "outcome": Bi("Lý do / kết quả", "Outcome"),
    "charge_approved_on": Bi("VKS phê chuẩn khởi tố", "Charge approved"),
    "dated_on": Bi("Ngày", "Dated"),
    "signal": Bi("Dấu hiệu", "Signal"),
    "event_date": Bi("Ngày quyết định", "Decision date"),
    "period_name": Bi("Năm thống kê", "Statistical year"),
    "rank_in_unit": Bi("Xếp hạng", "Rank"),
    "closed_clocks": Bi("Việc đã giải quyết", "Clocks closed"),
    "on_time_rate": Bi("Tỷ lệ đúng hạn", "On-time rate"),
    "wrongful_prosecution_count": Bi("Án oan", "Wrongful prosecutions"),
    "court_return_count": Bi("Án trả hồ sơ", "Court returns"),
}


def _id_table(ctx: Context, table: str, columns: Sequence[str], *, where: str = "true",
              params: Sequence[Any] = (), order_by: str = "1", limit: int = 50) -> Table:
    """A drill-down mart, ids and dates only: the listed columns that the mart has (never a
    personal-data column, whatever a mart holds)."""
    have = _columns(ctx.con, "marts", table)
    cols = [c for c in columns if c in have and c not in NEVER_SHOWN]
    extra = ["signal_vi"] if "signal" in cols and "signal_vi" in have else []
    base = f"from marts.{table} where {where}"
    total = _scalar(ctx.con, f"select count(*) {base}", list(params))
    rows = _rows(ctx.con, f"select {', '.join(cols + extra)} {base} order by {order_by} "
                          f"limit {int(limit)}", list(params))
    out = Table(headers=[COLUMN_LABELS.get(c, Bi(c, c)) for c in cols], rows=[], total=total,
                numeric={i for i, c in enumerate(cols)
                         if c.endswith(("_count", "_clocks", "_rate")) or c == "rank_in_unit"})
    for r in rows:
        cells: list[Any] = []
        for c in cols:
            v = r[c]
            if c == "unit_code":
                cells.append(ctx.unit_cell(v))
            elif c == "signal" and "signal_vi" in r:
                cells.append(Bi(r["signal_vi"] or v or "", v or ""))
            elif c.endswith("_rate"):
                cells.append(fmt_pct(v))
            elif isinstance(v, dt.date):
                cells.append(fmt_date(v))
            elif isinstance(v, float):
                cells.append(fmt_num(v, 0 if v.is_integer() else 2))
            else:
                cells.append("" if v is None else str(v))
        out.rows.append(cells)
    return out


def _exemplary(ctx: Context) -> tuple[Table, Bi | None]:
    have = set(_columns(ctx.con, "marts", "exemplary_candidates"))
    year = None
    where, params = "true", []
    if {"period_start", "period_end"} <= have:
        year = _scalar(
            ctx.con,
            "select coalesce(max(period_start) filter (where period_end <= ?), "
            "max(period_start)) from marts.exemplary_candidates",
            [ctx.as_of],
        )
        where, params = "period_start = ?", [year]
    if "is_candidate" in have:
        where += " and is_candidate"
    table = _id_table(
        ctx, "exemplary_candidates",
        ["unit_code", "period_name", "rank_in_unit", "prosecutor_id", "closed_clocks",
         "on_time_rate", "wrongful_prosecution_count", "court_return_count"],
        where=where, params=params,
        order_by="unit_code, rank_in_unit" if "rank_in_unit" in have else "1", limit=60,
    )
    label = None
    if year is not None:
        name = _scalar(ctx.con, "select any_value(period_name) from marts.exemplary_candidates "
                                "where period_start = ?", [year]) if "period_name" in have else None
        label = Bi(f"Năm thống kê {name or year}", f"Statistical year {name or year}")
    return table, label


def _coverage_notes(ctx: Context) -> list[tuple[str, Bi]]:
    """Roll-ups that cover only part of their province, with what they cover (marts.units)."""
    if "units" not in _tables(ctx.con, "marts"):
        return []
    have = set(_columns(ctx.con, "marts", "units"))
    if not {"is_partial_rollup", "coverage_note_vi", "coverage_note_en"} <= have:
        return []
    rows = _rows(ctx.con, "select distinct unit_code, coverage_note_vi, coverage_note_en "
                          "from marts.units where is_partial_rollup order by 1")
    return [(r["unit_code"], Bi(r["coverage_note_vi"] or "", r["coverage_note_en"] or ""))
            for r in rows]


def index_page(ctx: Context) -> dict[str, Any]:
    codes = _scorecard_indicators(ctx)
    scorecards = _scorecard_tables(ctx)
    trends = {h: _trend_charts(ctx, codes, h, "trend",
                               Bi("Diễn biến theo tháng và năm thống kê",
                                  "By month and statistical year"))
              for h in HIERARCHIES}
    unit_tables = {h: _unit_table(ctx, h, codes) for h in HIERARCHIES}
    wrongful = _id_table(
        ctx, "wrongful_prosecutions",
        ["person_id", "case_id", "unit_code", "prosecutor_id", "rule", "outcome",
         "charge_approved_on", "dated_on"],
        order_by="dated_on desc nulls last, person_id" if "dated_on" in _columns(
            ctx.con, "marts", "wrongful_prosecutions") else "1",
    )
    missed = _id_table(
        ctx, "missed_crime_signals",
        ["event_id", "signal", "event_date", "case_id", "report_id", "unit_code"],
        order_by="event_date desc nulls last, event_id" if "event_date" in _columns(
            ctx.con, "marts", "missed_crime_signals") else "1",
    )
    exemplary, exemplary_year = _exemplary(ctx)
    campaign_bounds = _rows(
        ctx.con,
        "select min(period_start) as s, max(period_end) as e from marts.indicator_values "
        "where period_kind = 'campaign'",
    )[0]
    campaign = ctx.labels.campaign or {}
    return {
        "page_title": Bi(campaign.get("name_vi") or "Phong trào thi đua “Đồng Khởi mới”",
                         campaign.get("name_en") or "The “Đồng Khởi mới” emulation campaign"),
        "scorecards": scorecards,
        "trends": trends,
        "unit_tables": unit_tables,
        "reorganisation": _reorganisation(ctx),
        "wrongful": wrongful,
        "missed": missed,
        "exemplary": exemplary,
        "exemplary_year": exemplary_year,
        "coverage_notes": _coverage_notes(ctx),
        "campaign_from": fmt_date(campaign_bounds["s"]),
        "campaign_to": fmt_date(campaign_bounds["e"]),
        "hierarchy_labels": {h: ctx.labels.code("hierarchy", h) for h in HIERARCHIES},
        "charts": [c for h in HIERARCHIES for c in trends[h]],
    }


# --------------------------------------------------------------------------------------------
# criminal.html, custody.html, execution.html


def _area_clock_table(ctx: Context, area: Area) -> tuple[Table, list[dict]]:
    rows = _rows(
        ctx.con,
        """
        select clock, count(*) as n,
               count(*) filter (where status = 'on_time') as on_time,
               count(*) filter (where status = 'late') as late,
               count(*) filter (where status = 'suspended') as suspended,
               count(*) filter (where status = 'open') as open,
               count(*) filter (where status = 'overdue') as overdue,
               count(*) filter (where is_due_soon) as due_soon,
               median(closed_on - started_on) filter (where status in ('on_time', 'late'))
                   as median_days,
               string_agg(distinct legal_basis, '; ' order by legal_basis) as legal_basis
        from marts.deadlines where list_contains(?, clock) group by clock
        """,
        [list(area.clocks)],
    )
    rows.sort(key=lambda r: area.clocks.index(r["clock"]))
    table = Table(
        headers=[bi("Thời hạn", "Clock"), bi("Tổng", "Total"), bi("Đúng hạn", "On time"),
                 bi("Trễ hạn", "Late"), bi("Tỷ lệ đúng hạn", "On-time rate"),
                 bi("Tạm đình chỉ", "Suspended"), bi("Đang trong hạn", "Open"),
                 bi("Quá hạn", "Overdue"), bi("Đến hạn ≤ 10 ngày", "Due ≤ 10 days"),
                 bi("Thời gian giải quyết (trung vị)", "Disposition time (median)"),
                 bi("Căn cứ", "Legal basis")],
        rows=[],
        numeric=set(range(1, 10)),
    )
    for r in rows:
        table.rows.append([
            ctx.labels.clock(r["clock"]), fmt_int(r["n"]), fmt_int(r["on_time"]),
            fmt_int(r["late"]), fmt_pct(_ratio(r["on_time"], r["on_time"] + r["late"])),
            fmt_int(r["suspended"]), fmt_int(r["open"]),
            Markup(f'<strong class="{"bad" if r["overdue"] else ""}">')
            + Markup(fmt_int(r["overdue"]).__html__()) + Markup("</strong>"),
            fmt_int(r["due_soon"]),
            NA if _nan(r["median_days"]) else fmt_num(r["median_days"], 0) + Bi(" ngày", " days"),
            r["legal_basis"] or "",
        ])
    return table, rows


def _kpis(ctx: Context, rows: list[dict]) -> list[Kpi]:
    total = sum(r["n"] for r in rows)
    on_time = sum(r["on_time"] for r in rows)
    late = sum(r["late"] for r in rows)
    overdue = sum(r["overdue"] for r in rows)
    return [
        Kpi(bi("Thời hạn đã theo dõi", "Clocks tracked"), fmt_int(total)),
        Kpi(bi("Tỷ lệ giải quyết đúng hạn", "Closed on time"),
            fmt_pct(_ratio(on_time, on_time + late)),
            note=Bi("trên số đã kết thúc (trừ tạm đình chỉ)",
                    "of closed clocks (suspended excluded)")),
        Kpi(bi("Đang trong hạn", "Open"), fmt_int(sum(r["open"] for r in rows))),
        Kpi(bi("Quá hạn chưa giải quyết", "Overdue"), fmt_int(overdue),
            "bad" if overdue else "good"),
        Kpi(bi("Đến hạn trong 10 ngày", "Due within 10 days"),
            fmt_int(sum(r["due_soon"] for r in rows)), "warn"),
    ]


def _status_chart(ctx: Context, area: Area, rows: list[dict]) -> charts.Chart | None:
    records = []
    for r in rows:
        label = ctx.labels.clock(r["clock"])
        for s in STATUS_ORDER:
            if r[s]:
                sl = ctx.labels.code("clock_status", s)
                records.append({"clock_vi": label.vi, "clock_en": label.en, "status": s,
                                "status_vi": sl.vi, "status_en": sl.en, "n": r[s]})
    if not records:
        return None
    return charts.stacked_bar(
        f"{area.key}-status", pd.DataFrame(records), category="clock", stack="status",
        stack_order=STATUS_ORDER, colors=[charts.STATUS_COLORS[s] for s in STATUS_ORDER],
        title=Bi("Tình trạng thời hạn", "Clock status"), x_title=Bi("Số thời hạn", "Clocks"),
    )


def _age_bands(ctx: Context, area: Area) -> tuple[Table, charts.Chart | None]:
    cases = " ".join(
        f"when age <= {limit} then '{code}'" for code, limit, _ in AGE_BANDS if limit is not None
    )
    rows = _rows(
        ctx.con,
        f"""
        with open_clocks as (
            select clock, cast(? as date) - started_on as age
            from marts.deadlines
            where list_contains(?, clock) and status in ('open', 'overdue')
        )
        select clock, case {cases} else '{AGE_BANDS[-1][0]}' end as band, count(*) as n
        from open_clocks group by all
        """,
        [ctx.as_of, list(area.clocks)],
    )
    counts = {(r["clock"], r["band"]): r["n"] for r in rows}
    clocks = [c for c in area.clocks if any((c, b[0]) in counts for b in AGE_BANDS)]
    table = Table(
        headers=[bi("Thời hạn", "Clock")] + [b[2] for b in AGE_BANDS] + [bi("Tổng", "Total")],
        rows=[], numeric=set(range(1, len(AGE_BANDS) + 2)),
        empty=Bi("Không có thời hạn đang mở.", "No open clocks."),
    )
    records = []
    for c in clocks:
        label = ctx.labels.clock(c)
        cells: list[Any] = [label]
        for code, _, band_label in AGE_BANDS:
            n = counts.get((c, code), 0)
            cells.append(fmt_int(n))
            if n:
                records.append({"clock_vi": label.vi, "clock_en": label.en, "band": code,
                                "band_vi": band_label.vi, "band_en": band_label.en, "n": n})
        cells.append(fmt_int(sum(counts.get((c, b[0]), 0) for b in AGE_BANDS)))
        table.rows.append(cells)
    chart = None
    if records:
        chart = charts.stacked_bar(
            f"{area.key}-age", pd.DataFrame(records), category="clock", stack="band",
            stack_order=[b[0] for b in AGE_BANDS],
            colors=["#90caf9", "#42a5f5", "#1e88e5", "#1565c0", "#0d47a1"],
            title=Bi("Tuổi các thời hạn đang mở", "Age of open clocks"),
            x_title=Bi("Số thời hạn", "Clocks"),
        )
    return table, chart


def _flow(ctx: Context, area: Area) -> Table:
    start = ctx.as_of - dt.timedelta(days=364)
    rows = _rows(
        ctx.con,
        """
        select clock,
               count(*) filter (where started_on between ? and ?) as started,
               count(*) filter (where closed_on between ? and ?) as closed,
               count(*) filter (where status in ('open', 'overdue')) as pending
        from marts.deadlines where list_contains(?, clock) group by clock
        """,
        [start, ctx.as_of, start, ctx.as_of, list(area.clocks)],
    )
    rows.sort(key=lambda r: area.clocks.index(r["clock"]))
    table = Table(
        headers=[bi("Thời hạn", "Clock"), bi("Bắt đầu trong kỳ", "Started"),
                 bi("Kết thúc trong kỳ", "Closed"),
                 bi("Tỷ lệ giải quyết (clearance)", "Clearance rate"),
                 bi("Đang mở cuối kỳ", "Pending at end"),
                 bi("Thời gian giải quyết ước tính", "Disposition time")],
        rows=[], numeric={1, 2, 3, 4, 5},
    )
    for r in rows:
        disposition = _ratio(365 * r["pending"], r["closed"])
        table.rows.append([
            ctx.labels.clock(r["clock"]), fmt_int(r["started"]), fmt_int(r["closed"]),
            fmt_pct(_ratio(r["closed"], r["started"])), fmt_int(r["pending"]),
            NA if disposition is None else fmt_num(disposition, 0) + Bi(" ngày", " days"),
        ])
    return table


def _indicator_table(ctx: Context, codes: Sequence[str], stages: Sequence[str] = ("all",)) -> Table:
    stat_year = _latest_period(ctx, "statistical_year")
    units = _top_units(ctx, "as_is")
    rows = _rows(
        ctx.con,
        """
        select y.indicator_code, y.stage, y.unit_code, y.value, y.target_value,
               y.target_comparator, y.target_is_confirmed, y.target_status,
               c.value as campaign_value, c.target_status as campaign_status
        from marts.indicator_values y
        left join marts.indicator_values c
          on c.indicator_code = y.indicator_code and c.stage = y.stage
         and c.hierarchy = y.hierarchy and c.unit_code = y.unit_code
         and c.period_kind = 'campaign'
        where y.hierarchy = 'as_is' and y.period_kind = 'statistical_year' and y.period_start = ?
          and list_contains(?, y.indicator_code) and list_contains(?, y.stage)
          and list_contains(?, y.unit_code)
        """,
        [stat_year, list(codes), list(stages), units],
    )
    rows.sort(key=lambda r: (list(codes).index(r["indicator_code"]),
                             list(stages).index(r["stage"]), r["unit_code"]))
    table = Table(
        headers=[bi("Chỉ tiêu", "Indicator"), bi("Giai đoạn", "Stage"), bi("Đơn vị", "Unit"),
                 _year_label(ctx, stat_year),
                 bi("Chỉ tiêu đặt ra", "Target"), bi("Kết quả", "Result"),
                 bi("Cả giai đoạn phong trào", "Whole campaign"), bi("Kết quả", "Result")],
        rows=[], numeric={3, 4, 6},
    )
    for r in rows:
        code = r["indicator_code"]
        table.rows.append([
            ctx.labels.indicator(code),
            "" if r["stage"] == "all" else ctx.stage(r["stage"]),
            ctx.unit_cell(r["unit_code"]),
            ctx.value(code, r["value"]),
            ctx.target(code, r["target_value"], r["target_comparator"], r["target_is_confirmed"]),
            ctx.target_badge(r["target_status"]),
            ctx.value(code, r["campaign_value"]),
            ctx.target_badge(r["campaign_status"]) if r["campaign_status"] else NA,
        ])
    return table


def _area_units(ctx: Context, area: Area) -> Table:
    rows = _rows(
        ctx.con,
        """
        select unit_code, count(*) as n,
               count(*) filter (where status = 'on_time') as on_time,
               count(*) filter (where status = 'late') as late,
               count(*) filter (where status = 'open') as open,
               count(*) filter (where status = 'overdue') as overdue,
               count(*) filter (where is_due_soon) as due_soon
        from marts.deadlines where list_contains(?, clock)
        group by unit_code order by overdue desc, unit_code
        """,
        [list(area.clocks)],
    )
    table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Tổng", "Total"), bi("Tỷ lệ đúng hạn", "On-time rate"),
                 bi("Đang trong hạn", "Open"), bi("Quá hạn", "Overdue"),
                 bi("Đến hạn ≤ 10 ngày", "Due ≤ 10 days"),
                 bi("Tỷ lệ cách ly dữ liệu", "Quarantine rate")],
        rows=[], total=len(rows), numeric={1, 2, 3, 4, 5, 6},
    )
    for r in rows[:UNIT_ROWS]:
        table.rows.append([
            ctx.unit_cell(r["unit_code"]), fmt_int(r["n"]),
            fmt_pct(_ratio(r["on_time"], r["on_time"] + r["late"])), fmt_int(r["open"]),
            fmt_int(r["overdue"]), fmt_int(r["due_soon"]), ctx.quality_cell(r["unit_code"]),
        ])
    return table


def _area_findings(ctx: Context, area: Area) -> Table:
    rows = _rows(
        ctx.con,
        """
        select f.rule, f.severity, count(*) as n
        from marts.deadline_findings f
        left join marts.deadlines d on d.clock_id = f.clock_id
        where list_contains(?, d.clock) or (d.clock is null and list_contains(?, f.rule))
        group by all order by n desc, f.rule, f.severity
        """,
        [list(area.clocks), list(area.finding_rules)],
    )
    table = Table(
        headers=[bi("Phát hiện", "Finding"), bi("Mức độ", "Severity"), bi("Số lượng", "Count")],
        rows=[], numeric={2},
        empty=Bi("Không có phát hiện vi phạm.", "No findings."),
    )
    for r in rows:
        table.rows.append([ctx.labels.code("finding_rule", r["rule"]), r["severity"] or "",
                           fmt_int(r["n"])])
    return table


def _drill(ctx: Context, area: Area, where: str, order: str, params: list, *,
           closed: bool) -> Table:
    """Clock-level rows (ids only), most days late first, at most DRILL_ROWS. The status is
    in the table's title; the explanation says how the deadline was computed."""
    id_cols = list(area.id_columns)
    base = f"from marts.deadlines where list_contains(?, clock) and {where}"
    total = _scalar(ctx.con, f"select count(*) {base}", [list(area.clocks), *params])
    rows = _rows(
        ctx.con,
        f"select clock, {', '.join(id_cols)}, unit_code, prosecutor_id, due_on, closed_on, "
        f"days_late, explanation, explanation_en "
        f"{base} order by {order}, clock_id limit {DRILL_ROWS}",
        [list(area.clocks), *params],
    )
    id_headers = {
        "subject_id": bi("Đối tượng", "Subject"), "case_id": bi("Mã vụ án", "Case id"),
        "person_id": bi("Mã người", "Person id"), "judgement_id": bi("Mã bản án", "Judgement id"),
    }
    headers = ([bi("Thời hạn", "Clock")] + [id_headers[c] for c in id_cols]
               + [bi("Đơn vị", "Unit"), bi("Kiểm sát viên", "Prosecutor"), bi("Hạn", "Due")]
               + ([bi("Kết thúc", "Closed")] if closed else [])
               + [bi("Số ngày trễ", "Days late"), bi("Cách tính", "Explanation")])
    table = Table(headers=headers, rows=[], total=total, numeric={len(headers) - 2},
                  empty=Bi("Không có.", "None."), css="drill")
    for r in rows:
        table.rows.append(
            [ctx.labels.clock(r["clock"])]
            + [r[c] or "" for c in id_cols]
            + [r["unit_code"] or "", r["prosecutor_id"] or "", fmt_date(r["due_on"])]
            + ([fmt_date(r["closed_on"])] if closed else [])
            + [fmt_int(r["days_late"]),
               Bi(r["explanation"] or "", r["explanation_en"] or r["explanation"] or "")]
        )
    return table


def _protest_windows(ctx: Context) -> Table:
    rows = _rows(
        ctx.con,
        "select \"window\", status, count(*) as n from marts.protest_windows group by all "
        "order by 1, 2",
    )
    table = Table(
        headers=[bi("Thời hạn kháng nghị", "Protest window"), bi("Tình trạng", "Status"),
                 bi("Số bản án", "Judgements")],
        rows=[], numeric={2},
    )
    window_labels = {"same_level": Bi("VKS cùng cấp (15 ngày)", "Same-level procuracy (15 days)"),
                     "superior": Bi("VKS cấp trên (30 ngày)", "Superior procuracy (30 days)")}
    for r in rows:
        table.rows.append([window_labels.get(r["window"], Bi(r["window"], r["window"])),
                           ctx.labels.code("window_status", r["status"]), fmt_int(r["n"])])
    return table


def area_page(ctx: Context, area: Area) -> dict[str, Any]:
    clock_table, clock_rows = _area_clock_table(ctx, area)
    age_table, age_chart = _age_bands(ctx, area)
    status_chart = _status_chart(ctx, area, clock_rows)
    trend = _trend_charts(
        ctx, area.indicators,
        "as_is", f"{area.key}-trend", Bi("Chỉ tiêu theo tháng", "Indicators by month"),
    )
    year_start = ctx.as_of - dt.timedelta(days=364)
    page = {
        "page_title": area.title,
        "area": area,
        "kpis": _kpis(ctx, clock_rows),
        "clock_table": clock_table,
        "age_table": age_table,
        "flow_table": _flow(ctx, area),
        "flow_from": fmt_date(year_start),
        "indicator_table": _indicator_table(ctx, area.indicators),
        "stage_table": _indicator_table(
            ctx, ("clearance_rate", "disposition_time_days", "pending_age_p90_days"), area.stages
        ) if area.stages else None,
        "unit_table": _area_units(ctx, area),
        "finding_table": _area_findings(ctx, area),
        "overdue_table": _drill(ctx, area, "status = 'overdue'", "days_late desc", [],
                                closed=False),
        "late_table": _drill(
            ctx, area, "status = 'late' and closed_on between ? and ?", "days_late desc",
            [year_start, ctx.as_of], closed=True,
        ),
        "protest_table": _protest_windows(ctx) if area.key == "criminal" else None,
        "charts": [c for c in (status_chart, age_chart, *trend) if c is not None],
        "status_chart": status_chart,
        "age_chart": age_chart,
        "trend_charts": trend,
        "drill_rows": DRILL_ROWS,
    }
    return page


# --------------------------------------------------------------------------------------------
# worklist.html


def worklist_page(ctx: Context) -> dict[str, Any]:
    con = ctx.con
    summary = _rows(
        con,
        """
        select unit_code, prosecutor_id,
               count(*) filter (where status = 'overdue') as overdue,
               count(*) filter (where status <> 'overdue') as due_soon
        from marts.deadline_watchlist group by all order by unit_code, prosecutor_id nulls last
        """,
    )
    wl_cols = set(_columns(con, "marts", "deadline_watchlist"))
    # Most urgent first: the mart's own rank when it has one (outputs.md §1.8).
    urgency = ("w.urgency_rank" if "urgency_rank" in wl_cols else
               "(w.status = 'overdue') desc, w.days_late desc nulls last, "
               "w.days_remaining nulls last")
    en = ("w.explanation_en" if "explanation_en" in wl_cols
          else "d.explanation_en" if "explanation_en" in _columns(con, "marts", "deadlines")
          else "null")
    rows = _rows(
        con,
        f"""
        select w.unit_code, w.prosecutor_id, w.clock_id, w.clock, w.subject_id, w.due_on,
               w.status, w.days_remaining, w.days_late, w.explanation,
               {en} as explanation_en, d.case_id,
               row_number() over (partition by w.unit_code order by {urgency}, w.clock_id)
                   as rank_in_unit
        from marts.deadline_watchlist w
        left join marts.deadlines d on d.clock_id = w.clock_id
        qualify rank_in_unit <= ?
        order by w.unit_code, w.prosecutor_id nulls last, {urgency}, w.clock_id
        limit ?
        """,
        [WORKLIST_ROWS_PER_UNIT, WORKLIST_ROWS],
    )
    totals: dict[str, dict[str, int]] = {}
    for s in summary:
        t = totals.setdefault(s["unit_code"], {"overdue": 0, "due_soon": 0})
        t["overdue"] += s["overdue"]
        t["due_soon"] += s["due_soon"]
    units: dict[str, dict[str, Any]] = {}
    for r in rows:
        unit = units.setdefault(r["unit_code"], {"code": r["unit_code"],
                                                 "label": ctx.unit_cell(r["unit_code"]),
                                                 "quality": ctx.quality_cell(r["unit_code"]),
                                                 "totals": totals.get(r["unit_code"], {}),
                                                 "prosecutors": {}, "shown": 0})
        unit["shown"] += 1
        pros = unit["prosecutors"].setdefault(
            r["prosecutor_id"],
            Table(
                headers=[bi("Tình trạng", "Status"), bi("Thời hạn", "Clock"),
                         bi("Đối tượng", "Subject"), bi("Mã vụ án", "Case id"),
                         bi("Hạn", "Due"), bi("Còn / trễ", "Left / late"),
                         bi("Cách tính", "Explanation")],
                rows=[], css="drill",
            ),
        )
        if r["status"] == "overdue":
            n = fmt_int(r["days_late"])
            when = Bi(f"quá hạn {n.vi} ngày", f"{n.en} days overdue")
        elif r["days_remaining"] == 0:
            when = Bi("hạn hôm nay", "due today")
        else:
            n = fmt_int(r["days_remaining"])
            when = Bi(f"còn {n.vi} ngày", f"{n.en} days left")
        pros.rows.append([
            ctx.status_badge(r["status"]), ctx.labels.clock(r["clock"]), r["subject_id"] or "",
            r["case_id"] or "", fmt_date(r["due_on"]), when,
            Bi(r["explanation"] or "", r["explanation_en"] or r["explanation"] or ""),
        ])
    unit_list = []
    for code in sorted(units, key=lambda u: (u is None, u or "")):
        u = units[code]
        u["prosecutors"] = sorted(u["prosecutors"].items(),
                                  key=lambda kv: (kv[0] is None, kv[0] or ""))
        u["capped"] = u["shown"] < sum(u["totals"].values())
        u["total"] = sum(u["totals"].values())
        unit_list.append(u)
    per_unit: dict[str | None, dict[str, int]] = {}
    for row in summary:
        t = per_unit.setdefault(row["unit_code"], {"prosecutors": 0, "overdue": 0, "due_soon": 0})
        t["prosecutors"] += 1
        t["overdue"] += row["overdue"]
        t["due_soon"] += row["due_soon"]
    ranked = sorted(per_unit.items(), key=lambda kv: (-kv[1]["overdue"], kv[0] or ""))
    summary_table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Quá hạn", "Overdue"),
                 bi("Đến hạn ≤ 10 ngày", "Due ≤ 10 days"),
                 bi("Số kiểm sát viên (kể cả chưa phân công)",
                    "Prosecutors (incl. unassigned)"),
                 bi("Tỷ lệ cách ly dữ liệu", "Quarantine rate")],
        rows=[], total=len(ranked), numeric={1, 2, 3, 4},
    )
    for code, t in ranked[:UNIT_ROWS]:
        summary_table.rows.append([
            ctx.unit_cell(code), fmt_int(t["overdue"]), fmt_int(t["due_soon"]),
            fmt_int(t["prosecutors"]), ctx.quality_cell(code),
        ])
    shown = sum(u["shown"] for u in unit_list)
    total_rows = sum(sum(t.values()) for t in totals.values())
    return {
        "page_title": Bi("Việc cần làm: quá hạn và đến hạn trong 10 ngày",
                         "Worklist: overdue and due within 10 days"),
        "units": unit_list,
        "summary_table": summary_table,
        "total_overdue": fmt_int(sum(t["overdue"] for t in totals.values())),
        "total_due_soon": fmt_int(sum(t["due_soon"] for t in totals.values())),
        "per_unit_cap": WORKLIST_ROWS_PER_UNIT,
        "page_capped": shown < total_rows,
        "page_cap_note": Table(headers=[], rows=[[]] * shown, total=total_rows).cap_note,
        "charts": [],
    }


# --------------------------------------------------------------------------------------------
# quality.html


def quality_page(ctx: Context) -> dict[str, Any]:
    con, labels = ctx.con, ctx.labels
    per_table = _rows(
        con,
        """
        select table_name,
               count(*) filter (where status = 'loaded') as files,
               count(*) filter (where status = 'refused') as refused,
               sum(rows_landed) filter (where status = 'loaded') as landed,
               sum(rows_accepted) filter (where status = 'loaded') as accepted,
               sum(rows_quarantined) filter (where status = 'loaded') as quarantined
        from marts.batch_ledger group by 1 order by 1
        """,
    )
    ledger = Table(
        headers=[bi("Bảng", "Table"), bi("Tệp đã nạp", "Files loaded"),
                 bi("Tệp bị từ chối", "Files refused"), bi("Dòng tiếp nhận", "Rows landed"),
                 bi("Dòng hợp lệ", "Rows accepted"), bi("Dòng cách ly", "Rows quarantined"),
                 bi("Tỷ lệ cách ly", "Quarantine rate")],
        rows=[], numeric={1, 2, 3, 4, 5, 6},
    )
    for r in per_table:
        ledger.rows.append([r["table_name"] or "", fmt_int(r["files"]), fmt_int(r["refused"]),
                            fmt_int(r["landed"]), fmt_int(r["accepted"]),
                            fmt_int(r["quarantined"]),
                            fmt_pct(_ratio(r["quarantined"], r["landed"]), 2)])
    refused = _rows(
        con,
        "select batch_id, file_name, refusal_reason from marts.batch_ledger "
        "where status = 'refused' order by batch_id, file_name",
    )
    refused_table = Table(
        headers=[bi("Lô", "Batch"), bi("Tệp", "File"), bi("Lý do", "Reason")],
        rows=[[r["batch_id"], r["file_name"], r["refusal_reason"] or ""]
              for r in refused[:DRILL_ROWS]],
        total=len(refused), empty=Bi("Không có lô bị từ chối.", "No refused batches."),
    )
    units = sorted(ctx.unit_quality.items(),
                   key=lambda kv: (-(kv[1]["rate"] or 0), kv[0]))
    unit_table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Dòng tiếp nhận", "Rows landed"),
                 bi("Dòng cách ly", "Rows quarantined"), bi("Tỷ lệ cách ly", "Quarantine rate")],
        rows=[], total=len(units), numeric={1, 2, 3},
    )
    records = []
    for code, q in units[:UNIT_ROWS]:
        unit = code or None
        unit_table.rows.append([ctx.unit_cell(unit),
                                NA if q["landed"] is None else fmt_int(q["landed"]),
                                fmt_int(q["quarantined"]), ctx.quality_cell(code)])
        if q["rate"] is not None:
            records.append({"label": code or "?", "rate": q["rate"]})
    unit_chart = None
    if records:
        unit_chart = charts.rate_bar(
            "quality-units", pd.DataFrame(records[:40]),
            title=Bi("Tỷ lệ dòng bị cách ly theo đơn vị", "Share of rows quarantined by unit"),
            x_title=Bi("Tỷ lệ cách ly", "Quarantine rate"),
        )
    rules = _rows(
        con,
        """
        select rule, severity,
               count(distinct (batch_id, file_name, row_number))
                   filter (where status = 'open') as open_rows,
               count(distinct (batch_id, file_name, row_number))
                   filter (where status <> 'open') as resolved_rows
        from marts.quarantine group by all order by open_rows desc, rule
        """,
    )
    rule_table = Table(
        headers=[bi("Quy tắc", "Rule"), bi("Mức độ", "Severity"), bi("Đang mở", "Open"),
                 bi("Đã xử lý", "Resolved")],
        rows=[[r["rule"], r["severity"] or "", fmt_int(r["open_rows"]),
               fmt_int(r["resolved_rows"])] for r in rules[:DRILL_ROWS]],
        total=len(rules), numeric={2, 3},
        empty=Bi("Không có dòng bị cách ly.", "No quarantined rows."),
    )
    findings = _rows(
        con,
        "select rule, status, count(*) as n from marts.data_findings group by all "
        "order by n desc, rule, status",
    )
    finding_table = Table(
        headers=[bi("Phát hiện", "Finding"), bi("Tình trạng", "Status"), bi("Số lượng", "Count")],
        rows=[[labels.code("finding_rule", r["rule"]), r["status"] or "", fmt_int(r["n"])]
              for r in findings],
        numeric={2}, empty=Bi("Không có phát hiện.", "No findings."),
    )
    run = ctx.run_id if _scalar(
        con, "select count(*) from marts.validation_results where run_id = ?", [ctx.run_id]
    ) else _scalar(
        con,
        "select run_id from marts.validation_results group by run_id "
        "order by max(checked_at) desc limit 1",
    )
    checks = _rows(
        con,
        "select tool, severity, count(*) as n, count(*) filter (where not passed) as failed "
        "from marts.validation_results where run_id = ? group by all order by 1, 2",
        [run],
    )
    check_table = Table(
        headers=[bi("Công cụ", "Tool"), bi("Mức độ", "Severity"), bi("Số kiểm tra", "Checks"),
                 bi("Không đạt", "Failed")],
        rows=[[r["tool"], r["severity"], fmt_int(r["n"]), fmt_int(r["failed"])] for r in checks],
        numeric={2, 3}, empty=Bi("Chưa có kết quả kiểm tra.", "No check results yet."),
    )
    failing = _rows(
        con,
        "select asset, check_name, severity, failing_count, detail "
        "from marts.validation_results where run_id = ? and not passed "
        "order by severity, asset, check_name",
        [run],
    )
    failing_table = Table(
        headers=[bi("Bảng", "Asset"), bi("Kiểm tra", "Check"), bi("Mức độ", "Severity"),
                 bi("Số dòng lỗi", "Failing rows"), bi("Chi tiết", "Detail")],
        rows=[[r["asset"], r["check_name"], r["severity"], fmt_int(r["failing_count"]),
               r["detail"] or ""] for r in failing[:DRILL_ROWS]],
        total=len(failing), numeric={3},
        empty=Bi("Mọi kiểm tra đều đạt.", "Every check passed."),
    )
    return {
        "page_title": Bi("Chất lượng dữ liệu", "Data quality"),
        "ledger_table": ledger,
        "refused_table": refused_table,
        "unit_table": unit_table,
        "unit_tables_covered": ", ".join(UNIT_TABLES),
        "rule_table": rule_table,
        "finding_table": finding_table,
        "check_table": check_table,
        "failing_table": failing_table,
        "check_run": run,
        "quality_warn": fmt_pct(QUALITY_WARN, 0),
        "charts": [unit_chart] if unit_chart else [],
        "unit_chart": unit_chart,
    }


# --------------------------------------------------------------------------------------------
# Rendering


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = bi
    return env


def _script_safe(text: str) -> Markup:
    """Text placed inside a <script> element cannot close it early. (Only `</script` is
    escaped: a blanket `</` escape would break regular-expression literals in the bundle.)"""
    return Markup(re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE))


@functools.cache
def _vega_bundle() -> Markup:
    """vega, vega-lite and vega-embed in one script (from vl-convert: no network)."""
    return _script_safe(vl_convert.javascript_bundle())


def render_pages(
    con: duckdb.DuckDBPyConnection, out_dir: str | Path, *, run_id: str, as_of: dt.date
) -> dict[str, Path]:
    """Write every page into `out_dir`; returns {file name: path}. Each file is written to a
    temporary name first and renamed, so a reader never sees half a page."""
    check_marts(con)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(con, run_id=run_id, as_of=as_of)
    env = _environment()
    common = _common(ctx)
    bundle = _vega_bundle()
    pages: list[tuple[str, str, dict[str, Any]]] = [
        ("index.html", "index.html", index_page(ctx)),
        *[(a.file, "area.html", area_page(ctx, a)) for a in AREAS],
        ("worklist.html", "worklist.html", worklist_page(ctx)),
        ("quality.html", "quality.html", quality_page(ctx)),
    ]
    written = {}
    for name, template, page in pages:
        html = env.get_template(template).render(
            **common,
            **page,
            current=name,
            vega_bundle=bundle,
            chart_json=_script_safe(charts.page_json(page["charts"])),
            locales=_script_safe(json.dumps(charts.LOCALES)),
        )
        path = out / name
        tmp = out / f".{name}.tmp"
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
        written[name] = path
    return written
