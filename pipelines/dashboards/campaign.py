"""`index.html`: the "Đồng Khởi mới" campaign overview — pillars "Hai chân – Ba mũi" with each
indicator against its target, trends by month and statistical year, units and province roll-ups
in both unit views (as-was / as-is), the 2025 re-organisation, the "no wrongful convictions, no
missed crimes" drill-downs and the exemplary-individual candidates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from pipelines.dashboards.citation import citation
from pipelines.dashboards.db import column_names, query, query_value, table_names
from pipelines.dashboards.full_lists import FullList, mart_columns
from pipelines.dashboards.i18n import NA, Bi, bi, fmt_date, fmt_num, fmt_pct
from pipelines.dashboards.labels import period_label
from pipelines.dashboards.model import (
    HIERARCHIES,
    NEVER_SHOWN,
    UNIT_ROWS,
    Context,
    Table,
    latest_period,
    trend_charts,
)
from pipelines.dashboards.scorecards import scorecard_page


def _scorecard_indicators(ctx: Context) -> list[str]:
    rows = query(
        ctx.con,
        "select indicator_code, min(pillar) as pillar from marts.campaign_scorecard "
        "where source = 'case_data' group by 1",
    )
    rows.sort(key=lambda r: (ctx.labels.pillar_sort(r["pillar"]), r["indicator_code"]))
    codes = [r["indicator_code"] for r in rows]
    if not codes:
        codes = [r["indicator_code"] for r in query(
            ctx.con, "select distinct indicator_code from marts.indicator_values order by 1")]
    return codes

UNIT_TABLE_INDICATORS = 6
VERDICT_CSS = ("met", "exceeded", "missed")


#  Each unit's value and verdict of the `codes` indicators in one period (parameters: as_of,
#  hierarchy, period kind, period start, codes); a running period's verdict is `in_progress`.
#  The page's unit table and its full CSV both read it.
_UNIT_VALUES = """
    select unit_code, indicator_code, value,
           case when period_end >= ? and target_status in ('met', 'exceeded', 'missed')
                then 'in_progress' else target_status end as target_status
    from marts.indicator_values
    where stage = 'all' and hierarchy = ? and period_kind = ? and period_start = ?
      and list_contains(?, indicator_code)
"""


def _unit_table(ctx: Context, hierarchy: str, codes: Sequence[str]) -> Table:
    with_target = {
        r["indicator_code"] for r in query(
            ctx.con, "select distinct indicator_code from marts.indicator_values "
                     "where target_value is not null")
    }
    codes = sorted(codes, key=lambda c: c not in with_target)[:UNIT_TABLE_INDICATORS]
    period = "campaign"
    start = latest_period(ctx, period)
    if start is None:
        period, start = "statistical_year", latest_period(ctx, "statistical_year")
    rows = query(ctx.con, _UNIT_VALUES, [ctx.as_of, hierarchy, period, start, codes])
    by_unit: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_unit.setdefault(r["unit_code"], {})[r["indicator_code"]] = r
    labels = ctx.labels

    def sort_key(u: str) -> tuple:
        parent = labels.parent(u)
        return (parent or u, parent is not None, u)

    units = sorted(by_unit, key=sort_key)
    # the file: one row per unit as on the page (the province, then its units), each
    # indicator's value and status, the quarantine rate
    pivot = "".join(
        f"any_value(v.{col}) filter (where v.indicator_code = ?) as "
        + '"' + f"{code}_{col}".replace('"', '""') + '", '
        for code in codes for col in ("value", "target_status"))
    full = FullList(
        f"index-units-{hierarchy}.csv",
        f"""with v as ({_UNIT_VALUES}),
        q as (select unit_code, sum(quarantined) as quarantined, sum(accepted) as accepted
              from marts.quarantine_rates where unit_code is not null group by 1)
        select v.unit_code, any_value(u.parent_code) as parent_code, {pivot}
               round(any_value(q.quarantined)
                     / nullif(any_value(q.quarantined) + any_value(q.accepted), 0), 4)
                   as quarantine_rate
        from v
        left join reference.units u on u.unit_code = v.unit_code
        left join q on q.unit_code = v.unit_code
        group by v.unit_code
        order by coalesce(any_value(u.parent_code), v.unit_code),
                 any_value(u.parent_code) is not null, v.unit_code""",
        (ctx.as_of, hierarchy, period, start, codes,
         *[code for code in codes for _ in ("value", "target_status")]))
    table = Table(
        headers=[bi("Đơn vị", "Unit")] + [labels.indicator(c) for c in codes]
        + [bi("Tỷ lệ cách ly dữ liệu", "Quarantine rate")],
        rows=[],
        total=len(units),
        numeric=set(range(1, len(codes) + 2)),
        css="units-table",
        full=full,
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
            value = Markup(ctx.value(c, r["value"]).__html__())
            # coloured when there is a verdict; any other status shows the value alone
            cells.append(Markup(f'<span class="t-{css}">') + value + Markup("</span>")
                         if css in VERDICT_CSS else value)
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
        full=FullList("index-reorganisation.csv",
                      f"select {mart_columns(ctx.con, 'units', 'reference')} "
                      "from reference.units where successor_code is not null "
                      "order by coalesce(parent_code, ''), unit_code"),
    )
    for u in rows[:UNIT_ROWS]:
        src = str(u.get("source") or "")
        table.rows.append([
            ctx.unit_cell(u["unit_code"]),
            fmt_date(u.get("valid_to")),
            ctx.unit_cell(u["successor_code"]),
            Bi("Minh họa (chưa xác nhận)", "Illustrative (unconfirmed)")
            if src.lower() == "illustrative" else citation(src),
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


#  columns of the drill-down marts whose values are codes: their code lists, first match wins
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "rule": ("wrongful_rule", "finding_rule", "outcome"),
    "outcome": ("outcome", "verdict", "release_reason"),
    "return_ground": ("return_ground",),
    "event_type": ("case_event", "execution_event"),
}


def _id_table(ctx: Context, table: str, columns: Sequence[str], *, where: str = "true",
              params: Sequence[Any] = (), order_by: str = "1", limit: int = 50) -> Table:
    """A drill-down mart, ids and dates only: the listed columns that the mart has (never a
    personal-data column, whatever a mart holds); every row in `index-<table>.csv`."""
    have = column_names(ctx.con, "marts", table)
    cols = [c for c in columns if c in have and c not in NEVER_SHOWN]
    extra = ["signal_vi"] if "signal" in cols and "signal_vi" in have else []
    if "period_name" in cols and {"period_start", "period_end"} <= set(have):
        extra += [c for c in ("period_start", "period_end") if c not in cols]
    base = f"from marts.{table} where {where}"
    total = query_value(ctx.con, f"select count(*) {base}", list(params))
    rows = query(ctx.con, f"select {', '.join(cols + extra)} {base} order by {order_by} "
                          f"limit {int(limit)}", list(params))
    out = Table(headers=[COLUMN_LABELS.get(c, Bi(c, c)) for c in cols], rows=[], total=total,
                numeric={i for i, c in enumerate(cols)
                         if c.endswith(("_count", "_clocks", "_rate")) or c == "rank_in_unit"},
                full=FullList(f"index-{table}.csv",
                              f"select {mart_columns(ctx.con, table)} {base} order by {order_by}",
                              tuple(params)))
    for r in rows:
        cells: list[Any] = []
        for c in cols:
            v = r[c]
            if c == "unit_code":
                cells.append(ctx.unit_cell(v))
            elif c == "signal":
                label = ctx.labels.code("missed_signal", v)
                cells.append(label if label.vi != str(v) or not r.get("signal_vi")
                             else Bi(r["signal_vi"], r["signal_vi"]))
            elif c in CODE_LISTS and v is not None:
                cells.append(ctx.labels.code_in(CODE_LISTS[c], v))
            elif c == "period_name" and "period_start" in r and "period_end" in r:
                cells.append(period_label("statistical_year", r["period_start"], r["period_end"]))
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
    have = set(column_names(ctx.con, "marts", "exemplary_candidates"))
    year = None
    where, params = "true", []
    if {"period_start", "period_end"} <= have:
        year = query_value(
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
        # one year: named once, above the table (`label`), not on every row
        ["unit_code"] + (["period_name"] if year is None else [])
        + ["rank_in_unit", "prosecutor_id", "closed_clocks", "on_time_rate",
           "wrongful_prosecution_count", "court_return_count"],
        where=where, params=params,
        order_by="unit_code, rank_in_unit" if "rank_in_unit" in have else "1", limit=60,
    )
    label = None
    if year is not None:
        name = query_value(ctx.con, "select any_value(period_name) from marts.exemplary_candidates "
                                "where period_start = ?", [year]) if "period_name" in have else None
        end = query_value(ctx.con, "select any_value(period_end) from marts.exemplary_candidates "
                               "where period_start = ?", [year]) if "period_end" in have else None
        label = (period_label("statistical_year", year, end) if end is not None
                 else Bi(f"Năm thống kê {name or year}", f"Statistical year {name or year}"))
    return table, label


def _coverage_notes(ctx: Context) -> list[tuple[str, Bi]]:
    """Roll-ups that cover only part of their province, with what they cover (marts.units)."""
    if "units" not in table_names(ctx.con, "marts"):
        return []
    have = set(column_names(ctx.con, "marts", "units"))
    if not {"is_partial_rollup", "coverage_note_vi", "coverage_note_en"} <= have:
        return []
    rows = query(ctx.con, "select distinct unit_code, coverage_note_vi, coverage_note_en "
                          "from marts.units where is_partial_rollup order by 1")
    return [(r["unit_code"], Bi(r["coverage_note_vi"] or "", r["coverage_note_en"] or ""))
            for r in rows]


def index_page(ctx: Context) -> dict[str, Any]:
    codes = _scorecard_indicators(ctx)
    trends = {h: trend_charts(ctx, codes, h, "trend",
                               Bi("Diễn biến theo tháng và năm thống kê",
                                  "By month and statistical year"))
              for h in HIERARCHIES}
    unit_tables = {h: _unit_table(ctx, h, codes) for h in HIERARCHIES}
    wrongful = _id_table(
        ctx, "wrongful_prosecutions",
        ["person_id", "case_id", "unit_code", "prosecutor_id", "rule", "outcome",
         "charge_approved_on", "dated_on"],
        order_by="dated_on desc nulls last, person_id" if "dated_on" in column_names(
            ctx.con, "marts", "wrongful_prosecutions") else "1",
    )
    missed = _id_table(
        ctx, "missed_crime_signals",
        ["event_id", "signal", "event_date", "case_id", "report_id", "unit_code"],
        order_by="event_date desc nulls last, event_id" if "event_date" in column_names(
            ctx.con, "marts", "missed_crime_signals") else "1",
    )
    exemplary, exemplary_year = _exemplary(ctx)
    campaign_bounds = query(
        ctx.con,
        "select min(period_start) as s, max(period_end) as e from marts.indicator_values "
        "where period_kind = 'campaign'",
    )[0]
    campaign = ctx.labels.campaign or {}
    return {
        "page_title": Bi(
            campaign.get("name_vi") or "Phong trào thi đua “Đồng Khởi mới”",
            (campaign["name_en"] + " (“Đồng Khởi mới”)") if campaign.get("name_en")
            else "The “Đồng Khởi mới” emulation campaign",
        ),
        **scorecard_page(ctx),
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
