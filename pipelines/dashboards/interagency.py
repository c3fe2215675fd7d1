"""`interagency.html`: "Danh sách vụ án cần phối hợp liên ngành" for the inter-agency justice
meetings (liên ngành tư pháp): per agency (investigating body, procuracy, court) and unit, the
cases whose investigation, prosecution or trial-preparation deadline is overdue or falls within
the next N days (`marts.interagency_deadlines`; N in reference.worklist_settings). The same
rows per unit are a sheet of the unit's office workbook (`pipelines.operations.office`)."""

from __future__ import annotations

from typing import Any

from pipelines.dashboards.citation import citation
from pipelines.dashboards.db import query, query_value
from pipelines.dashboards.full_lists import FullList
from pipelines.dashboards.grid import Grid
from pipelines.dashboards.i18n import Bi, bi, fmt_date, fmt_int
from pipelines.dashboards.model import Context
from pipelines.dashboards.worklist import prosecutor_cell, when_cell

AGENCIES = ("cqdt", "vks", "toa")
AGENCY_ROWS = 300  # rows embedded per agency; every row is in interagency.xlsx beside the page


def _grid(ctx: Context, agency: str) -> Grid:
    where = "agency = ?"
    total = query_value(ctx.con, f"select count(*) from marts.interagency_deadlines where {where}",
                        [agency])
    rows = query(
        ctx.con,
        f"""
        select * from marts.interagency_deadlines where {where}
        order by (status = 'overdue') desc, due_on, unit_code, clock_id limit {AGENCY_ROWS}
        """,
        [agency],
    )
    grid = Grid(
        id=f"agency-{agency}",
        headers=[bi("Đơn vị", "Unit"), bi("Giai đoạn", "Phase"), bi("Thời hạn", "Clock"),
                 bi("Mã vụ án", "Case id"), bi("Kiểm sát viên", "Prosecutor"),
                 bi("Hạn", "Due"), bi("Còn / trễ", "Left / late"),
                 bi("Cách tính", "Explanation"), bi("Căn cứ pháp lý", "Legal basis")],
        filter_keys=(("unit", bi("Đơn vị", "Unit")), ("phase", bi("Giai đoạn", "Phase")),
                     ("clock", bi("Thời hạn", "Clock")), ("status", bi("Tình trạng", "Status"))),
        date_key="due", download=f"casewatch-lien-nganh-{agency}", css="drill interagency",
        empty=bi("Không có vụ án nào cần phối hợp.", "No case to coordinate."), total=total,
        full=FullList("interagency.xlsx"),  # every row (pages.write_page_workbooks)
    )
    labels = grid.option_labels
    for r in rows:
        labels.setdefault("unit", {})[r["unit_code"] or ""] = ctx.labels.unit(r["unit_code"])
        labels.setdefault("phase", {})[r["phase"]] = ctx.labels.code("interagency_phase",
                                                                      r["phase"])
        labels.setdefault("clock", {})[r["clock"]] = ctx.labels.clock(r["clock"])
        labels.setdefault("status", {})[r["status"]] = ctx.labels.code("clock_status",
                                                                        r["status"])
        grid.add(
            [ctx.unit_cell(r["unit_code"]), ctx.labels.code("interagency_phase", r["phase"]),
             ctx.labels.clock(r["clock"]), r["case_id"] or "",
             prosecutor_cell(ctx, r["prosecutor_id"]), fmt_date(r["due_on"]), when_cell(r),
             Bi(r["explanation"] or "", r["explanation_en"] or r["explanation"] or ""),
             citation(r["legal_basis"])],
            unit=r["unit_code"], phase=r["phase"], clock=r["clock"], status=r["status"],
            due=r["due_on"].isoformat() if r["due_on"] else "",
        )
    return grid


def interagency_page(ctx: Context) -> dict[str, Any]:
    horizon = query_value(ctx.con, "select cast(value as integer) from "
                                   "reference.worklist_settings "
                                   "where setting = 'interagency_horizon_days'")
    counts = {r["agency"]: r for r in query(
        ctx.con,
        "select agency, count(*) filter (where status = 'overdue') as overdue, "
        "count(*) filter (where status <> 'overdue') as upcoming, "
        "count(distinct case_id) as cases from marts.interagency_deadlines group by 1")}
    sections = []
    for agency in AGENCIES:
        c = counts.get(agency, {})
        sections.append({
            "agency": agency,
            "title": ctx.labels.code("body", agency),
            "overdue": fmt_int(c.get("overdue", 0)),
            "upcoming": fmt_int(c.get("upcoming", 0)),
            "cases": fmt_int(c.get("cases", 0)),
            "grid": _grid(ctx, agency),
        })
    n = fmt_int(horizon)
    return {
        "page_title": Bi("Danh sách vụ án cần phối hợp liên ngành",
                         "Cases for inter-agency coordination"),
        "horizon": Bi(f"{n.vi} ngày", f"{n.en} days"),
        "sections": sections,
        "agency_rows": AGENCY_ROWS,
        "charts": [],
        "grids": True,
    }
