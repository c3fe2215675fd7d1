"""Workbooks for the office: what gets printed and signed, or attached to an internal report.

`write_unit_workbook` writes one XLSX per unit (`units/<unit>/<unit>.xlsx`, next to the unit's
pages) with the sheets

- `worklist` ("Việc cần làm"): every clock of `marts.worklist_triage`, most urgent first, with
  its section (today, overdue, due soon, suspected missing data) and the steward to ask;
- `findings` ("Phát hiện vi phạm"): every row of `marts.deadline_findings`;
- `scorecard` ("Bảng điểm phong trào"): the unit's rows of `marts.campaign_scorecard` (read by
  column name, only the columns the mart has);
- `interagency` ("Phối hợp liên ngành"): `marts.interagency_deadlines`.

Every sheet has Vietnamese headers, dates as real Excel dates, an auto-filter, a frozen header
row, the header repeated on each printed page, and prints A4 landscape, one page wide.
`write_sheet_workbook` writes one such sheet alone (`worklist.xlsx`, `interagency.xlsx`
beside the pages). Codes are written as their Vietnamese labels; the legal basis in the
Vietnamese citation form. With the local staff list (`pipelines.dashboards.staff`) a column
gives the prosecutor's name beside the code; the names go to the workbook only.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.dashboards.citation import vi_citation
from pipelines.dashboards.db import column_names, table_names
from pipelines.dashboards.labels import Labels
from pipelines.operations.xlsx_rows import RowSheet

EXCEL_MAX_ROWS = 1_048_575  # one row for the header
A4 = 9  # xlsxwriter paper code


@dataclass
class Column:
    name: str  # the query's column
    header: str  # Vietnamese header
    width: float = 14
    label: Callable[[Any], Any] | None = None  # code -> label, basis -> citation ...


@dataclass
class Sheet:
    name: str  # sheet name (Excel: at most 31 characters)
    title: str  # printed header
    columns: list[Column]
    rows: list[tuple] = field(default_factory=list)


def _labeller(labels: Labels, lst: str) -> Callable[[Any], Any]:
    return lambda code: labels.code(lst, code).vi if code is not None else None


def _select(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[Column],
            where: str = "true", order: str = "1", params: list | None = None) -> list[tuple]:
    sql = (f"select {', '.join(c.name for c in columns)} from marts.{table} where {where} "
           f"order by {order}")
    return con.execute(sql, params or []).fetchmany(EXCEL_MAX_ROWS)


def _with_staff(columns: list[Column], staff: dict[str, str]) -> list[Column]:
    if not staff:
        return columns
    i = next(i for i, c in enumerate(columns) if c.name == "prosecutor_id")
    name = Column("prosecutor_id", "Họ tên kiểm sát viên", 24, lambda p: staff.get(p or ""))
    return [*columns[: i + 1], name, *columns[i + 1:]]


def worklist_sheet(con: duckdb.DuckDBPyConnection, labels: Labels,
                   staff: dict[str, str]) -> Sheet:
    columns = _with_staff([
        Column("urgency_rank", "Thứ tự khẩn", 8),
        Column("triage", "Phân loại", 22, _labeller(labels, "triage")),
        Column("unit_code", "Đơn vị", 12),
        Column("prosecutor_id", "Kiểm sát viên", 12),
        Column("clock", "Thời hạn", 28, lambda c: labels.clock(c).vi),
        Column("subject_type", "Đối tượng", 12, _labeller(labels, "subject_type")),
        Column("subject_id", "Mã đối tượng", 14),
        Column("case_id", "Mã vụ án", 14),
        Column("started_on", "Ngày bắt đầu", 12),
        Column("due_on", "Hạn cuối", 12),
        Column("days_remaining", "Số ngày còn lại", 9),
        Column("days_late", "Số ngày quá hạn", 9),
        Column("legal_basis", "Căn cứ pháp lý", 24, vi_citation),
        Column("explanation", "Cách tính", 40),
        Column("gap_detail", "Lý do nghi thiếu dữ liệu", 40),
        Column("steward_unit", "Hỏi cán bộ quản lý dữ liệu của", 14),
        Column("last_activity_on", "Hoạt động gần nhất", 12),
    ], staff)
    return Sheet("worklist", "Việc cần làm", columns,
                 _select(con, "worklist_triage", columns, order="urgency_rank"))


def findings_sheet(con: duckdb.DuckDBPyConnection, labels: Labels) -> Sheet:
    cols = set(column_names(con, "marts", "deadline_findings"))
    columns = [
        Column("rule", "Phát hiện", 28, _labeller(labels, "finding_rule")),
        Column("severity", "Mức độ", 10,
               {"error": "vi phạm", "warn": "cảnh báo", "unknown": "chưa rõ"}.get),
        Column("unit_code", "Đơn vị", 12),
        Column("subject_type", "Đối tượng", 12, _labeller(labels, "subject_type")),
        Column("subject_id", "Mã đối tượng", 14),
        Column("case_id", "Mã vụ án", 14),
        *([Column("order_id", "Lệnh", 14)] if "order_id" in cols else []),
        *([Column("dated_on", "Ngày vi phạm", 12)] if "dated_on" in cols else []),
        Column("detail", "Chi tiết", 50),
        Column("legal_basis", "Căn cứ pháp lý", 24, vi_citation),
        Column("finding_id", "Mã phát hiện", 20),
    ]
    return Sheet("findings", "Phát hiện vi phạm về thời hạn", columns,
                 _select(con, "deadline_findings", columns,
                         order="severity = 'error' desc, unit_code, rule, finding_id"))


#  campaign_scorecard columns shown when the mart has them, in this order
SCORECARD_COLUMNS = (
    ("unit_code", "Đơn vị", 12, None),
    ("hierarchy", "Cách tính đơn vị", 12, None),
    ("period_kind", "Loại kỳ", 18, "period_kind"),
    ("period_start", "Từ ngày", 12, None),
    ("period_end", "Đến ngày", 12, None),
    ("pillar_name_vi", "Nội dung phong trào", 30, None),
    ("indicator_name_vi", "Chỉ tiêu", 36, None),
    ("value", "Kết quả", 10, None),
    ("target_comparator", "So sánh", 8, None),
    ("target_value", "Chỉ tiêu đặt ra", 10, None),
    ("target_is_confirmed", "Chỉ tiêu đã xác nhận", 10, None),
    ("is_complete", "Kỳ đã kết thúc", 10, None),
    ("target_status", "Đánh giá", 16, "target_status"),
    ("source", "Nguồn", 12, None),
)


def scorecard_sheet(con: duckdb.DuckDBPyConnection, labels: Labels, unit: str | None) -> Sheet:
    present = set(column_names(con, "marts", "campaign_scorecard"))
    columns = [Column(n, h, w, _labeller(labels, lst) if lst else None)
               for n, h, w, lst in SCORECARD_COLUMNS if n in present]
    where, params = "true", []
    if unit is not None and "unit_code" in present:
        where, params = "unit_code = ?", [unit]
    if "hierarchy" in present:
        where += " and hierarchy = 'as_is'"
    order = ", ".join(c for c in ("unit_code", "period_kind", "period_start", "pillar",
                                  "indicator_code") if c in present) or "1"
    return Sheet("scorecard", "Bảng điểm phong trào", columns,
                 _select(con, "campaign_scorecard", columns, where, order, params))


def interagency_sheet(con: duckdb.DuckDBPyConnection, labels: Labels,
                      staff: dict[str, str]) -> Sheet:
    columns = _with_staff([
        Column("agency", "Cơ quan", 22, _labeller(labels, "body")),
        Column("unit_code", "Đơn vị", 12),
        Column("phase", "Giai đoạn", 16, _labeller(labels, "interagency_phase")),
        Column("clock", "Thời hạn", 28, lambda c: labels.clock(c).vi),
        Column("case_id", "Mã vụ án", 14),
        Column("prosecutor_id", "Kiểm sát viên", 12),
        Column("started_on", "Ngày bắt đầu", 12),
        Column("due_on", "Hạn cuối", 12),
        Column("status", "Tình trạng", 18, _labeller(labels, "clock_status")),
        Column("days_remaining", "Số ngày còn lại", 9),
        Column("days_late", "Số ngày quá hạn", 9),
        Column("legal_basis", "Căn cứ pháp lý", 24, vi_citation),
        Column("explanation", "Cách tính", 40),
    ], staff)
    return Sheet("interagency", "Danh sách vụ án cần phối hợp liên ngành", columns,
                 _select(con, "interagency_deadlines", columns,
                         order="agency, unit_code, (status = 'overdue') desc, due_on, clock_id"))


def _labelled(sheet: Sheet) -> Iterator[Sequence[Any]]:
    """The sheet's rows with each code as its label (`Column.label`, a function of the code
    alone: each code is looked up once per sheet)."""
    labels = [(j, col.label, {}) for j, col in enumerate(sheet.columns)
              if col.label is not None]
    for row in sheet.rows:
        if len(row) != len(sheet.columns):
            raise ValueError(f"sheet {sheet.name}: a row of {len(row)} values for "
                             f"{len(sheet.columns)} columns")
        if labels:
            row = list(row)
            for j, label, seen in labels:
                code = row[j]
                if code is None:
                    continue
                try:
                    row[j] = seen[code]
                except KeyError:
                    row[j] = seen[code] = label(code)
                except TypeError:  # not hashable
                    row[j] = label(code)
        yield row


def write_workbook(path: Path, sheets: Sequence[Sheet], *, subtitle: str = "") -> Path:
    """Write the sheets (to a temporary name, then renamed)."""
    from xlsxwriter import Workbook

    tmp = path.with_name(f".{path.name}.tmp")
    workbook = Workbook(str(tmp), {"remove_timezone": True, "in_memory": True})
    try:
        head = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                    "bg_color": "#EEF1F5", "border": 1})
        date = workbook.add_format({"num_format": "dd/mm/yyyy"})
        for sheet in sheets:
            ws = workbook.add_worksheet(sheet.name[:31], worksheet_class=RowSheet)
            ws.set_landscape()
            ws.set_paper(A4)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(0)
            ws.set_header(f"&L&B{sheet.title}&R{subtitle}")
            ws.set_footer("&RTrang &P/&N")
            for j, col in enumerate(sheet.columns):
                ws.set_column(j, j, col.width)
            ws.write_rows(0, [[col.header for col in sheet.columns]], cell_format=head)
            ws.write_rows(1, _labelled(sheet), date_format=date, booleans=("có", "không"))
            ws.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.columns) - 1, 0))
            ws.freeze_panes(1, 0)
        workbook.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_unit_workbook(con: duckdb.DuckDBPyConnection, unit: str, path: Path, *,
                        staff: dict[str, str] | None = None, as_of: dt.date | None = None) -> Path:
    """The unit's workbook: worklist, findings, scorecard and inter-agency sheets, from a
    warehouse already cut down to the unit's scope (`units.scoped_copy`)."""
    labels = Labels(con)
    staff = staff or {}
    present = table_names(con, "marts")
    sheets = [worklist_sheet(con, labels, staff), findings_sheet(con, labels)]
    if "campaign_scorecard" in present:
        sheets.append(scorecard_sheet(con, labels, unit))
    sheets.append(interagency_sheet(con, labels, staff))
    subtitle = labels.unit(unit).vi + (f" · số liệu đến {as_of:%d/%m/%Y}" if as_of else "")
    return write_workbook(path, sheets, subtitle=subtitle)
