"""`criminal.html`, `custody.html`, `execution.html`: one page per supervision area and its
clocks — the procuracy's own deadlines first ("Thời hạn của Viện kiểm sát"), on-time rates,
overdue counts, pending-age bands, clearance and disposition time, indicators, findings with
their drill-down (subject, case, order, date, legal basis in Vietnamese citation form), and
drill-down tables to clock level (ids only, capped)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from pipelines.dashboards import charts
from pipelines.dashboards.citation import citation
from pipelines.dashboards.db import column_names, query, query_value
from pipelines.dashboards.finding_text import finding_detail
from pipelines.dashboards.full_lists import FullList, mart_columns
from pipelines.dashboards.i18n import NA, Bi, bi, fmt_date, fmt_int, fmt_num, fmt_pct
from pipelines.dashboards.model import (
    DRILL_ROWS,
    FINDING_ROWS_PER_RULE,
    UNIT_ROWS,
    Context,
    Kpi,
    Table,
    indicator_table,
    missing,
    ratio,
    trend_charts,
)

AGE_BANDS = (
    ("0-30", 30, Bi("≤ 30 ngày", "≤ 30 days")),
    ("31-90", 90, Bi("31–90 ngày", "31–90 days")),
    ("91-180", 180, Bi("91–180 ngày", "91–180 days")),
    ("181-365", 365, Bi("181–365 ngày", "181–365 days")),
    (">365", None, Bi("> 365 ngày", "> 365 days")),
)
STATUS_ORDER = ["on_time", "late", "suspended", "open", "overdue"]


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
            "trial_decision_after_return", "hearing_opening", "send_charge_decision",
            "approve_charge", "send_judgement_to_vks",
        ),
        indicators=(
            "report_resolution_rate", "report_overdue_rate", "investigation_on_time_rate",
            "prosecution_on_time_rate", "trial_preparation_on_time_rate", "vks_return_rate",
            "court_return_rate", "protest_acceptance_rate", "extension_request_late_rate",
            "vks_own_on_time_rate", "premature_suspension_count",
        ),
        stages=("report", "investigation", "prosecution", "trial"),
        finding_rules=("extension_beyond_limit", "late_extension", "extension_request_late",
                       "too_many_returns", "premature_suspension"),
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
        clocks=("custody", "detention", "approve_detention", "decide_custody_extension"),
        indicators=("overdue_custody_count", "overdue_detention_count", "illegal_order_count",
                    "vks_own_on_time_rate"),
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


def _area_clock_table(ctx: Context, area: Area) -> tuple[Table, list[dict]]:
    rows = query(
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
            fmt_int(r["late"]), fmt_pct(ratio(r["on_time"], r["on_time"] + r["late"])),
            fmt_int(r["suspended"]), fmt_int(r["open"]),
            Markup(f'<strong class="{"bad" if r["overdue"] else ""}">')
            + Markup(fmt_int(r["overdue"]).__html__()) + Markup("</strong>"),
            fmt_int(r["due_soon"]),
            NA if missing(r["median_days"])
            else fmt_num(r["median_days"], 0) + Bi(" ngày", " days"),
            citation(r["legal_basis"]),
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
            fmt_pct(ratio(on_time, on_time + late)),
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
    rows = query(
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
    rows = query(
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
                 bi("Tỷ lệ giải quyết", "Clearance rate"),
                 bi("Đang mở cuối kỳ", "Pending at end"),
                 bi("Thời gian giải quyết ước tính", "Disposition time")],
        rows=[], numeric={1, 2, 3, 4, 5},
    )
    for r in rows:
        disposition = ratio(365 * r["pending"], r["closed"])
        table.rows.append([
            ctx.labels.clock(r["clock"]), fmt_int(r["started"]), fmt_int(r["closed"]),
            fmt_pct(ratio(r["closed"], r["started"])), fmt_int(r["pending"]),
            NA if disposition is None else fmt_num(disposition, 0) + Bi(" ngày", " days"),
        ])
    return table



UNITS_SQL = """
    select unit_code, count(*) as n,
           count(*) filter (where status = 'on_time') as on_time,
           count(*) filter (where status = 'late') as late,
           count(*) filter (where status = 'open') as open,
           count(*) filter (where status = 'overdue') as overdue,
           count(*) filter (where is_due_soon) as due_soon
    from marts.deadlines where list_contains(?, clock)
    group by unit_code order by overdue desc, unit_code
"""


def _area_units(ctx: Context, area: Area) -> Table:
    rows = query(ctx.con, UNITS_SQL, [list(area.clocks)])
    # the file adds the on-time rate and the quarantine rate of each unit, as on the page
    full = FullList(
        f"{area.key}-units.csv",
        f"""with u as ({UNITS_SQL}),
        q as (select unit_code, sum(quarantined) as quarantined, sum(accepted) as accepted
              from marts.quarantine_rates where unit_code is not null group by 1)
        select u.*, round(u.on_time / nullif(u.on_time + u.late, 0), 4) as on_time_rate,
               round(q.quarantined / nullif(q.quarantined + q.accepted, 0), 4)
                   as quarantine_rate
        from u left join q using (unit_code) order by u.overdue desc, u.unit_code""",
        (list(area.clocks),))
    table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Tổng", "Total"), bi("Tỷ lệ đúng hạn", "On-time rate"),
                 bi("Đang trong hạn", "Open"), bi("Quá hạn", "Overdue"),
                 bi("Đến hạn ≤ 10 ngày", "Due ≤ 10 days"),
                 bi("Tỷ lệ cách ly dữ liệu", "Quarantine rate")],
        rows=[], total=len(rows), numeric={1, 2, 3, 4, 5, 6}, full=full,
    )
    for r in rows[:UNIT_ROWS]:
        table.rows.append([
            ctx.unit_cell(r["unit_code"]), fmt_int(r["n"]),
            fmt_pct(ratio(r["on_time"], r["on_time"] + r["late"])), fmt_int(r["open"]),
            fmt_int(r["overdue"]), fmt_int(r["due_soon"]), ctx.quality_cell(r["unit_code"]),
        ])
    return table


def _area_findings(ctx: Context, area: Area) -> Table:
    rows = query(
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
    for r in rows:  # each count links to its list (`_finding_drill`)
        n = fmt_int(r["n"])
        table.rows.append([ctx.labels.code("finding_rule", r["rule"]),
                           ctx.labels.code("severity", r["severity"]),
                           Markup(f'<a href="#finding-{escape(r["rule"])}">'
                                  f"{n.__html__()}</a>")])
    return table


def _drill(ctx: Context, area: Area, name: str, where: str, order: str, params: list, *,
           closed: bool) -> Table:
    """Clock-level rows (ids only), most days late first, at most DRILL_ROWS (every row in
    `<area>-<name>.csv`). The status is in the table's title; the explanation says how the
    deadline was computed."""
    id_cols = list(area.id_columns)
    base = f"from marts.deadlines where list_contains(?, clock) and {where}"
    total = query_value(ctx.con, f"select count(*) {base}", [list(area.clocks), *params])
    columns = (f"clock, {', '.join(id_cols)}, unit_code, prosecutor_id, due_on, closed_on, "
               "days_late, explanation, explanation_en")
    order = f"order by {order}, clock_id"
    rows = query(ctx.con, f"select {columns} {base} {order} limit {DRILL_ROWS}",
                 [list(area.clocks), *params])
    full = FullList(f"{area.key}-{name}.csv",
                    f"select clock_id, {columns}, legal_basis {base} {order}",
                    (list(area.clocks), *params))
    id_headers = {
        "subject_id": bi("Đối tượng", "Subject"), "case_id": bi("Mã vụ án", "Case id"),
        "person_id": bi("Mã người", "Person id"), "judgement_id": bi("Mã bản án", "Judgement id"),
    }
    headers = ([bi("Thời hạn", "Clock")] + [id_headers[c] for c in id_cols]
               + [bi("Đơn vị", "Unit"), bi("Kiểm sát viên", "Prosecutor"), bi("Hạn", "Due")]
               + ([bi("Kết thúc", "Closed")] if closed else [])
               + [bi("Số ngày trễ", "Days late"), bi("Cách tính", "Explanation")])
    table = Table(headers=headers, rows=[], total=total, numeric={len(headers) - 2},
                  empty=Bi("Không có.", "None."), css="drill", full=full)
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


OWN_TITLE = Bi("Thời hạn của Viện kiểm sát", "The procuracy's own deadlines")


def own_clocks(ctx: Context) -> list[str]:
    """The clocks the procuracy itself owes (`reference.clock_owners`, is_vks_own)."""
    return [r["clock"] for r in query(
        ctx.con, "select clock from reference.clock_owners "
                 "where coalesce(try_cast(is_vks_own as boolean), false) order by clock")]


def _optional(ctx: Context, table: str, column: str, alias: str = "") -> str:
    """A column of a mart when it is there (1.1 columns), else null."""
    present = column in column_names(ctx.con, "marts", table)
    return f"{alias}{column}" if present else f"null as {column}"


def _own_deadlines(ctx: Context, area: Area) -> tuple[Table, list[Kpi]]:
    """What the procuracy itself owes: overdue first, then the earliest deadline; hour limits
    show their time."""
    mine = [c for c in area.clocks if c in own_clocks(ctx)]
    base = ("from marts.deadlines where list_contains(?, clock) "
            "and status in ('open', 'overdue')")
    counts = query(
        ctx.con,
        "select count(*) filter (where status = 'overdue') as overdue, "
        "count(*) filter (where status = 'open' and days_remaining = 0) as today, "
        "count(*) filter (where is_due_soon) as soon, count(*) as n " + base,
        [mine],
    )[0]
    late = query_value(
        ctx.con,
        "select count(*) from marts.deadlines where list_contains(?, clock) "
        "and status = 'late' and closed_on between ? and ?",
        [mine, ctx.as_of - dt.timedelta(days=364), ctx.as_of],
    )
    due_at = _optional(ctx, "deadlines", "due_at")
    select = ("select clock, subject_id, case_id, unit_code, prosecutor_id, status, due_on, "
              f"{due_at}, days_late, days_remaining, explanation, explanation_en, legal_basis "
              + base + " order by status = 'overdue' desc, due_on, due_at nulls last, clock_id")
    rows = query(ctx.con, f"{select} limit {DRILL_ROWS}", [mine])
    table = Table(
        headers=[bi("Tình trạng", "Status"), bi("Thời hạn", "Clock"), bi("Đối tượng", "Subject"),
                 bi("Mã vụ án", "Case id"), bi("Đơn vị", "Unit"),
                 bi("Kiểm sát viên", "Prosecutor"), bi("Hạn", "Due"),
                 bi("Còn / trễ", "Left / late"), bi("Cách tính", "Explanation"),
                 bi("Căn cứ", "Legal basis")],
        rows=[], total=counts["n"], css="drill own",
        full=FullList(f"{area.key}-own.csv", select, (mine,)),
        empty=Bi("Không có thời hạn nào của Viện kiểm sát đang chờ.",
                 "Nothing the procuracy owes is pending."),
    )
    for r in rows:
        if r["status"] == "overdue":
            n = fmt_int(r["days_late"])
            when = Bi(f"quá hạn {n.vi} ngày", f"{n.en} days overdue")
        elif r["days_remaining"] == 0:
            when = Bi("hạn hôm nay", "due today")
        else:
            n = fmt_int(r["days_remaining"])
            when = Bi(f"còn {n.vi} ngày", f"{n.en} days left")
        due = (r["due_at"].strftime("%d/%m/%Y %H:%M") if r["due_at"] is not None
               else fmt_date(r["due_on"]))
        table.rows.append([
            ctx.status_badge(r["status"]), ctx.labels.clock(r["clock"]), r["subject_id"] or "",
            r["case_id"] or "", r["unit_code"] or "", r["prosecutor_id"] or "", due, when,
            Bi(r["explanation"] or "", r["explanation_en"] or r["explanation"] or ""),
            citation(r["legal_basis"]),
        ])
    kpis = [
        Kpi(bi("Quá hạn", "Overdue"), fmt_int(counts["overdue"]),
            "bad" if counts["overdue"] else "good"),
        Kpi(bi("Đến hạn hôm nay", "Due today"), fmt_int(counts["today"]),
            "warn" if counts["today"] else ""),
        Kpi(bi("Đến hạn trong 10 ngày", "Due within 10 days"), fmt_int(counts["soon"])),
        Kpi(bi("Trễ hạn trong 12 tháng", "Closed late in 12 months"), fmt_int(late)),
    ]
    return table, kpis


def _finding_drill(ctx: Context, area: Area) -> list[dict[str, Any]]:
    """Every finding of the area, one list per rule (anchor `finding-<rule>`, the target of
    its count), errors first and the latest first: what, whom (subject, case, order), when,
    where, the detail and the legal basis as a prosecutor cites it. At most
    FINDING_ROWS_PER_RULE rows per rule; the unit workbooks hold every finding."""
    where = ("from marts.deadline_findings f left join marts.deadlines d "
             "on d.clock_id = f.clock_id where (list_contains(?, d.clock) "
             "or (d.clock is null and list_contains(?, f.rule)))")
    params = [list(area.clocks), list(area.finding_rules)]
    totals = {r["rule"]: r["n"] for r in query(
        ctx.con, "select f.rule, count(*) as n " + where + " group by 1", params)}
    order_id = _optional(ctx, "deadline_findings", "order_id", "f.")
    dated_on = _optional(ctx, "deadline_findings", "dated_on", "f.")
    detail_vi = _optional(ctx, "deadline_findings", "detail_vi", "f.")
    rows = query(
        ctx.con,
        "select f.finding_id, f.rule, f.severity, f.subject_type, f.subject_id, f.case_id, "
        f"{order_id}, {dated_on}, f.unit_code, f.detail, {detail_vi}, f.legal_basis, d.clock "
        + where
        + " qualify row_number() over (partition by f.rule order by f.severity = 'error' desc, "
          "dated_on desc nulls last, f.finding_id) <= ? "
          "order by f.rule, f.severity = 'error' desc, dated_on desc nulls last, f.finding_id",
        [*params, FINDING_ROWS_PER_RULE],
    )
    dated = ("f.dated_on desc nulls last, "
             if "dated_on" in column_names(ctx.con, "marts", "deadline_findings") else "")
    full = FullList(  # every finding of the area in one file, in the lists' order
        f"{area.key}-findings.csv",
        f"select {mart_columns(ctx.con, 'deadline_findings', alias='f')}, d.clock {where} "
        f"order by f.rule, f.severity = 'error' desc, {dated}f.finding_id", tuple(params))
    groups: dict[str, dict[str, Any]] = {}
    for rule in sorted(totals, key=lambda r: (-totals[r], r)):
        groups[rule] = {"rule": rule, "label": ctx.labels.code("finding_rule", rule),
                        "count": fmt_int(totals[rule]), "table": Table(
            headers=[bi("Mức độ", "Severity"), bi("Đối tượng", "Subject"),
                     bi("Mã vụ án", "Case id"), bi("Lệnh", "Order"), bi("Ngày", "Date"),
                     bi("Đơn vị", "Unit"), bi("Chi tiết", "Detail"),
                     bi("Căn cứ pháp lý", "Legal basis")],
            rows=[], total=totals[rule], css="drill findings", full=full,
            empty=Bi("Không có phát hiện vi phạm.", "No findings."))}
    for r in rows:
        kind = ctx.labels.code("subject_type", r["subject_type"])
        ident = r["subject_id"] or ""
        groups[r["rule"]]["table"].rows.append([
            ctx.labels.code("severity", r["severity"]),
            Bi(f"{kind.vi} {ident}".strip(), f"{kind.en} {ident}".strip()),
            r["case_id"] or "", r["order_id"] or "", fmt_date(r["dated_on"]),
            ctx.unit_cell(r["unit_code"]),
            finding_detail(r["detail"], r["detail_vi"], r["rule"], ctx.labels),
            citation(r["legal_basis"]),
        ])
    return list(groups.values())


def _protest_windows(ctx: Context) -> Table:
    rows = query(
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
    trend = trend_charts(
        ctx, area.indicators,
        "as_is", f"{area.key}-trend", Bi("Chỉ tiêu theo tháng", "Indicators by month"),
    )
    year_start = ctx.as_of - dt.timedelta(days=364)
    own_table, own_kpis = _own_deadlines(ctx, area)
    page = {
        "page_title": area.title,
        "area": area,
        "own_title": OWN_TITLE,
        "own_table": own_table,
        "own_kpis": own_kpis,
        "finding_drill": _finding_drill(ctx, area),
        "kpis": _kpis(ctx, clock_rows),
        "clock_table": clock_table,
        "age_table": age_table,
        "flow_table": _flow(ctx, area),
        "flow_from": fmt_date(year_start),
        "indicator_table": indicator_table(ctx, area.indicators),
        "stage_table": indicator_table(
            ctx, ("clearance_rate", "disposition_time_days", "pending_age_p90_days"), area.stages
        ) if area.stages else None,
        "unit_table": _area_units(ctx, area),
        "finding_table": _area_findings(ctx, area),
        "overdue_table": _drill(ctx, area, "overdue", "status = 'overdue'", "days_late desc",
                                [], closed=False),
        "late_table": _drill(
            ctx, area, "late", "status = 'late' and closed_on between ? and ?",
            "days_late desc", [year_start, ctx.as_of], closed=True,
        ),
        "protest_table": _protest_windows(ctx) if area.key == "criminal" else None,
        "charts": [c for c in (status_chart, age_chart, *trend) if c is not None],
        "status_chart": status_chart,
        "age_chart": age_chart,
        "trend_charts": trend,
        "drill_rows": DRILL_ROWS,
        "finding_rows": FINDING_ROWS_PER_RULE,
    }
    return page
