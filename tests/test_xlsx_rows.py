"""`RowSheet.write_rows` writes the same workbook as xlsxwriter's own cell calls, part for part:
shared strings (the office workbooks) and inline strings (the unit exports), every kind of
value the marts give, text that needs escaping or cutting, sparse rows across the 16-row
blocks of `spans`, more than 26 columns, and several sheets sharing one string table."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from xlsxwriter import Workbook

from pipelines.operations import units
from pipelines.operations.xlsx_rows import RowSheet, UnusualValue

TZ = dt.timezone(dt.timedelta(hours=7))
TEXTS = [
    "plain", "Việt Nam – Đồng Khởi", "a & b < c > d", 'quote "x"', "tab\tinside",
    "new\nline", " leading", "trailing ", "\nnewline first", "ctrl\x01char", "nul\x00",
    "_x0041_ literal", "non\ufffechar", "x" * 40_000, "😀" * 20_000, "a:b", "12:30",
    "ftp without colon", "KSV-1", "VA0500000118",
]
NUMBERS = [0, -5, 10**17, 2**53 + 1, 0.1, 1e-7, 123456789.123, -0.0, 1e300, 3.0, 7]
DATES = [dt.date(2025, 1, 31), dt.datetime(2025, 1, 31, 13, 45, 12, 345678),
         dt.datetime(2025, 6, 30, 8, 0, tzinfo=TZ), dt.date(1900, 2, 28), dt.date(1900, 3, 1),
         dt.datetime(1900, 1, 1, 6, 0)]
OTHERS = [Decimal("12.50"), dt.time(12, 30), [1, 2], True, False, None, ""]


def _rows(n: int, width: int, seed: int) -> list[tuple]:
    rnd = random.Random(seed)
    pool = TEXTS + NUMBERS + DATES + OTHERS
    rows = []
    for i in range(n):
        if i % 23 == 5:
            rows.append((None,) * width)  # a row without cells
            continue
        # some rows only reach part of the columns, so the blocks' spans differ
        reach = width if i % 7 else rnd.randint(1, width)
        rows.append(tuple(rnd.choice(pool) if j < reach and rnd.random() > 0.2 else None
                          for j in range(width)))
    return rows


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of the package but docProps/core.xml (it holds the time of writing)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _office_reference(path: Path, sheets: list[tuple[list[str], list[tuple]]]) -> None:
    """The office workbooks' cell calls (pipelines.operations.office before RowSheet)."""
    workbook = Workbook(str(path), {"remove_timezone": True})
    head = workbook.add_format({"bold": True, "border": 1})
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for k, (headers, rows) in enumerate(sheets):
        ws = workbook.add_worksheet(f"s{k}")
        for j, h in enumerate(headers):
            ws.write_string(0, j, h, head)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, dt.datetime):
                    ws.write_datetime(i, j, value, date)
                elif isinstance(value, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, bool):
                    ws.write_string(i, j, "có" if value else "không")
                elif isinstance(value, int | float):
                    ws.write_number(i, j, value)
                else:
                    ws.write_string(i, j, str(value))
        ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    workbook.close()


def _office_rows(path: Path, sheets: list[tuple[list[str], list[tuple]]]) -> None:
    workbook = Workbook(str(path), {"remove_timezone": True, "in_memory": True})
    head = workbook.add_format({"bold": True, "border": 1})
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for k, (headers, rows) in enumerate(sheets):
        ws = workbook.add_worksheet(f"s{k}", worksheet_class=RowSheet)
        ws.write_rows(0, [headers], cell_format=head)
        ws.write_rows(1, rows, date_format=date, booleans=("có", "không"))
        ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    workbook.close()


def _export_reference(path: Path, names: list[str], rows: list[tuple]) -> None:
    """The unit exports' cell calls (units.write_xlsx before RowSheet)."""
    workbook = Workbook(str(path), {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet("export")
    date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, names)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, dt.date | dt.datetime):
                sheet.write_datetime(i, j, value if isinstance(value, dt.datetime)
                                     else dt.datetime.combine(value, dt.time()), date_fmt)
            elif value is None:
                continue
            elif isinstance(value, bool | int | float | str):
                sheet.write(i, j, value)
            else:
                sheet.write(i, j, str(value))
    workbook.close()


def _export_rows(path: Path, names: list[str], rows: list[tuple]) -> None:
    workbook = Workbook(str(path), {"in_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet("export", worksheet_class=RowSheet)
    sheet.inline_strings = True
    date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_rows(0, [names], tokens=True)
    sheet.write_rows(1, rows, date_format=date_fmt, tokens=True)
    workbook.close()


def test_office_workbooks_are_the_same_part_for_part(tmp_path) -> None:
    sheets = [([f"Cột {j}" for j in range(30)], _rows(90, 30, seed=1)),
              (["Mã", "Ngày"], _rows(40, 2, seed=2)),
              (["Trống"], [])]
    _office_reference(tmp_path / "a.xlsx", sheets)
    _office_rows(tmp_path / "b.xlsx", sheets)
    a, b = _parts(tmp_path / "a.xlsx"), _parts(tmp_path / "b.xlsx")
    assert "xl/sharedStrings.xml" in a and b'spans="' in a["xl/worksheets/sheet1.xml"]
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


def test_unit_exports_are_the_same_part_for_part(tmp_path) -> None:
    rows = [tuple(v for v in row) for row in _rows(70, 28, seed=3)]
    names = [f"col_{j}" for j in range(28)]
    _export_reference(tmp_path / "a.xlsx", names, rows)
    _export_rows(tmp_path / "b.xlsx", names, rows)
    a, b = _parts(tmp_path / "a.xlsx"), _parts(tmp_path / "b.xlsx")
    assert b't="inlineStr"' in a["xl/worksheets/sheet1.xml"]
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


@pytest.mark.parametrize("value", ["=1+2", "{=SUM(A1:A2)}", "http://example.org/x",
                                   "mailto:someone@example.org", "<r>rich</r>"])
def test_what_write_would_not_write_as_plain_text_is_left_to_xlsxwriter(tmp_path,
                                                                        value) -> None:
    with pytest.raises(UnusualValue):
        _export_rows(tmp_path / "b.xlsx", ["x"], [(value,)])
    # the same text in an office sheet is text
    _office_reference(tmp_path / "a.xlsx", [(["x"], [(value,)])])
    _office_rows(tmp_path / "c.xlsx", [(["x"], [(value,)])])
    assert _parts(tmp_path / "a.xlsx") == _parts(tmp_path / "c.xlsx")


def test_a_mart_export_with_such_text_is_written_as_xlsxwriter_writes_it(tmp_path) -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.t as select * from (values "
                "(1, 'plain', date '2025-01-02'), (2, '=1+2', null), "
                "(3, 'http://example.org', date '2025-03-04')) v(n, s, d)")
    assert units.write_xlsx(con, "t", tmp_path / "t.xlsx") == 3
    rows = con.execute("select * from marts.t order by all").fetchall()
    _export_reference(tmp_path / "ref.xlsx", ["n", "s", "d"], rows)
    mine, ref = _parts(tmp_path / "t.xlsx"), _parts(tmp_path / "ref.xlsx")
    assert b"<f>1+2</f>" in mine["xl/worksheets/sheet1.xml"]  # what write() makes of it
    assert mine["xl/worksheets/sheet1.xml"] == ref["xl/worksheets/sheet1.xml"].replace(
        b"export", b"t")


def test_numbers_xlsxwriter_refuses_are_refused(tmp_path) -> None:
    with pytest.raises(TypeError, match="NAN/INF"):
        _export_rows(tmp_path / "b.xlsx", ["x"], [(float("nan"),)])


def test_rows_come_in_order(tmp_path) -> None:
    workbook = Workbook(str(tmp_path / "x.xlsx"), {"in_memory": True})
    ws = workbook.add_worksheet("x", worksheet_class=RowSheet)
    ws.write_rows(0, [["a"], ["b"]])
    with pytest.raises(ValueError, match="row 1"):
        ws.write_rows(1, [["c"]])
    workbook.close()
