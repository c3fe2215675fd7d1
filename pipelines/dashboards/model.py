"""What every dashboard page is built from: the caps, the small objects the templates render
(tables, badges, KPI tiles), queries on the marts, and the per-run `Context` (labels, as-of,
rate indicators, data quality per unit) with the helpers the pages share.

An empty mart gives a "no data" message; a missing mart is an error (`MissingMartError`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
from markupsafe import Markup

from pipelines.contract import PII_COLUMNS, TABLES
from pipelines.dashboards import charts
from pipelines.dashboards.db import query, query_value, table_names
from pipelines.dashboards.full_lists import FullList
from pipelines.dashboards.grid import CappedRows
from pipelines.dashboards.i18n import NA, Bi, bi, fmt_num, fmt_pct
from pipelines.dashboards.labels import Labels, period_label
from pipelines.dashboards.staff import load_staff

REQUIRED_MARTS = (
    "deadlines",
    "deadline_watchlist",
    "deadline_findings",
    "protest_windows",
    "indicator_values",
    "campaign_scorecard",
    "exemplary_candidates",
    "prosecutor_scorecard",
    "exemplary_gaps",
    "wrongful_prosecutions",
    "missed_crime_signals",
    "batch_ledger",
    "quarantine",
    "data_findings",
    "validation_results",
    "worklist_triage",
    "interagency_deadlines",
)

#  Caps on row-level tables: a page holds at most these rows whatever the scale (and stays
#  under 2 MB: the vega bundle alone is 0.9 MB); every row of a capped table is in a file
#  beside the page (`full_lists`), linked from its cap note.
DRILL_ROWS = 100
FINDING_ROWS_PER_RULE = 30  # each finding type's own list on the area pages
WORKLIST_ROWS_PER_UNIT = 50
WORKLIST_ROWS = 400
UNIT_ROWS = 200
TREND_UNITS = 6
TREND_MONTHS = 36  # monthly points of the trend charts: the last three years
TREND_PER_CHART = 4  # indicators (facets) per trend chart
QUALITY_WARN = 0.02  # a unit whose quarantine rate exceeds this carries a warning sign
#  Columns never shown, whatever a mart holds: personal data and staff names.
NEVER_SHOWN = PII_COLUMNS | {"display_name"}
#  Landing tables whose rows carry their own unit_code (the per-unit quarantine rate).
UNIT_TABLES = tuple(t for t, cols in TABLES.items() if any(c.name == "unit_code" for c in cols))

class MissingMartError(RuntimeError):
    """A mart the dashboards read does not exist (not merely empty)."""


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
class Table(CappedRows):
    headers: list[Bi]
    rows: list[list[Any]]
    total: int | None = None  # rows before the cap
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    empty: Bi = NO_DATA
    css: str = ""
    row_attrs: list[str] | None = None
    full: FullList | None = None  # every row, a file beside the page (`full_lists`)


@dataclass
class Kpi:
    label: Bi
    value: Bi
    css: str = ""
    note: Bi | None = None


# --------------------------------------------------------------------------------------------
# Data access


def check_marts(con: duckdb.DuckDBPyConnection, required: Iterable[str] = REQUIRED_MARTS) -> None:
    present = table_names(con, "marts")
    missing = [m for m in required if m not in present]
    if missing:
        raise MissingMartError(
            "the dashboards read mart(s) that do not exist: "
            + ", ".join(f"marts.{m}" for m in missing)
            + " (was the nightly run complete?)"
        )


def missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def ratio(num: float | None, den: float | None) -> float | None:
    if missing(num) or missing(den) or not den:
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
            for r in query(
                con,
                "select indicator_code from marts.indicator_values group by 1 "
                "having bool_or(denominator is not null)",
            )
        }
        self.unit_quality = unit_quality(con)
        self.staff = load_staff()  # names beside codes, read at render time only (staff.py)

    def is_rate(self, code: str) -> bool:
        kind = self.labels.indicator_kinds.get(code)
        return kind == "rate" if kind else (code in self.rate_codes or code.endswith("_rate"))

    def value(self, code: str, value: Any) -> Bi:
        if missing(value):
            return NA
        if self.is_rate(code):
            return fmt_pct(value)
        if self.labels.indicator_kinds.get(code) == "days" or code.endswith("_days"):
            return fmt_num(value, 0) + Bi(" ngày", " days")
        v = float(value)
        return fmt_num(v, 0 if v.is_integer() else 1)

    def target(self, code: str, value: Any, comparator: str | None = None,
               confirmed: bool | None = None) -> Bi | Markup:
        if missing(value):
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
        """The unit's name; whether its mapping is illustrative is said once per page
        (`scorecards.illustrative_note`), not on every name."""
        return Markup(self.labels.unit(unit_code).__html__())

    def stage(self, code: str) -> Bi:
        return self.labels.code("stage", code)

    def status_badge(self, status: str | None) -> Badge:
        return Badge(status or "none", self.labels.code("clock_status", status))

    def target_badge(self, status: str | None) -> Badge:
        css, label = self.labels.target_status(status)
        return Badge(css, label)


def unit_quality(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per unit, from `marts.quarantine_rates` over every batch: rows quarantined / rows landed
    (quarantined + accepted), over the landing tables whose rows carry a unit_code. Rows without
    a readable unit are counted under "" with no rate."""
    if "quarantine_rates" not in table_names(con, "marts"):
        raise MissingMartError("marts.quarantine_rates")
    out = {}
    for r in query(
        con,
        "select unit_code, sum(quarantined) as quarantined, sum(accepted) as accepted "
        "from marts.quarantine_rates group by 1",
    ):
        q, a, unit = int(r["quarantined"]), int(r["accepted"]), r["unit_code"]
        known = unit is not None  # rows without a readable unit: no rate
        out[unit or ""] = {
            "quarantined": q,
            "landed": q + a if known else None,
            "rate": ratio(q, q + a) if known else None,
        }
    return out


# --------------------------------------------------------------------------------------------
# Shared by the pages: periods, roll-ups, trend charts, indicator tables

HIERARCHIES = ("as_was", "as_is")


def latest_period(ctx: Context, kind: str) -> dt.date | None:
    """The start of the latest period of that kind ended before as-of (else the latest one)."""
    return query_value(
        ctx.con,
        "select coalesce(max(period_start) filter (where period_end < ?), max(period_start)) "
        "from marts.indicator_values where period_kind = ?",
        [ctx.as_of, kind],
    )


def year_label(ctx: Context, start: dt.date | None) -> Bi:
    """'Năm thống kê 2025 (01/12/2024–30/11/2025)': named by the year it ends in."""
    end = query_value(
        ctx.con,
        "select max(period_end) from marts.indicator_values "
        "where period_kind = 'statistical_year' and period_start = ?",
        [start],
    )
    if start is None or end is None:
        return Bi("Năm thống kê", "Statistical year")
    return period_label("statistical_year", start, end)


def top_units(ctx: Context, hierarchy: str) -> list[str]:
    """The roll-ups to show: top-level units present in the indicator values, the busiest
    `TREND_UNITS` of them."""
    top = ctx.labels.top_level()
    rows = query(
        ctx.con,
        "select unit_code, sum(coalesce(denominator, numerator, 0)) as volume "
        "from marts.indicator_values where hierarchy = ? and list_contains(?, unit_code) "
        "group by 1 order by volume desc, unit_code limit ?",
        [hierarchy, top, TREND_UNITS],
    )
    return sorted(r["unit_code"] for r in rows)

def trend_charts(ctx: Context, codes: Sequence[str], hierarchy: str, prefix: str,
                  title: Bi) -> list[charts.Chart]:
    units = top_units(ctx, hierarchy)
    if not codes or not units:
        return []
    rows = ctx.con.execute(
        """
        select indicator_code, unit_code as unit, period_kind, period_start, period_end,
               value, target_value
        from marts.indicator_values
        where stage = 'all' and hierarchy = ? and list_contains(?, unit_code)
          and list_contains(?, indicator_code)
          and (period_kind in ('month', 'rolling_12m') and date_trunc('month', period_end) <= ?
               and period_end > ?::date - to_months(?)
               or period_kind = 'statistical_year' and period_end < ?)
        order by indicator_code, unit_code, period_kind, period_start
        """,
        [hierarchy, units, list(codes), ctx.as_of, ctx.as_of, TREND_MONTHS, ctx.as_of],
    ).fetchall()
    if not rows:
        return []
    # values to four decimals as numpy rounds them (half to even on the scaled value)
    values = np.round(np.array([[r[5], r[6]] for r in rows], dtype="float64"), 4)
    points = []  # (is a rate, the chart's row)
    for (code, unit, kind, start, end, _, _), (value, target) in zip(rows, values.tolist(),
                                                                     strict=True):
        name = ctx.labels.indicator(code)
        points.append((ctx.is_rate(code), {
            "unit": unit, "period_kind": kind, "period_start": start, "period_end": end,
            "value": None if math.isnan(value) else value,
            "target_value": None if math.isnan(target) else target,
            "indicator_vi": name.vi, "indicator_en": name.en}))
    out = []
    for kind, rate in (("rates", True), ("counts", False)):
        part = [point for is_rate, point in points if is_rate == rate]
        # at most TREND_PER_CHART indicators (two rows of facets) per chart: a chart fits an
        # A4 page and is never split across two when printed
        names = list(dict.fromkeys(point["indicator_vi"] for point in part))
        for i in range(0, len(names), TREND_PER_CHART):
            shown = set(names[i:i + TREND_PER_CHART])
            chunk = [point for point in part if point["indicator_vi"] in shown]
            suffix = f"-{i // TREND_PER_CHART + 1}" if i else ""
            out.append(charts.trend(f"{prefix}-{kind}-{hierarchy}{suffix}", chunk,
                                    is_rate=rate, title=title))
    return out

def indicator_table(ctx: Context, codes: Sequence[str], stages: Sequence[str] = ("all",)) -> Table:
    stat_year = latest_period(ctx, "statistical_year")
    units = top_units(ctx, "as_is")
    rows = query(
        ctx.con,
        """
        select y.indicator_code, y.stage, y.unit_code, y.value, y.target_value,
               y.target_comparator, y.target_is_confirmed,
               -- a running period gets no verdict
               case when y.period_end >= ? and y.target_status in ('met', 'exceeded', 'missed')
                    then 'in_progress' else y.target_status end as target_status,
               c.value as campaign_value,
               case when c.period_end >= ? and c.target_status in ('met', 'exceeded', 'missed')
                    then 'in_progress' else c.target_status end as campaign_status
        from marts.indicator_values y
        left join marts.indicator_values c
          on c.indicator_code = y.indicator_code and c.stage = y.stage
         and c.hierarchy = y.hierarchy and c.unit_code = y.unit_code
         and c.period_kind = 'campaign'
        where y.hierarchy = 'as_is' and y.period_kind = 'statistical_year' and y.period_start = ?
          and list_contains(?, y.indicator_code) and list_contains(?, y.stage)
          and list_contains(?, y.unit_code)
        """,
        [ctx.as_of, ctx.as_of, stat_year, list(codes), list(stages), units],
    )
    rows.sort(key=lambda r: (list(codes).index(r["indicator_code"]),
                             list(stages).index(r["stage"]), r["unit_code"]))
    table = Table(
        headers=[bi("Chỉ tiêu", "Indicator"), bi("Giai đoạn", "Stage"), bi("Đơn vị", "Unit"),
                 year_label(ctx, stat_year),
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
