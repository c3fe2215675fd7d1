"""The data stewards' report and the per-unit CSV exports, end to end: small landing batches
with one row of each defect class are ingested, the steward marts built, and the report
must show exactly those rows, grouped right, with the ledger balancing; a corrected
resubmission resolves its rejection while a still-broken one stays open."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from pipelines.ingest import ingest_landing
from pipelines.quality import report as steward
from pipelines.quality.gx_checks import record_outcome
from pipelines.quality.suites import ExpectationOutcome, SuiteOutcome

AS_OF = dt.date(2024, 3, 11)
B1, B2, B3, B4 = "20240301T0100", "20240302T0100", "20240303T0100", "20240304T0100"
STEWARD_MARTS = [
    "marts.batch_ledger",
    "marts.quarantine",
    "marts.quarantine_routes",
    "marts.quarantine_rates",
    "marts.data_findings",
    "marts.data_finding_ages",
]
NAME, NATIONAL_ID = "Nguyễn Văn An", "079123456789"


def _write(landing: Path, batch: str, table: str, text: str) -> Path:
    path = landing / batch / f"{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def plant_first_batches(landing: Path) -> None:
    """B1: one row of each defect class; B2: a resubmission (one fixed, one still broken);
    B3: a batch refused whole (its manifest does not match)."""
    _write(landing, B1, "crime_reports", """\
report_id,unit_code,source_type,received_date,handling_body,updated_at
R1,BTR-TP,denunciation,2024-02-20,cqdt,2024-02-20 08:00
R2,BTR-TP,rumour,2024-02-21,cqdt,2024-02-21 08:00
R3,BTR-CT,crime_report,,cqdt,2024-02-22 08:00
R4,BTR-CT,crime_report,31/02/2024,cqdt,2024-02-22 09:00
""")
    _write(landing, B1, "cases", """\
case_id,unit_code,report_id,instituted_date,penal_code_article,crime_category,updated_at
C1,BTR-TP,R1,2024-02-25,173,less_serious,2024-02-25 08:00
C2,BTR-CT,,2024-02-26,173,serious,2024-02-26 08:00
C2,BTR-CT,,2024-02-27,173,serious,2024-02-26 08:00
C3,BTR-CT,R9,2024-02-27,134,serious,2024-02-27 08:00
""")
    _write(landing, B1, "judgements", """\
judgement_id,case_id,person_id,unit_code,instance,pronounced_date,effective_date,verdict,updated_at
J1,C1,P1,BTR-BT,first,2024-03-01,2024-02-01,convicted,2024-03-01 08:00
""")
    _write(landing, B1, "persons", f"""\
person_id,case_id,full_name,national_id,birth_date,updated_at
P1,C1,{NAME},{NATIONAL_ID},1990-13-45,2024-02-25 09:00
""")
    _write(landing, B1, "case_events", """\
event_id,event_type,subject_type,subject_id,event_date,issuing_body,updated_at
E1,investigation_extended,case,C9,2024-02-28,vks,2024-02-28 08:00
E5,file_received_by_vks,case,C1,2024-13-01,vks,2024-03-01 08:00
""")
    _write(landing, B2, "crime_reports", """\
report_id,unit_code,source_type,received_date,handling_body,updated_at
R2,BTR-TP,denunciation,2024-02-21,cqdt,2024-03-02 08:00
R3,BTR-CT,crime_report,,cqdt,2024-03-02 08:00
""")
    refused = _write(landing, B3, "cases", """\
case_id,unit_code,report_id,instituted_date,penal_code_article,crime_category,updated_at
C4,BTR-TP,,2024-03-02,173,serious,2024-03-03 08:00
""")
    manifest = {"contract_version": 1, "files": {"cases.csv": {
        "rows": 5, "sha256": hashlib.sha256(refused.read_bytes()).hexdigest()}}}
    (landing / B3 / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


# (batch, file, row, rule, record, unit) of every planted rejection and its status after B2
EXPECTED = {
    (B1, "crime_reports.csv", 2, "unknown_code", "R2", "BTR-TP"): "resolved",
    (B1, "crime_reports.csv", 3, "missing_required", "R3", "BTR-CT"): "open",
    (B1, "crime_reports.csv", 4, "unparseable", "R4", "BTR-CT"): "open",
    (B1, "cases.csv", 2, "duplicate_conflict", "C2", "BTR-CT"): "open",
    (B1, "cases.csv", 3, "duplicate_conflict", "C2", "BTR-CT"): "open",
    (B1, "judgements.csv", 1, "date_order", "J1", "BTR-BT"): "open",
    (B1, "persons.csv", 1, "unparseable", "P1|C1", None): "open",
    (B1, "case_events.csv", 2, "unparseable", "E5", None): "open",
    (B2, "crime_reports.csv", 2, "missing_required", "R3", "BTR-CT"): "open",
}


@pytest.fixture
def warehouse(con, build, tmp_path):
    """Ingest whatever is in the landing folder and build the steward marts."""
    landing = tmp_path / "landing"

    def _load() -> None:
        ingest_landing(con, landing, log=lambda *a, **k: None)
        build(AS_OF, only=STEWARD_MARTS)

    plant_first_batches(landing)
    _load()
    return landing, _load


def _write_report(con, out: Path, run_id: str = "run-1"):
    return steward.write_steward_report(con, out, run_id=run_id, as_of=AS_OF)


def _read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def test_report_shows_exactly_the_planted_rejections_grouped_right(con, warehouse, tmp_path):
    report, path, exports = _write_report(con, tmp_path / "out")
    q = report.quarantine

    seen = {(r["batch_id"], r["file_name"], r["row_number"], r["rule"], r["record_id"],
             r["unit_code"]): r["status"]
            for g in q["by_unit"] for r in g["rows"]}
    seen |= {(r["batch_id"], r["file_name"], r["row_number"], r["rule"], r["record_id"],
              r["unit_code"]): r["status"] for r in q["recently_resolved"]}
    assert seen == EXPECTED

    by_rule = {g["rule"]: (g["open"], g["open_rows"], g["resolved"]) for g in q["by_rule"]}
    assert by_rule == {
        "missing_required": (2, 2, 0),
        "unparseable": (3, 3, 0),
        "duplicate_conflict": (2, 2, 0),
        "date_order": (1, 1, 0),
        "unknown_code": (0, 0, 1),
    }
    by_unit = {g["unit_key"]: (g["open"], g["resolved"]) for g in q["by_unit"]}
    # the person has no unit of its own: it goes to the unit of its case (C1, BTR-TP); so does
    # the new event E5, whose subject is case C1
    assert by_unit == {"BTR-CT": (5, 0), "BTR-BT": (1, 0), "BTR-TP": (2, 1)}
    assert (q["open"], q["open_rows"], q["resolved"]) == (8, 8, 1)

    html = path.read_text(encoding="utf-8")
    assert NAME not in html and NATIONAL_ID not in html and "1990-13-45" not in html
    assert 'data-rule="duplicate_conflict"' in html
    assert '<q class="raw" translate="no">***</q>' in html


def test_the_ledger_balances_and_shows_the_refused_batch(con, warehouse, tmp_path):
    report, path, _ = _write_report(con, tmp_path / "out")
    ledger = report.ledger
    assert (ledger["landed"], ledger["accepted"], ledger["quarantined"]) == (14, 5, 9)
    assert ledger["landed"] == ledger["accepted"] + ledger["quarantined"]
    assert ledger["unbalanced"] == []
    batches = {b["batch_id"]: b for b in ledger["batches"]}
    assert [b["batch_id"] for b in ledger["batches"]] == [B3, B2, B1]  # newest first
    assert {b: batches[b]["status"] for b in batches} == {B1: "loaded", B2: "loaded", B3: "refused"}
    first = batches[B1]
    assert (first["landed"], first["accepted"], first["quarantined"]) == (12, 4, 8)
    (refused,) = ledger["refused"]
    assert (refused["batch_id"], refused["file_name"], refused["refusal_code"]) == (
        B3, "cases.csv", "manifest_mismatch")
    assert refused["manifest_status"] == "mismatch"

    html = path.read_text(encoding="utf-8")
    assert 'data-balanced="true"' in html
    assert "14 = 5 + 9" in html.replace("\u202f", "")
    assert "Cả lô bị từ chối" in html and "Whole batch refused" in html


def test_csv_exports_per_unit_carry_the_reason_in_both_languages(con, warehouse, tmp_path):
    out = tmp_path / "out"
    _, _, exports = _write_report(con, out)
    assert sorted(p.name for p in exports) == [
        "BTR-BT-open-rejections.csv", "BTR-CT-open-rejections.csv",
        "BTR-TP-open-rejections.csv"]
    rows = _read_csv(out / "steward" / "BTR-CT-open-rejections.csv")
    assert list(rows[0]) == steward.CSV_HEADER
    got = sorted((r["Lô dữ liệu (batch_id)"], r["Tệp (file_name)"], int(r["Dòng số (row_number)"]),
                  r["Quy tắc (rule)"], r["Mã bản ghi (record_id)"]) for r in rows)
    assert got == sorted(k[:5] for k, status in EXPECTED.items()
                         if k[5] == "BTR-CT" and status == "open")
    for r in rows:
        assert r["Lý do và cách sửa (detail_vi)"] and r["Reason and fix (detail_en)"]
        assert r["Lý do và cách sửa (detail_vi)"] != r["Reason and fix (detail_en)"]
    unparseable = next(r for r in rows if r["Quy tắc (rule)"] == "unparseable")
    assert unparseable["Giá trị gốc (raw_value)"] == "31/02/2024"
    assert {r["Đơn vị xác định theo (unit_from)"] for r in rows} == {steward.UNIT_FROM["row"]}
    person, event = sorted(_read_csv(out / "steward" / "BTR-TP-open-rejections.csv"),
                           key=lambda r: r["Bảng (table_name)"], reverse=True)
    assert person["Giá trị gốc (raw_value)"] == "***"
    assert person["Đơn vị (unit_code)"] == "BTR-TP"
    assert person["Đơn vị xác định theo (unit_from)"] == steward.UNIT_FROM["case"]
    assert NAME not in (out / "steward" / "BTR-TP-open-rejections.csv").read_text(
        encoding="utf-8-sig")
    # the new event E5 goes to the unit of its subject, case C1
    assert (event["Mã bản ghi (record_id)"], event["Đơn vị (unit_code)"]) == ("E5", "BTR-TP")
    assert event["Đơn vị xác định theo (unit_from)"] == steward.UNIT_FROM["case"]


def test_resubmitting_resolves_and_a_still_broken_row_stays_open(con, warehouse, tmp_path):
    landing, load = warehouse
    out = tmp_path / "out"
    report, _, _ = _write_report(con, out)
    r2 = next(r for r in report.quarantine["recently_resolved"] if r["record_id"] == "R2")
    assert (r2["status"], r2["resolved_by_batch"]) == ("resolved", B2)
    still = [r for r in report.quarantine["open_list"] if r["record_id"] == "R3"]
    assert sorted(r["batch_id"] for r in still) == [B1, B2]  # re-sent still broken: open twice

    # B4 fixes R3 and the judgement; R4 and C2 are not re-sent.
    _write(landing, B4, "crime_reports", """\
report_id,unit_code,source_type,received_date,handling_body,updated_at
R3,BTR-CT,crime_report,2024-02-22,cqdt,2024-03-04 08:00
""")
    _write(landing, B4, "judgements", """\
judgement_id,case_id,person_id,unit_code,instance,pronounced_date,effective_date,verdict,updated_at
J1,C1,P1,BTR-BT,first,2024-03-01,2024-03-31,convicted,2024-03-04 08:00
""")
    load()
    report, _, exports = _write_report(con, out, run_id="run-2")
    status = {(r["batch_id"], r["file_name"], r["row_number"]): (r["status"],
              r["resolved_by_batch"]) for g in report.quarantine["by_unit"]
              for r in g["rows"]} | {
        (r["batch_id"], r["file_name"], r["row_number"]): (r["status"], r["resolved_by_batch"])
        for r in report.quarantine["recently_resolved"]}
    assert status[(B1, "crime_reports.csv", 3)] == ("resolved", B4)
    assert status[(B2, "crime_reports.csv", 2)] == ("resolved", B4)
    assert status[(B1, "judgements.csv", 1)] == ("resolved", B4)
    assert status[(B1, "crime_reports.csv", 4)] == ("open", None)
    assert status[(B1, "crime_reports.csv", 2)] == ("resolved", B2)

    # BTR-BT has nothing open any more: its stale export is gone.
    assert sorted(p.name for p in exports) == [
        "BTR-CT-open-rejections.csv", "BTR-TP-open-rejections.csv"]
    assert not (out / "steward" / "BTR-BT-open-rejections.csv").exists()
    rows = _read_csv(out / "steward" / "BTR-CT-open-rejections.csv")
    assert sorted(r["Mã bản ghi (record_id)"] for r in rows) == ["C2", "C2", "R4"]


def test_data_findings_show_what_is_pending(con, warehouse, tmp_path):
    report, path, _ = _write_report(con, tmp_path / "out")
    groups = {g["rule"]: g for g in report.findings["groups"]}
    assert {r: g["n_open"] for r, g in groups.items()} == {
        "reference_pending": 2, "movement_order": 0, "fact_conflict": 0}
    pending = {(f["table_name"], f["record_id"]) for f in groups["reference_pending"]["open"]}
    assert pending == {("cases", "C3"), ("case_events", "E1")}
    assert all(f["first_seen_batch"] == B1 for f in groups["reference_pending"]["open"])
    # marts.data_finding_ages: B1 was received on 01/03 (the time its id names), ten days
    # before this run's as-of date
    received = dt.date(2024, 3, 1)
    ages = con.execute(
        "select first_seen_on, days_open from marts.data_finding_ages").fetchall()
    assert ages == [(received, 10)] * 2
    assert all((f["first_seen_on"], f["days_open"]) == (received, 10)
               for f in groups["reference_pending"]["open"])


def test_check_results_of_this_run_and_earlier_runs(con, warehouse, tmp_path):
    def outcome(ok: bool) -> SuiteOutcome:
        return SuiteOutcome("deadlines", 3, [ExpectationOutcome(
            "due_on_not_before_nominal", "expect_column_pair_values_a_to_be_greater_than_b",
            "error", ok, 0 if ok else 2, 3, "due_on is never before due_on_nominal.", "…",
            "2 of 3 rows unexpected")])

    record_outcome(con, "run-0", "deadlines", outcome(False))
    record_outcome(con, "run-1", "batch_ledger", outcome(True))
    report, path, _ = _write_report(con, tmp_path / "out", run_id="run-1")
    checks = report.checks
    assert [(c["asset"], c["passed"]) for c in checks["this_run"]] == [("marts.batch_ledger", True)]
    assert [(c["asset"], c["run_id"], c["failing_count"]) for c in checks["earlier"]] == [
        ("marts.deadlines", "run-0", 2)]
    assert checks["failed_errors"] == 0
    html = path.read_text(encoding="utf-8")
    assert 'id="checks-earlier"' in html and "run-0" in html


def test_report_on_an_empty_warehouse_says_so(con, tmp_path):
    report, path, exports = _write_report(con, tmp_path / "out")
    assert exports == []
    html = path.read_text(encoding="utf-8")
    assert "marts.batch_ledger" in html and "marts.quarantine" in html  # "not available yet"
    assert report.quarantine["open_rows"] == 0


@pytest.mark.browser
def test_report_renders_offline_in_headless_chromium(con, warehouse, tmp_path, chromium_path):
    from playwright.sync_api import sync_playwright

    record_outcome(con, "run-1", "quarantine", SuiteOutcome("quarantine", 8, [ExpectationOutcome(
        "row_count_in_band", "expect_table_row_count_to_be_between", "warn", False, 1, None,
        "Row count is within the sanity band.", "Số dòng nằm trong khoảng hợp lý.",
        "observed 8 rows; band [10, 100]")]))
    _, path, _ = _write_report(con, tmp_path / "out")
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)

    requests, problems = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_path, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")

            assert page.locator("html").get_attribute("lang") == "vi"
            h1 = page.locator("h1")
            assert h1.inner_text() == "Báo cáo kiểm tra dữ liệu cho cán bộ quản lý dữ liệu"
            rule_rows = page.locator("#quarantine-by-rule tr[data-rule]")
            assert rule_rows.count() == 5
            assert page.locator('#quarantine-by-rule tr[data-rule="duplicate_conflict"] '
                                'td.open').inner_text() == "2"
            assert page.locator('#quarantine-by-unit tr[data-unit="BTR-CT"] '
                                'td.open').inner_text() == "5"
            assert page.locator("#send-back section.unit").count() == 3
            assert page.locator('#send-back section[data-unit="BTR-CT"] tr.rejection').count() == 5
            assert page.locator("#trend-table svg.spark").count() >= 2
            assert page.locator("#checks-failed tr[data-passed=false]").count() == 1
            page.screenshot(path=str(artifacts / "steward-report.png"), full_page=True)
            # no table overflows a 1366 px screen (long checksums and reasons wrap)
            page.set_viewport_size({"width": 1366, "height": 900})
            wide = page.evaluate("""() => [...document.querySelectorAll('table')]
                .filter(t => t.getBoundingClientRect().right > window.innerWidth + 1)
                .map(t => t.id || t.className)""")
            assert wide == []
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366

            page.click("#lang-toggle")
            assert page.locator("html").get_attribute("lang") == "en"
            assert h1.inner_text() == "Data validation report for data stewards"
            page.screenshot(path=str(tmp_path / "steward-report-en.png"))
        finally:
            browser.close()

    assert problems == []
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests
    assert (artifacts / "steward-report.png").stat().st_size > 10_000
