"""`worklist.html`: per unit, first the procuracy's own deadlines ("Thời hạn của Viện kiểm
sát": approvals and decisions it owes), then per prosecutor what is overdue and what is due in
the next 10 days, with the one-line explanation (`marts.deadline_watchlist`)."""

from __future__ import annotations

from typing import Any

from pipelines.dashboards.db import column_names, query
from pipelines.dashboards.i18n import Bi, bi, fmt_date, fmt_int
from pipelines.dashboards.model import (
    UNIT_ROWS,
    WORKLIST_ROWS,
    WORKLIST_ROWS_PER_UNIT,
    Context,
    Table,
)


def worklist_page(ctx: Context) -> dict[str, Any]:
    con = ctx.con
    summary = query(
        con,
        """
        select unit_code, prosecutor_id,
               count(*) filter (where status = 'overdue') as overdue,
               count(*) filter (where status <> 'overdue') as due_soon
        from marts.deadline_watchlist group by all order by unit_code, prosecutor_id nulls last
        """,
    )
    wl_cols = set(column_names(con, "marts", "deadline_watchlist"))
    # the procuracy's own deadlines (reference.clock_owners), one group first in every unit
    own = ("w.clock in (select clock from reference.clock_owners "
           "where coalesce(try_cast(is_vks_own as boolean), false))")
    # Most urgent first: the mart's own rank when it has one (outputs.md §1.8).
    urgency = ("w.urgency_rank" if "urgency_rank" in wl_cols else
               "(w.status = 'overdue') desc, w.days_late desc nulls last, "
               "w.days_remaining nulls last")
    en = ("w.explanation_en" if "explanation_en" in wl_cols
          else "d.explanation_en" if "explanation_en" in column_names(con, "marts", "deadlines")
          else "null")
    rows = query(
        con,
        f"""
        select w.unit_code, w.prosecutor_id, w.clock_id, w.clock, w.subject_id, w.due_on,
               w.status, w.days_remaining, w.days_late, w.explanation,
               {en} as explanation_en, d.case_id, {own} as is_vks_own,
               row_number() over (partition by w.unit_code
                                  order by {own} desc, {urgency}, w.clock_id) as rank_in_unit
        from marts.deadline_watchlist w
        left join marts.deadlines d on d.clock_id = w.clock_id
        qualify rank_in_unit <= ?
        order by w.unit_code, {own} desc, w.prosecutor_id nulls last, {urgency}, w.clock_id
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
                                                 "prosecutors": {}, "shown": 0, "own": None})
        unit["shown"] += 1
        headers = [bi("Tình trạng", "Status"), bi("Thời hạn", "Clock"),
                   bi("Đối tượng", "Subject"), bi("Mã vụ án", "Case id"),
                   bi("Hạn", "Due"), bi("Còn / trễ", "Left / late"),
                   bi("Cách tính", "Explanation")]
        if r["is_vks_own"]:  # the procuracy's own deadlines, one group, first
            if unit["own"] is None:
                unit["own"] = Table(headers=[*headers, bi("Kiểm sát viên", "Prosecutor")],
                                    rows=[], css="drill own")
            pros = unit["own"]
        else:
            pros = unit["prosecutors"].setdefault(
                r["prosecutor_id"], Table(headers=headers, rows=[], css="drill"))
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
            *([r["prosecutor_id"] or ""] if r["is_vks_own"] else []),
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
    own_totals = query(
        con,
        f"""
        select count(*) filter (where w.status = 'overdue') as overdue,
               count(*) filter (where w.status <> 'overdue' and w.days_remaining = 0) as today,
               count(*) filter (where w.status <> 'overdue') as due_soon
        from marts.deadline_watchlist w where {own}
        """,
    )[0]
    return {
        "own_title": Bi("Thời hạn của Viện kiểm sát", "The procuracy's own deadlines"),
        "own_overdue": fmt_int(own_totals["overdue"]),
        "own_today": fmt_int(own_totals["today"]),
        "own_due_soon": fmt_int(own_totals["due_soon"]),
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
