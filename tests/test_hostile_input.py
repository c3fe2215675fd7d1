"""Hostile and broken input: every probe ends as a ledger row (loaded, quarantined, refused or
ignored), never a dead process, and nothing of it leaks into what people open.

Every file is built by the test in tmp_path; caps are set small where a real attack would be
big.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter

from pipelines.ingest import ingest_landing
from pipelines.ingest.limits import Limits
from pipelines.safe_output import csv_cell, escape_script_json, script_json

AS_OF = dt.date(2024, 3, 31)
B1, B2 = "20240320T0100", "20240321T0100"

CASES_HEADER = ["case_id", "unit_code", "instituted_date", "penal_code_article",
                "crime_category", "updated_at"]


def case(case_id: str = "C1", **over: str) -> dict[str, str]:
    row = {"case_id": case_id, "unit_code": "BTR-TP", "instituted_date": "2024-03-10",
           "penal_code_article": "173", "crime_category": "serious",
           "updated_at": "2024-03-15 08:00"}
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = header or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def write_xlsx(path: Path, cells: dict[tuple[int, int], str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for (r, c), v in cells.items():
        ws.write_string(r, c, v)
    wb.close()
    return path


def rewrite_sheet(path: Path, edit) -> None:
    """Rewrite the first sheet's XML of a workbook (to plant what xlsxwriter would not)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            dst.writestr(info.filename, data)
    path.write_bytes(buf.getvalue())


def run(con, landing: Path, **limits) -> None:
    ingest_landing(con, landing, log=lambda *_: None, as_of=AS_OF,
                   limits=Limits(**limits) if limits else None)


def ledger(con) -> dict[tuple[str, str], dict]:
    cur = con.execute("select * from raw.batch_ledger order by batch_id, file_name")
    names = [d[0] for d in cur.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def quarantine(con) -> list[dict]:
    cur = con.execute("select * from raw.quarantine order by row_number, column_name, rule")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def count(con, table: str) -> int:
    return con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]


# --- bounded reading ------------------------------------------------------------------------


def test_sparse_workbook_is_refused_before_the_reader_sees_it(con, tmp_path, monkeypatch):
    """A1 and XFD1048576: the reader would allocate hundreds of GB and abort the process."""
    landing = tmp_path / "landing"
    header = dict(((0, i), h) for i, h in enumerate(CASES_HEADER))
    write_xlsx(landing / B1 / "cases.xlsx", {**header, (1048575, 16383): "x"})
    # The same attack with a lying <dimension>: the used extent is what counts.
    liar = write_xlsx(landing / B2 / "cases.xlsx", {**header, (1048575, 150): "x"})
    rewrite_sheet(liar, lambda xml: re.sub(rb'<dimension ref="[^"]+"/>',
                                           b'<dimension ref="A1:F1"/>', xml))
    write_csv(landing / B1 / "crime_reports.csv", [{
        "report_id": "R1", "unit_code": "BTR-TP", "source_type": "denunciation",
        "received_date": "2024-03-01", "handling_body": "cqdt",
        "updated_at": "2024-03-01 08:00"}])

    from pipelines.ingest import read

    def never(*a, **k):
        raise AssertionError("the XLSX reader was called on a hostile workbook")

    monkeypatch.setattr(read, "read_isolated", never)
    run(con, landing)
    rows = ledger(con)
    sparse = rows[(B1, "cases.xlsx")]
    assert (sparse["status"], sparse["refusal_code"]) == ("refused", "too_large")
    assert "max_columns" in sparse["refusal_reason"]
    assert sparse["rows_landed"] is None
    lying = rows[(B2, "cases.xlsx")]
    assert lying["refusal_code"] == "too_large"
    assert "used range" in lying["refusal_reason"] and "max_sheet_cells" in lying[
        "refusal_reason"]
    # The contract's rule for a refused file: the rest of the batch loads.
    assert rows[(B1, "crime_reports.csv")]["status"] == "loaded"
    assert count(con, "crime_reports") == 1 and count(con, "cases") == 0


def test_a_reader_that_would_abort_dies_alone_in_its_child_process(con, tmp_path,
                                                                   monkeypatch):
    """The second wall: with the pre-check switched off, the sparse workbook reaches the
    reader, which aborts on its memory limit in the child; this process refuses the file."""
    from pipelines.ingest import read

    landing = tmp_path / "landing"
    write_xlsx(landing / B1 / "cases.xlsx", {(0, 0): "case_id", (1048575, 16383): "x"})
    monkeypatch.setattr(read, "check_workbook", lambda *a, **k: None)
    run(con, landing, max_reader_memory_bytes=1 << 30)
    row = ledger(con)[(B1, "cases.xlsx")]
    assert (row["status"], row["refusal_code"]) == ("refused", "unreadable_file")
    assert "the XLSX reader failed" in row["refusal_reason"]
    assert "memory limit of 1,073,741,824 bytes" in row["refusal_reason"]


def test_cells_that_name_no_position_are_counted(con, tmp_path):
    """Cells may omit `r` (the reader places them one after another): 300 of them in one row
    span 300 columns whatever the declared range says."""
    landing = tmp_path / "landing"
    path = write_xlsx(landing / B1 / "cases.xlsx", {(0, 0): "case_id"})
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * 300
    rewrite_sheet(path, lambda xml: re.sub(rb"<sheetData>.*</sheetData>",
                                           b"<sheetData><row>" + cells + b"</row></sheetData>",
                                           xml, flags=re.S))
    run(con, landing)
    row = ledger(con)[(B1, "cases.xlsx")]
    assert row["refusal_code"] == "too_large" and "max_columns" in row["refusal_reason"]


def _bomb(path: Path) -> Path:
    """A valid one-row workbook whose sheet holds megabytes of padding that packs tiny."""
    write_xlsx(path, {**{(0, i): h for i, h in enumerate(CASES_HEADER)},
                      **{(1, i): v for i, v in enumerate(case().values())}})
    rewrite_sheet(path, lambda xml: xml.replace(b"</worksheet>",
                                                b" " * (8 << 20) + b"</worksheet>"))
    return path


def test_compression_bomb_is_refused_by_ratio_and_by_unpacked_size(con, tmp_path):
    landing = tmp_path / "landing"
    _bomb(landing / B1 / "cases.xlsx")
    run(con, landing)
    row = ledger(con)[(B1, "cases.xlsx")]
    assert row["refusal_code"] == "too_large" and "max_zip_ratio" in row["refusal_reason"]

    # With the ratio cap out of the way, the unpacked-size cap still holds.
    con.execute("delete from raw.batch_ledger")
    run(con, landing, max_zip_ratio=10**9, max_uncompressed_bytes=1 << 20)
    row = ledger(con)[(B1, "cases.xlsx")]
    assert row["refusal_code"] == "too_large"
    assert "max_uncompressed_bytes" in row["refusal_reason"]
    assert count(con, "cases") == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_row_cap_refuses_a_long_file_in_every_format(con, tmp_path, fmt):
    landing = tmp_path / "landing"
    rows = [case(f"C{i}") for i in range(12)]
    path = landing / B1 / f"cases.{fmt}"
    if fmt == "csv":
        write_csv(path, rows)
    elif fmt == "xlsx":
        cells = {(0, j): h for j, h in enumerate(CASES_HEADER)}
        cells.update({(i + 1, j): r[h] for i, r in enumerate(rows)
                      for j, h in enumerate(CASES_HEADER)})
        write_xlsx(path, cells)
    else:
        path.parent.mkdir(parents=True)
        pl.DataFrame(rows).write_parquet(path)
    run(con, landing, max_rows=10)
    row = ledger(con)[(B1, f"cases.{fmt}")]
    assert (row["status"], row["refusal_code"]) == ("refused", "too_large")
    assert "max_rows" in row["refusal_reason"]
    assert count(con, "cases") == 0 and not quarantine(con)


@pytest.mark.parametrize("cap,limits,content", [
    ("max_file_bytes", {"max_file_bytes": 100}, None),
    ("max_columns", {"max_columns": 5}, None),
    ("max_field_chars", {"max_field_chars": 50}, "x" * 51),
])
def test_file_size_columns_and_field_length_caps(con, tmp_path, cap, limits, content):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [case(crime_category=content or "serious")])
    run(con, landing, **limits)
    row = ledger(con)[(B1, "cases.csv")]
    assert row["refusal_code"] == "too_large" and cap in row["refusal_reason"]
    assert "tệp cases.csv vượt giới hạn đọc" in row["refusal_reason_vi"].lower()


def test_a_reader_that_breaks_refuses_its_file_only(con, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [case()])
    write_csv(landing / B1 / "crime_reports.csv", [{
        "report_id": "R1", "unit_code": "BTR-TP", "source_type": "denunciation",
        "received_date": "2024-03-01", "handling_body": "cqdt",
        "updated_at": "2024-03-01 08:00"}])
    from pipelines.ingest import load

    real = load.map_headers

    def explode(landed, table):
        if table == "cases":
            raise MemoryError("the reader ran out of memory")
        return real(landed, table)

    monkeypatch.setattr(load, "map_headers", explode)
    run(con, landing)
    rows = ledger(con)
    assert rows[(B1, "cases.csv")]["refusal_code"] == "unreadable_file"
    assert "MemoryError" in rows[(B1, "cases.csv")]["refusal_reason"]
    assert rows[(B1, "crime_reports.csv")]["status"] == "loaded"


# --- links and entries that are not read ----------------------------------------------------


def test_symlinks_are_refused_and_never_opened(con, tmp_path):
    outside = tmp_path / "outside"
    secret = write_csv(outside / "cases.csv", [case("SECRET")])
    write_csv(outside / "batch" / "cases.csv", [case("ALSO-SECRET")])
    landing = tmp_path / "landing"
    (landing / B1).mkdir(parents=True)
    (landing / B1 / "cases.csv").symlink_to(secret)
    (landing / B1 / "persons.csv").symlink_to("/etc/passwd")
    (landing / B2).symlink_to(outside / "batch", target_is_directory=True)
    (landing / "_reference").mkdir()
    (landing / "_reference" / "units.csv").symlink_to("/etc/passwd")
    run(con, landing)
    from pipelines.reference.load import merge_landing_reference

    units = con.execute("select count(*) from reference.units").fetchall()
    merge_landing_reference(con, landing)  # the link is not followed: no error, no new unit
    assert con.execute("select count(*) from reference.units").fetchall() == units
    rows = ledger(con)
    for key in [(B1, "cases.csv"), (B1, "persons.csv"), (B2, f"{B2}/"),
                ("_reference", "units.csv")]:
        assert rows[key]["status"] == "refused", key
        assert rows[key]["refusal_code"] == "not_a_regular_file", key
        assert rows[key]["sha256"] is None, key  # never opened, not even to hash it
    assert count(con, "cases") == 0 and count(con, "persons") == 0
    assert not quarantine(con)


def test_every_entry_that_is_not_read_leaves_a_ledger_row_once(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [case()])
    write_csv(landing / B1 / "sub" / "cases.csv", [case("C-SUB")])
    (landing / B1 / ".DS_Store").write_bytes(b"\x00\x01")
    (landing / B1 / "readme.txt").write_text("notes", encoding="utf-8")
    write_csv(landing / ".hidden" / "cases.csv", [case("C-HIDDEN")])
    write_csv(landing / "_staging" / "cases.csv", [case("C-UNDERSCORE")])
    (landing / "notes.txt").write_text("root file", encoding="utf-8")
    (landing / ".env").write_text("root dot-file", encoding="utf-8")
    lines: list[str] = []
    ingest_landing(con, landing, log=lines.append, as_of=AS_OF)
    rows = ledger(con)
    expected = {
        (B1, "sub/"): "sub_folder",
        (B1, ".DS_Store"): "hidden_entry",
        (B1, "readme.txt"): "unsupported_format",
        (".hidden", ".hidden/"): "hidden_entry",
        ("_staging", "_staging/"): "not_a_batch_folder",
        ("(landing)", "notes.txt"): "not_in_a_batch",
        ("(landing)", ".env"): "hidden_entry",
    }
    for key, code in expected.items():
        assert (rows[key]["status"], rows[key]["refusal_code"]) == ("ignored", code), key
        assert rows[key]["refusal_reason"] and rows[key]["refusal_reason_vi"]
        assert any(key[1].rstrip("/") in line and "ignored" in line for line in lines), key
    assert rows[(B1, "cases.csv")]["status"] == "loaded"
    assert con.execute("select case_id from raw.cases").fetchall() == [("C1",)]
    # Recorded once, not every night.
    before = con.execute("select count(*) from raw.batch_ledger").fetchall()
    run(con, landing)
    assert con.execute("select count(*) from raw.batch_ledger").fetchall() == before


# --- plausible values -----------------------------------------------------------------------


def test_implausible_dates_and_a_future_updated_at_are_quarantined(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [
        case("C1", instituted_date="0999-01-01"),
        case("C2", instituted_date="9999-12-31"),
        case("C3", updated_at="2099-01-01 00:00"),
        case("C4", instituted_date="1950-06-01"),
    ])
    write_csv(landing / B1 / "persons.csv", [
        {"person_id": "P1", "case_id": "C4", "birth_date": "1938-02-03",
         "updated_at": "2024-03-15 08:00"},
        {"person_id": "P2", "case_id": "C4", "birth_date": "1890-02-03",
         "updated_at": "2024-03-15 08:00"},
    ])
    run(con, landing)
    q = {(r["record_id"], r["column_name"]): r for r in quarantine(con)}
    assert q[("C1", "instituted_date")]["rule"] == "implausible_date"
    assert q[("C1", "instituted_date")]["raw_value"] == "0999-01-01"
    assert q[("C2", "instituted_date")]["rule"] == "implausible_date"
    assert q[("C3", "updated_at")]["rule"] == "future_updated_at"  # only that rule
    assert "1945-01-01 – 2025-03-31" in q[("C1", "instituted_date")]["message_en"]
    assert "01/01/1945 – 31/03/2025" in q[("C1", "instituted_date")]["message_vi"]
    assert q[("P2|C4", "birth_date")]["rule"] == "implausible_date"
    assert q[("P2|C4", "birth_date")]["raw_value"] == "***"  # personal data stays masked
    assert sorted(con.execute("select case_id from raw.cases").fetchall()) == [("C4",)]
    assert con.execute("select person_id from raw.persons").fetchall() == [("P1",)]

    # The 2099 version never reached raw, so a later correction is the current version.
    write_csv(landing / B2 / "cases.csv", [case("C3", updated_at="2024-03-20 09:00")])
    run(con, landing)
    assert con.execute("select updated_at from raw.cases where case_id = 'C3'").fetchall() == [
        (dt.datetime(2024, 3, 20, 9, 0),)]


def test_future_updated_at_is_measured_from_the_manifest_export_time(con, tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "nightly-export"  # no time in the batch id
    write_csv(folder / "cases.csv", [case("C1", updated_at="2024-03-16 00:30"),
                                     case("C2", updated_at="2024-03-17 08:00")])
    (folder / "_manifest.json").write_text(
        '{"contract_version": 1, "exported_at": "2024-03-15T01:00:00+07:00", "files": {}}',
        encoding="utf-8")
    run(con, landing)
    q = quarantine(con)
    assert [(r["record_id"], r["rule"]) for r in q] == [("C2", "future_updated_at")]


def test_date_bounds_are_configuration(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [case("C1", instituted_date="1999-12-31")])
    run(con, landing, earliest_date=dt.date(2000, 1, 1))
    assert [r["rule"] for r in quarantine(con)] == ["implausible_date"]


def test_unknown_unit_is_quarantined_with_the_nearest_valid_codes(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [case("C1", unit_code="BTR-TPX"), case("C2")])
    run(con, landing)
    (r,) = quarantine(con)
    assert (r["record_id"], r["column_name"], r["rule"]) == ("C1", "unit_code",
                                                             "unknown_reference")
    assert "nearest valid codes: BTR-TP" in r["message_en"]
    assert "các mã hợp lệ gần nhất: BTR-TP" in r["message_vi"]
    assert con.execute("select case_id from raw.cases").fetchall() == [("C2",)]
    units = {u for (u,) in con.execute("select unit_code from reference.units").fetchall()}
    assert "BTR-TPX" not in units


# --- masking by content ---------------------------------------------------------------------


def test_a_name_or_id_number_in_any_column_is_masked(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / B1 / "persons.csv", [
        {"person_id": "P1", "case_id": "C1", "sex": "Nguyễn Văn Hòa",
         "updated_at": "2024-03-15 08:00"},
        {"person_id": "P2", "case_id": "C1", "sex": "079 123 456 789",
         "updated_at": "2024-03-15 08:00"},
        {"person_id": "P3", "case_id": "C1", "sex": "Male", "updated_at": "2024-03-15 08:00"},
    ], header=["person_id", "case_id", "sex", "updated_at"])
    write_csv(landing / B1 / "cases.csv", [case("Trần Thị Thủy", crime_category="bad")])
    write_csv(landing / B1 / "manual_scores.csv", [{
        "score_id": "S1", "unit_code": "BTR-TP", "indicator_code": "x", "period_kind": "year",
        "period_start": "2024-01-01", "value": "abc", "note": "Lê Văn Tám nói",
        "updated_at": "2024-03-15 08:00"}])
    run(con, landing)
    q = {(r["table_name"], r["record_id"], r["column_name"]): r for r in quarantine(con)}
    assert q[("persons", "P1|C1", "sex")]["raw_value"] == "***"
    assert q[("persons", "P2|C1", "sex")]["raw_value"] == "***"
    assert q[("persons", "P3|C1", "sex")]["raw_value"] == "Male"  # a wrong code stays visible
    assert q[("cases", "***", "crime_category")]["raw_value"] == "bad"  # the name as key: masked
    assert q[("manual_scores", "S1", "value")]["raw_value"] == "abc"
    text = " ".join(str(v) for r in quarantine(con) for v in r.values())
    for personal in ("Nguyễn", "123 456", "Trần", "Lê Văn"):
        assert personal not in text


# --- safe outputs ---------------------------------------------------------------------------


def test_formula_cells_are_neutralised_in_the_steward_csv(con, build, tmp_path):
    from pipelines.quality import report as steward

    landing = tmp_path / "landing"
    formulas = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
                "\tTAB", "ok\u202egnp.exe", "nul\x00byte"]
    write_csv(landing / B1 / "crime_reports.csv", [
        {"report_id": f"R{i}", "unit_code": "BTR-TP", "source_type": v,
         "received_date": "2024-03-01", "handling_body": "cqdt",
         "updated_at": "2024-03-01 08:00"} for i, v in enumerate(formulas)])
    run(con, landing)
    build(AS_OF, only=["marts.batch_ledger", "marts.quarantine", "marts.data_findings"])
    _, page, exports = steward.write_steward_report(con, tmp_path / "out", run_id="r1",
                                                    as_of=AS_OF)
    (export,) = exports
    rows = list(csv.DictReader(export.read_text(encoding="utf-8-sig").splitlines()))
    values = sorted(r["Giá trị gốc (raw_value)"] for r in rows)
    assert len(values) == len(formulas)
    for v in values:
        assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), v
    assert "'=HYPERLINK(\"http://x\",\"y\")" in values and "'@SUM(1+1)" in values
    assert "ok[U+202E]gnp.exe" in values and "nulbyte" in values
    html = page.read_text(encoding="utf-8")
    assert "\u202e" not in html and "\x00" not in html
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_cells_and_page_data_encoders():
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("\rx") == "'\rx"
    assert csv_cell(-5) == -5 and csv_cell(None) is None  # numbers are not text
    assert csv_cell("x" * 600).endswith("…") and len(csv_cell("x" * 600)) == 500
    encoded = script_json({"label": "<!--<script></script>&\u2028\u2029"})
    assert not re.search("[<>&\u2028\u2029]", encoded)
    assert '\\u003c!--\\u003cscript\\u003e' in encoded
    assert escape_script_json('{"a":"</script>"}') == '{"a":"\\u003c/script\\u003e"}'


def test_script_opening_value_in_chart_data_cannot_break_the_page(tmp_path):
    from test_dashboards import RUN_ID, _warehouse

    from pipelines.dashboards import pages as dash

    con = _warehouse(tmp_path / "w.duckdb")
    evil = '<!--<script>alert(1)</script>'
    con.execute("update marts.quarantine set unit_code = ?", [evil])
    con.execute("update marts.quarantine_rates set unit_code = ?", [evil])
    con.execute("update reference.units set name_vi = ? where unit_code = 'BTR-TP'", [evil])
    written = dash.render_pages(con, tmp_path / "out", run_id=RUN_ID, as_of=AS_OF)
    con.close()
    for name, path in written.items():
        html = path.read_text(encoding="utf-8")
        scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        data = [s for s in scripts if "const PAGE" in s]
        assert data, name
        assert "<!--" not in data[0] and "<script" not in data[0], name
        # Every <script> opened is closed by its own end tag (nothing swallowed).
        assert len(re.findall(r"<script(?:\s[^>]*)?>", html)) == html.count("</script>"), name
    quality = written["quality.html"].read_text(encoding="utf-8")
    assert "\\u003c!--\\u003cscript\\u003e" in quality  # the value is in the chart data


# --- property: any bytes, any cells ---------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
_counter = iter(range(10**9))


def _fresh_batch(root: Path) -> tuple[str, Path]:
    batch = f"b{next(_counter):06d}"
    folder = root / batch
    folder.mkdir(parents=True)
    return batch, folder


def _assert_accounted(con: duckdb.DuckDBPyConnection, batch: str, file_name: str) -> None:
    rows = con.execute(
        "select status, rows_landed, rows_accepted, rows_quarantined from raw.batch_ledger "
        "where batch_id = ? and file_name = ?", [batch, file_name]).fetchall()
    assert len(rows) == 1, rows
    status, landed, accepted, quarantined = rows[0]
    assert status in ("loaded", "refused")
    if status == "loaded":
        assert landed == accepted + quarantined
        (in_raw,) = con.execute("select count(*) from raw.cases where _batch_id = ?",
                                [batch]).fetchall()[0]
        assert in_raw == accepted


@_PROPERTY
@given(data=st.binary(max_size=2000), ext=st.sampled_from(["csv", "xlsx", "parquet"]),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"PAR1", b"case_id,unit_code\n"]))
def test_random_bytes_end_in_the_ledger_never_in_a_crash(con, tmp_path, data, ext, prefix):
    batch, folder = _fresh_batch(tmp_path / "bytes")
    (folder / f"cases.{ext}").write_bytes(prefix + data)
    ingest_landing(con, tmp_path / "bytes", log=lambda *_: None, as_of=AS_OF,
                   limits=Limits(max_rows=50, max_field_chars=200))
    _assert_accounted(con, batch, f"cases.{ext}")


_cell = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "BTR-TP", "2024-03-10", "0999-01-01", "2099-01-01 00:00", "=1+1", "Nguyễn Văn A",
     "173", "serious", "\x00", '"', "\n", "079123456789"]))


@_PROPERTY
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=8), max_size=15),
       header=st.permutations(CASES_HEADER + ["extra"]))
def test_random_csv_cells_end_loaded_quarantined_or_refused(con, tmp_path, rows, header):
    batch, folder = _fresh_batch(tmp_path / "cells")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    (folder / "cases.csv").write_text(buf.getvalue(), encoding="utf-8")
    ingest_landing(con, tmp_path / "cells", log=lambda *_: None, as_of=AS_OF)
    _assert_accounted(con, batch, "cases.csv")
    personal = con.execute(
        "select count(*) from raw.quarantine where batch_id = ? and (raw_value like '%Nguyễn%' "
        "or raw_value like '%079123456789%')", [batch]).fetchall()[0][0]
    assert personal == 0


# --- one run at a time, and the summary always printed ---------------------------------------


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    import subprocess

    from pipelines.run_lock import lock_path_for, warehouse_lock

    dead = subprocess.Popen(["true"])
    dead.wait()
    warehouse = tmp_path / "w.duckdb"
    lock_path_for(warehouse).write_text(f"pid={dead.pid}\nstarted=2024-03-01T01:00:00+07:00\n")
    lines: list[str] = []
    with warehouse_lock(warehouse, log=lines.append) as path:
        assert f"pid={os.getpid()}" in path.read_text()
    assert any("stale lock" in line and f"pid {dead.pid}" in line for line in lines)
    assert path.read_text() == ""  # a clean end empties it


# --- caps and bounds are configuration ------------------------------------------------------


def test_caps_come_from_the_run_settings_in_dagster(tmp_path):
    import dagster as dg

    from pipelines.ingest import ASSETS
    from pipelines.reference import ASSETS as REFERENCE_ASSETS
    from pipelines.resources import CasewatchSettings, Warehouse

    landing = tmp_path / "landing"
    write_csv(landing / B1 / "cases.csv", [case("C1"), case("C2"), case("C3")])
    (landing / B1 / ".hidden.csv").write_text("x", encoding="utf-8")
    warehouse = tmp_path / "wh.duckdb"
    settings = CasewatchSettings(landing_dir=str(landing), warehouse_path=str(warehouse),
                                 as_of=AS_OF.isoformat(), ingest_limits={"max_rows": "2"})
    result = dg.materialize(
        [*REFERENCE_ASSETS, *ASSETS],
        resources={"settings": settings, "warehouse": Warehouse(path=str(warehouse))},
    )
    assert result.success
    meta = {tuple(e.asset_key.path): e.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert meta[("raw", "batch_ledger")]["files_refused_this_run"].value == 1
    assert meta[("raw", "batch_ledger")]["entries_ignored_this_run"].value == 1
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select refusal_code from raw.batch_ledger "
                           "where file_name = 'cases.csv'").fetchall() == [("too_large",)]


def test_limits_by_name_are_checked():
    assert Limits.from_mapping({"max_rows": "7", "earliest_date": "1950-01-01"}) == Limits(
        max_rows=7, earliest_date=dt.date(1950, 1, 1))
    with pytest.raises(ValueError, match="unknown ingestion limit"):
        Limits.from_mapping({"max_rowz": "7"})
    with pytest.raises(ValueError, match="max_rows: 'many' is not a whole number"):
        Limits.from_mapping({"max_rows": "many"})
    assert Limits().latest_date(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)


def test_a_parquet_reader_out_of_memory_refuses_the_file_not_the_run(con, tmp_path):
    """The Parquet reader runs in the child too: with a memory limit it cannot live within,
    the child dies and this process refuses the file."""
    landing = tmp_path / "landing"
    path = landing / B1 / "cases.parquet"
    path.parent.mkdir(parents=True)
    pl.DataFrame([case()]).write_parquet(path)
    write_csv(landing / B1 / "crime_reports.csv", [{
        "report_id": "R1", "unit_code": "BTR-TP", "source_type": "denunciation",
        "received_date": "2024-03-01", "handling_body": "cqdt",
        "updated_at": "2024-03-01 08:00"}])
    run(con, landing, max_reader_memory_bytes=64 << 20)
    rows = ledger(con)
    assert rows[(B1, "cases.parquet")]["refusal_code"] == "unreadable_file"
    assert "the PARQUET reader failed" in rows[(B1, "cases.parquet")]["refusal_reason"]
    assert rows[(B1, "crime_reports.csv")]["status"] == "loaded"
