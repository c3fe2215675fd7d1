"""`worklist.html`: the triaged worklist (`marts.worklist_triage`, the same classification an
analyst gets from SQL).

- "Hôm nay" (today): what falls due today or tomorrow, and what became overdue since the
  previous run; the procuracy's own deadlines first;
- "Thời hạn của Viện kiểm sát": the procuracy's own deadlines (reference.clock_owners), their
  own group, shown before the others;
- overdue and due-soon items of every unit and prosecutor, most urgent first
  (`urgency_rank`), with a per-prosecutor summary ranked by urgency;
- "Nghi thiếu dữ liệu": items that look like data gaps, with the reason and the steward to
  ask, under their own badge (not the red overdue one).

Every list is an interactive grid (`grid`): filters, search, sort, CSV/XLSX of the filtered
rows. Each grid embeds at most its cap of rows; the whole list is `worklist.csv` and
`worklist.xlsx` beside the page.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from pipelines.dashboards.citation import citation
from pipelines.dashboards.db import query
from pipelines.dashboards.full_lists import FullList
from pipelines.dashboards.grid import Grid, staff_label
from pipelines.dashboards.i18n import Bi, bi, fmt_date, fmt_int, tech
from pipelines.dashboards.model import (
    UNIT_ROWS,
    WORKLIST_ROWS,
    WORKLIST_ROWS_PER_UNIT,
    Badge,
    Context,
    Table,
)

SECTION_ROWS = 100  # rows embedded in each of "today", "own deadlines" and "suspected gaps"
WHOLE_LIST = FullList("worklist.csv")  # every row of every section (pages.write_worklist_csv)
TRIAGE_CSS = {"due_today": "today", "due_tomorrow": "soon", "due_soon": "open",
              "newly_overdue": "overdue", "overdue": "overdue", "suspected_gap": "gap"}
UNASSIGNED = bi("chưa phân công", "unassigned")


def triage_badge(ctx: Context, triage: str | None) -> Badge:
    return Badge(TRIAGE_CSS.get(triage or "", "none"), ctx.labels.code("triage", triage))


def when_cell(r: dict[str, Any]) -> Bi:
    if r["status"] == "overdue":
        n = fmt_int(r["days_late"])
        return Bi(f"quá hạn {n.vi} ngày", f"{n.en} days overdue")
    if r["days_remaining"] == 0:
        return Bi("hạn hôm nay", "due today")
    n = fmt_int(r["days_remaining"])
    return Bi(f"còn {n.vi} ngày", f"{n.en} days left")


def prosecutor_cell(ctx: Context, pid: str | None) -> Any:
    return staff_label(ctx.staff, pid) if pid else UNASSIGNED


def _grid(ctx: Context, grid_id: str, *, gap: bool = False) -> Grid:
    headers = [bi("Đơn vị", "Unit"), bi("Kiểm sát viên", "Prosecutor"),
               bi("Phân loại", "Triage"), bi("Thời hạn", "Clock"), bi("Đối tượng", "Subject"),
               bi("Mã vụ án", "Case id"), bi("Hạn", "Due"), bi("Còn / trễ", "Left / late")]
    headers += ([bi("Lý do nghi thiếu dữ liệu", "Why it looks like missing data"),
                 bi("Hỏi cán bộ quản lý dữ liệu của", "Steward to ask"),
                 bi("Hoạt động gần nhất", "Last activity")] if gap else
                [bi("Cách tính", "Explanation"), bi("Căn cứ pháp lý", "Legal basis")])
    return Grid(
        id=grid_id, headers=headers, date_key="due", download=f"casewatch-{grid_id}",
        filter_keys=(("unit", bi("Đơn vị", "Unit")), ("prosecutor", bi("Kiểm sát viên",
                     "Prosecutor")), ("clock", bi("Thời hạn", "Clock")),
                     ("status", bi("Phân loại", "Triage"))),
        css="drill worklist",
        empty=bi("Không có việc nào trong mục này.", "Nothing in this section."),
    )


def _fill(ctx: Context, grid: Grid, rows: list[dict[str, Any]], *, gap: bool = False) -> Grid:
    labels = grid.option_labels
    for r in rows:
        unit, pid, clock, triage = r["unit_code"], r["prosecutor_id"], r["clock"], r["triage"]
        labels.setdefault("unit", {})[unit or ""] = ctx.labels.unit(unit)
        labels.setdefault("prosecutor", {})[pid or "none"] = prosecutor_cell(ctx, pid)
        labels.setdefault("clock", {})[clock] = ctx.labels.clock(clock)
        labels.setdefault("status", {})[triage] = ctx.labels.code("triage", triage)
        cells = [ctx.unit_cell(unit), prosecutor_cell(ctx, pid), triage_badge(ctx, triage),
                 ctx.labels.clock(clock), r["subject_id"] or "", r["case_id"] or "",
                 fmt_date(r["due_on"]), when_cell(r)]
        if gap:
            steward = ctx.labels.unit(r["steward_unit"])
            system = r["steward_source_system"]
            cells += [Bi(r["gap_detail"] or "", r["gap_detail_en"] or r["gap_detail"] or ""),
                      Markup("{} · {}").format(steward, tech(system)) if system else steward,
                      fmt_date(r["last_activity_on"]) if r["last_activity_on"] else
                      bi("không có", "none")]
        else:
            cells += [Bi(r["explanation"] or "", r["explanation_en"] or r["explanation"] or ""),
                      citation(r["legal_basis"])]
        grid.add(cells, unit=unit, prosecutor=pid or "none", clock=clock, status=triage,
                 due=r["due_on"].isoformat() if r["due_on"] else "")
    return grid


_COLUMNS = ("urgency_rank, triage, is_today, unit_code, prosecutor_id, clock_id, clock, "
            "subject_id, case_id, due_on, status, days_remaining, days_late, is_vks_own, "
            "legal_basis, explanation, explanation_en, last_activity_on, gap_reason, "
            "gap_detail, gap_detail_en, steward_unit, steward_source_system")


def _section(ctx: Context, grid_id: str, where: str, limit: int, *, gap: bool = False,
             per_unit: int | None = None) -> Grid:
    con = ctx.con
    total = query(con, f"select count(*) as n from marts.worklist_triage where {where}")[0]["n"]
    qualify = (f"qualify row_number() over (partition by unit_code order by urgency_rank) "
               f"<= {int(per_unit)}" if per_unit else "")
    rows = query(con, f"select {_COLUMNS} from marts.worklist_triage where {where} {qualify} "
                      f"order by urgency_rank limit {int(limit)}")
    grid = _fill(ctx, _grid(ctx, grid_id, gap=gap), rows, gap=gap)
    grid.total = total
    grid.full = WHOLE_LIST
    if grid_id == "worklist":
        grid.empty = bi("Không có thời hạn quá hạn hoặc sắp đến hạn.",
                        "Nothing overdue or due soon.")
    return grid


BY_PROSECUTOR = """
    select unit_code, prosecutor_id,
           count(*) filter (where status = 'overdue') as overdue,
           count(*) filter (where triage = 'newly_overdue') as newly,
           count(*) filter (where status <> 'overdue') as due_soon,
           max(days_late) filter (where status = 'overdue') as most_late,
           min(urgency_rank) as first_rank
    from marts.worklist_triage where triage <> 'suspected_gap'
    group by all order by overdue desc, most_late desc nulls last, first_rank
"""
BY_UNIT = """
    select unit_code,
           count(*) filter (where status = 'overdue' and triage <> 'suspected_gap') as overdue,
           count(*) filter (where status <> 'overdue') as due_soon,
           count(*) filter (where triage = 'suspected_gap') as gaps,
           count(distinct prosecutor_id) + max(case when prosecutor_id is null then 1
                                                    else 0 end) as prosecutors
    from marts.worklist_triage group by 1 order by overdue desc, unit_code
"""


def _by_prosecutor(ctx: Context) -> Table:
    rows = query(ctx.con, BY_PROSECUTOR)
    table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Kiểm sát viên", "Prosecutor"),
                 bi("Quá hạn", "Overdue"), bi("Mới quá hạn", "Newly overdue"),
                 bi("Sắp đến hạn", "Due soon"), bi("Trễ nhiều nhất (ngày)", "Most days late")],
        rows=[], total=len(rows), numeric={2, 3, 4, 5}, css="by-prosecutor",
        full=FullList("worklist-prosecutors.csv", BY_PROSECUTOR),
    )
    for r in rows[:UNIT_ROWS]:
        table.rows.append([ctx.unit_cell(r["unit_code"]), prosecutor_cell(ctx, r["prosecutor_id"]),
                           fmt_int(r["overdue"]), fmt_int(r["newly"]), fmt_int(r["due_soon"]),
                           fmt_int(r["most_late"]) if r["most_late"] is not None else ""])
    return table


def _by_unit(ctx: Context) -> Table:
    rows = query(ctx.con, BY_UNIT)
    table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Quá hạn", "Overdue"),
                 bi("Đến hạn ≤ 10 ngày", "Due ≤ 10 days"),
                 bi("Nghi thiếu dữ liệu", "Suspected missing data"),
                 bi("Số kiểm sát viên (kể cả chưa phân công)",
                    "Prosecutors (incl. unassigned)"),
                 bi("Tỷ lệ cách ly dữ liệu", "Quarantine rate")],
        rows=[], total=len(rows), numeric={1, 2, 3, 4, 5},
        full=FullList("worklist-units.csv", BY_UNIT),
    )
    for r in rows[:UNIT_ROWS]:
        table.rows.append([ctx.unit_cell(r["unit_code"]), fmt_int(r["overdue"]),
                           fmt_int(r["due_soon"]), fmt_int(r["gaps"]),
                           fmt_int(r["prosecutors"]), ctx.quality_cell(r["unit_code"])])
    return table


def worklist_page(ctx: Context) -> dict[str, Any]:
    counts = query(
        ctx.con,
        """
        select count(*) filter (where status = 'overdue' and triage <> 'suspected_gap')
                   as overdue,
               count(*) filter (where status <> 'overdue') as due_soon,
               count(*) filter (where is_today) as today,
               count(*) filter (where triage = 'suspected_gap') as gaps,
               count(*) filter (where is_vks_own and triage <> 'suspected_gap') as own,
               count(*) filter (where is_vks_own and status = 'overdue'
                                and triage <> 'suspected_gap') as own_overdue,
               count(*) filter (where is_vks_own and triage = 'due_today') as own_today,
               count(*) filter (where is_vks_own and status <> 'overdue') as own_due_soon,
               max(previous_as_of) as previous_as_of
        from marts.worklist_triage
        """,
    )[0]
    return {
        "page_title": Bi("Việc cần làm: quá hạn và đến hạn trong 10 ngày",
                         "Worklist: overdue and due within 10 days"),
        "own_title": Bi("Thời hạn của Viện kiểm sát", "The procuracy's own deadlines"),
        "counts": {k: fmt_int(v) for k, v in counts.items() if k != "previous_as_of"},
        "total_overdue": fmt_int(counts["overdue"]),
        "total_due_soon": fmt_int(counts["due_soon"]),
        "previous_as_of": fmt_date(counts["previous_as_of"]) if counts["previous_as_of"] else "",
        "today_grid": _section(ctx, "today", "is_today", SECTION_ROWS),
        "own_grid": _section(ctx, "own", "is_vks_own and triage <> 'suspected_gap'",
                             SECTION_ROWS),
        "main_grid": _section(ctx, "worklist", "not is_vks_own and triage <> 'suspected_gap'",
                              WORKLIST_ROWS, per_unit=WORKLIST_ROWS_PER_UNIT),
        "gap_grid": _section(ctx, "gaps", "triage = 'suspected_gap'", SECTION_ROWS, gap=True),
        "by_prosecutor": _by_prosecutor(ctx),
        "summary_table": _by_unit(ctx),
        "per_unit_cap": WORKLIST_ROWS_PER_UNIT,
        "charts": [],
        "grids": True,
    }
