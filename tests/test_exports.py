"""The office workbooks: one XLSX per unit next to its pages (`units/<unit>/<unit>.xlsx`),
`worklist.xlsx` and `interagency.xlsx` beside the pages. Each is opened with openpyxl:
sheets, Vietnamese headers, real dates, auto-filter, frozen header, A4 landscape, and the
totals against the marts."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from given import worklist_warehouse

from pipelines import paths
from pipelines.operations.units import unit_scopes, write_unit_bundles

AS_OF = dt.date(2025, 12, 31)
SHEETS = ["worklist", "findings", "scorecard", "interagency"]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles")
    con = worklist_warehouse(AS_OF)
    written = write_unit_bundles(con, out, run_id="run-x", as_of=AS_OF)
    yield {"con": con, "written": written, "out": out}
    con.close()


def _check_layout(ws) -> None:
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9  # A4
    assert ws.print_title_rows == "$1:$1"


def _count(con, sql: str, params: list) -> int:
    return con.execute(sql, params).fetchone()[0]


def test_every_unit_has_its_workbook_with_the_marts_totals(bundles) -> None:
    con, written = bundles["con"], bundles["written"]
    scopes = unit_scopes(con)
    assert set(written) == set(scopes)
    checked_rows = 0
    for unit, folder in written.items():
        path = folder / f"{unit}.xlsx"
        assert path.exists(), unit
        assert (folder / "worklist.html").exists() and (folder / "worklist.xlsx").exists()
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == SHEETS, unit
        for ws in book.worksheets:
            _check_layout(ws)
        scope = scopes[unit]
        ws = book["worklist"]
        headers = [c.value for c in ws[1]]
        assert headers[:4] == ["Thứ tự khẩn", "Phân loại", "Đơn vị", "Kiểm sát viên"], unit
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert len(rows) == _count(con, "select count(*) from marts.worklist_triage "
                                        "where list_contains(?, unit_code)", [scope]), unit
        due = headers.index("Hạn cuối")
        assert all(isinstance(r[due], dt.datetime) for r in rows)
        for r in rows:
            (expected,) = con.execute(
                "select due_on from marts.worklist_triage where urgency_rank = ?",
                [r[0]]).fetchone()
            assert r[due].date() == expected
        assert ws.cell(row=2, column=due + 1).number_format == "dd/mm/yyyy" if rows else True
        findings = list(book["findings"].iter_rows(min_row=2, values_only=True))
        assert len(findings) == _count(con, "select count(*) from marts.deadline_findings "
                                            "where list_contains(?, unit_code)", [scope]), unit
        assert [c.value for c in book["findings"][1]][:2] == ["Phát hiện", "Mức độ"]
        inter = list(book["interagency"].iter_rows(min_row=2, values_only=True))
        assert len(inter) == _count(con, "select count(*) from marts.interagency_deadlines "
                                         "where list_contains(?, unit_code)", [scope]), unit
        score = list(book["scorecard"].iter_rows(min_row=2, values_only=True))
        assert len(score) == _count(con, "select count(*) from marts.campaign_scorecard "
                                         "where unit_code = ? and hierarchy = 'as_is'",
                                    [unit]), unit
        checked_rows += len(rows) + len(findings) + len(inter) + len(score)
    assert checked_rows > 0


def test_the_workbook_speaks_vietnamese(bundles) -> None:
    con, written = bundles["con"], bundles["written"]
    (unit,) = con.execute("select unit_code from marts.deadline_findings "
                          "where rule = 'held_without_order'").fetchone()
    book = openpyxl.load_workbook(written[unit] / f"{unit}.xlsx")
    worklist = list(book["worklist"].iter_rows(values_only=True))
    text = " ".join(str(v) for r in worklist for v in r if v is not None)
    assert "Nghi thiếu dữ liệu" in text and "Mới quá hạn từ lần chạy trước" in text
    assert "suspected_gap" not in text and "Art." not in text
    findings = list(book["findings"].iter_rows(min_row=2, values_only=True))
    assert any(r[0] == "Giam giữ không có lệnh" and r[1] == "vi phạm" for r in findings)
    dates = [r[7] for r in findings]  # Ngày vi phạm
    assert all(isinstance(d, dt.datetime) for d in dates)
    score_headers = [c.value for c in book["scorecard"][1]]
    assert "Chỉ tiêu" in score_headers and "Đánh giá" in score_headers
    inter = list(book["interagency"].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in inter} <= {"Cơ quan điều tra", "Viện kiểm sát", "Tòa án"}
    assert inter and all(isinstance(r[7], dt.datetime) for r in inter)


def test_names_from_the_local_staff_list_only_in_the_workbook(bundles, tmp_path,
                                                              monkeypatch) -> None:
    from pipelines.dashboards.staff import load_staff
    from pipelines.operations.office import write_unit_workbook

    staff = tmp_path / "staff.csv"
    staff.write_text("prosecutor_id,full_name,title\nKSV-2,Lê Thị Hồ Sơ,Kiểm sát viên\n",
                     encoding="utf-8")
    monkeypatch.setattr(paths, "LOCAL_STAFF", staff)
    path = write_unit_workbook(bundles["con"], "VLG-R1", tmp_path / "VLG-R1.xlsx",
                               staff=load_staff(), as_of=AS_OF)
    ws = openpyxl.load_workbook(path)["worklist"]
    headers = [c.value for c in ws[1]]
    i = headers.index("Họ tên kiểm sát viên")
    assert headers[i - 1] == "Kiểm sát viên"
    names = {r[i] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "Lê Thị Hồ Sơ (Kiểm sát viên)" in names


def test_pages_have_the_whole_lists_as_workbooks(bundles) -> None:
    con = bundles["con"]
    (unit,) = con.execute("select unit_code from marts.worklist_triage limit 1").fetchone()
    folder = bundles["written"][unit]
    for name, mart in (("worklist.xlsx", "worklist_triage"),
                       ("interagency.xlsx", "interagency_deadlines")):
        book = openpyxl.load_workbook(folder / name)
        assert len(book.worksheets) == 1
        _check_layout(book.worksheets[0])
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
        scope = unit_scopes(con)[unit]
        assert len(rows) == con.execute(f"select count(*) from marts.{mart} "
                                        "where list_contains(?, unit_code)",
                                        [scope]).fetchone()[0]
