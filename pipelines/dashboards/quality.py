"""`quality.html`: data quality per unit and per landed table, the open quarantine and findings,
the run's checks, and the link to the steward report: every number carries its caveat."""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from pipelines.dashboards import charts, check_text
from pipelines.dashboards.db import column_names, query, query_value
from pipelines.dashboards.full_lists import FullList
from pipelines.dashboards.i18n import NA, Bi, bi, fmt_int, fmt_pct, tech, tech_names
from pipelines.dashboards.model import (
    DRILL_ROWS,
    QUALITY_WARN,
    UNIT_ROWS,
    UNIT_TABLES,
    Context,
    Table,
    ratio,
)


def _described_checks(rows: list[dict[str, Any]], empty: Bi, full: FullList) -> Table:
    """Each check as what it protects (one sentence) and its result; the technical name and
    the raw detail in a tooltip."""
    table = Table(
        headers=[bi("Điều được kiểm tra bảo vệ", "What the check protects"),
                 bi("Kết quả", "Result")],
        rows=[], total=len(rows), empty=empty, css="checks", full=full,
    )
    for r in rows[:DRILL_ROWS]:
        title = escape(check_text.tooltip(r))
        table.rows.append([
            Markup(f'<span class="check" title="{title}">'
                   f"{check_text.protects(r['asset'], r['check_name'], r['tool']).__html__()}"
                   "</span>"),
            check_text.result(r),
        ])
    return table


RULES_SQL = """
    select rule, severity,
           count(distinct (batch_id, file_name, row_number))
               filter (where status = 'open') as open_rows,
           count(distinct (batch_id, file_name, row_number))
               filter (where status <> 'open') as resolved_rows
    from marts.quarantine group by all order by open_rows desc, rule
"""
#  the file of the units table: its rows, the highest quarantine rate first
UNITS_SQL = """
    with q as (select unit_code, sum(quarantined) as quarantined, sum(accepted) as accepted
               from marts.quarantine_rates group by 1)
    select unit_code, case when unit_code is not null then quarantined + accepted end
               as rows_landed,
           quarantined as rows_quarantined,
           case when unit_code is not null
                then round(quarantined / nullif(quarantined + accepted, 0), 4) end
               as quarantine_rate
    from q order by quarantine_rate desc nulls last, unit_code nulls first
"""


def quality_page(ctx: Context) -> dict[str, Any]:
    con, labels = ctx.con, ctx.labels
    per_table = query(
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
        ledger.rows.append([check_text.table_label(r["table_name"] or ""), fmt_int(r["files"]),
                            fmt_int(r["refused"]),
                            fmt_int(r["landed"]), fmt_int(r["accepted"]),
                            fmt_int(r["quarantined"]),
                            fmt_pct(ratio(r["quarantined"], r["landed"]), 2)])
    cols = column_names(con, "marts", "batch_ledger")
    #  a ledger without a Vietnamese reason: the refusal code's label, else "refused"
    vi = ("refusal_reason_vi" if "refusal_reason_vi" in cols
          else "null")
    code = "refusal_code" if "refusal_code" in cols else "null"
    culprit_first = ("refusal_code = 'batch_refused', " if "refusal_code" in cols else "")
    refused_sql = (f"select batch_id, file_name, refusal_reason, {vi} as refusal_reason_vi, "
                   f"{code} as refusal_code "
                   f"from marts.batch_ledger where status = 'refused' "
                   f"order by batch_id, {culprit_first}file_name")
    refused = query(con, refused_sql)
    refused_table = Table(
        headers=[bi("Lô", "Batch"), bi("Tệp", "File"), bi("Lý do", "Reason")],
        rows=[[r["batch_id"], tech(r["file_name"] or ""),
               Bi(tech_names(r["refusal_reason_vi"]) if r["refusal_reason_vi"]
                  else labels.code_in(("refusal_reason",), r["refusal_code"]).vi
                  if r["refusal_code"] else labels.code("file_status", "refused").vi,
                  tech_names(r["refusal_reason"] or ""))]
              for r in refused[:DRILL_ROWS]],
        total=len(refused), empty=Bi("Không có lô bị từ chối.", "No refused batches."),
        full=FullList("quality-refused.csv", refused_sql),
    )
    units = sorted(ctx.unit_quality.items(),
                   key=lambda kv: (-(kv[1]["rate"] or 0), kv[0]))
    unit_table = Table(
        headers=[bi("Đơn vị", "Unit"), bi("Dòng tiếp nhận", "Rows landed"),
                 bi("Dòng cách ly", "Rows quarantined"), bi("Tỷ lệ cách ly", "Quarantine rate")],
        rows=[], total=len(units), numeric={1, 2, 3},
        full=FullList("quality-units.csv", UNITS_SQL),
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
    rules = query(con, RULES_SQL)
    rule_table = Table(
        headers=[bi("Quy tắc", "Rule"), bi("Mức độ", "Severity"), bi("Đang mở", "Open"),
                 bi("Đã xử lý", "Resolved")],
        rows=[[labels.code("quarantine_rule", r["rule"]), labels.code("severity", r["severity"]),
               fmt_int(r["open_rows"]), fmt_int(r["resolved_rows"])] for r in rules[:DRILL_ROWS]],
        total=len(rules), numeric={2, 3},
        empty=Bi("Không có dòng bị cách ly.", "No quarantined rows."),
        full=FullList("quality-rules.csv", RULES_SQL),
    )
    findings = query(
        con,
        "select rule, status, count(*) as n from marts.data_findings group by all "
        "order by n desc, rule, status",
    )
    finding_table = Table(
        headers=[bi("Phát hiện", "Finding"), bi("Tình trạng", "Status"), bi("Số lượng", "Count")],
        rows=[[labels.code("finding_rule", r["rule"]), labels.code("finding_status", r["status"]),
               fmt_int(r["n"])]
              for r in findings],
        numeric={2}, empty=Bi("Không có phát hiện.", "No findings."),
    )
    run = ctx.run_id if query_value(
        con, "select count(*) from marts.validation_results where run_id = ?", [ctx.run_id]
    ) else query_value(
        con,
        "select run_id from marts.validation_results group by run_id "
        "order by max(checked_at) desc limit 1",
    )
    checks = query(
        con,
        "select tool, severity, count(*) as n, count(*) filter (where not passed) as failed "
        "from marts.validation_results where run_id = ? group by all order by 1, 2",
        [run],
    )
    check_table = Table(
        headers=[bi("Loại kiểm tra", "Kind of check"), bi("Mức độ", "Severity"),
                 bi("Số kiểm tra", "Checks"), bi("Không đạt", "Failed")],
        rows=[[check_text.tool_label(r["tool"]), check_text.severity_label(r["severity"]),
               fmt_int(r["n"]), fmt_int(r["failed"])] for r in checks],
        numeric={2, 3}, empty=Bi("Chưa có kết quả kiểm tra.", "No check results yet."),
    )
    checks_sql = ("select tool, asset, check_name, severity, passed, failing_count, detail "
                  "from marts.validation_results where run_id = ? {} "
                  "order by passed, severity, asset, check_name")
    evaluated = query(con, checks_sql.format(""), [run])
    failing = [r for r in evaluated if not r["passed"]]
    passing = [r for r in evaluated if r["passed"]]
    failing_table = _described_checks(
        failing, Bi("Mọi kiểm tra đều đạt.", "Every check passed."),
        FullList("quality-checks-failing.csv", checks_sql.format("and not passed"), (run,)))
    passing_table = _described_checks(
        passing, Bi("Chưa có kiểm tra nào đạt.", "No check passed yet."),
        FullList("quality-checks-passing.csv", checks_sql.format("and passed"), (run,)))
    return {
        "page_title": Bi("Chất lượng dữ liệu", "Data quality"),
        "ledger_table": ledger,
        "refused_table": refused_table,
        "unit_table": unit_table,
        "unit_tables_covered": Bi(", ".join(check_text.table_label(t).vi for t in UNIT_TABLES),
                                  ", ".join(check_text.table_label(t).en for t in UNIT_TABLES)),
        "rule_table": rule_table,
        "finding_table": finding_table,
        "check_table": check_table,
        "failing_table": failing_table,
        "passing_table": passing_table,
        "n_passing": fmt_int(len(passing)),
        "check_run": run,
        "quality_warn": fmt_pct(QUALITY_WARN, 0),
        "charts": [unit_chart] if unit_chart else [],
        "unit_chart": unit_chart,
    }
