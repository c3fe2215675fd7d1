"""A steward's round trip, end to end: a unit delivers a batch with defects; the steward exports
the unit's CSV of open rejections, fixes those rows as a steward would (reading only the CSV:
the suggested code, the accepted date formats, the differing fields) and resubmits the fixed
records as a new batch; the rejections are then resolved and their days_open stops."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from pipelines.ingest import ingest_landing
from pipelines.quality import report as steward

FIRST, FIX = "20240301T0100", "20240306T0100"  # received 01/03 and 06/03 (their ids' times)
STEWARD_MARTS = ["marts.batch_ledger", "marts.quarantine", "marts.quarantine_routes",
                 "marts.quarantine_rates", "marts.data_findings"]
UNIT = "BTR-CT"

# What the unit's own case system holds (the truth the steward can look up).
REPORTS = [
    {"report_id": "R1", "unit_code": UNIT, "source_type": "denunciation",
     "received_date": "2024-02-20", "handling_body": "cqdt", "updated_at": "2024-02-20 08:00"},
    {"report_id": "R2", "unit_code": UNIT, "source_type": "crime_report",
     "received_date": "2024-02-28", "handling_body": "cqdt", "updated_at": "2024-02-21 08:00"},
    {"report_id": "R3", "unit_code": UNIT, "source_type": "petition",
     "received_date": "2024-02-22", "handling_body": "vks", "updated_at": "2024-02-22 08:00"},
]
CASES = [
    {"case_id": "C1", "unit_code": UNIT, "report_id": "R3", "instituted_date": "2024-02-25",
     "penal_code_article": "173", "crime_category": "serious", "updated_at": "2024-02-25 08:00"},
]
EVENTS = [  # an event has no unit of its own: it goes back to the unit of its case
    {"event_id": "E1", "event_type": "investigation_extended", "subject_type": "case",
     "subject_id": "C1", "case_id": "C1", "event_date": "2024-02-27",
     "issuing_body": "vks", "updated_at": "2024-02-27 08:00"},
]


def _write(folder: Path, table: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _deliver_with_defects(landing: Path) -> None:
    broken = [dict(r) for r in REPORTS]
    broken[0]["source_type"] = "to_giac"  # a code typed from its Vietnamese label
    broken[1]["received_date"] = "28-02-2024"  # not an accepted date format
    duplicate = {**REPORTS[2], "handling_body": "cqdt"}  # same key and updated_at, other body
    _write(landing / FIRST, "crime_reports", [*broken, duplicate])
    _write(landing / FIRST, "cases", CASES)
    events = [{**EVENTS[0], "event_type": "gia_han_dieu_tra"}]
    _write(landing / FIRST, "case_events", events)


def _read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def _fix_as_a_steward(rows: list[dict]) -> dict[str, dict[str, dict]]:
    """From the CSV only: which record of which table to resend, with what corrected."""
    fixes: dict[str, dict[str, dict]] = {}
    for r in rows:
        table, record, column = (r["Bảng (table_name)"], r["Mã bản ghi (record_id)"],
                                 r["Cột (column_name)"])
        rule, detail = r["Quy tắc (rule)"], r["Reason and fix (detail_en)"]
        fix = fixes.setdefault(table, {}).setdefault(record, {})
        if rule == "unknown_code":
            (suggested,) = re.findall(r"did you mean `([a-z_]+)`", detail)
            fix[column] = suggested
        elif rule == "unparseable":
            assert "YYYY-MM-DD" in detail and "DD/MM/YYYY" in detail  # the accepted formats
            day, month, year = r["Giá trị gốc (raw_value)"].split("-")
            fix[column] = f"{year}-{month}-{day}"
        elif rule == "duplicate_conflict":
            # the differing field is named; the steward keeps the value their system holds
            (differing,) = re.findall(r"columns that differ: ([a-z_, ]+)", detail)
            fix.update({c.strip(): None for c in differing.split(",")})
        else:
            raise AssertionError(f"unexpected rule in the export: {rule}")
    return fixes


def _resubmit(landing: Path, fixes: dict[str, dict[str, dict]]) -> None:
    sources = {"crime_reports": (REPORTS, "report_id"), "case_events": (EVENTS, "event_id")}
    for table, records in fixes.items():
        truth, key = sources[table]
        rows = []
        for r in truth:
            if r[key] in records:
                fixed = {**r, **{c: v for c, v in records[r[key]].items() if v is not None}}
                rows.append({**fixed, "updated_at": "2024-03-05 16:00"})  # a newer version
        _write(landing / FIX, table, rows)


def test_a_rejected_batch_goes_back_is_fixed_and_resolves(con, build, tmp_path) -> None:
    landing, out = tmp_path / "landing", tmp_path / "out"

    def load(as_of: dt.date):
        ingest_landing(con, landing, log=lambda *a, **k: None)
        build(as_of, only=STEWARD_MARTS)
        report, _, exports = steward.write_steward_report(con, out, run_id="r", as_of=as_of)
        return report, exports

    # 1. the unit delivers a batch with defects
    _deliver_with_defects(landing)
    report, exports = load(dt.date(2024, 3, 4))
    assert report.quarantine["routed_rows"] == report.quarantine["rows"] == 5
    # 2. the steward exports the unit's CSV: every rejected row is there, the event included
    (export,) = [p for p in exports if p.name == f"{UNIT}{steward.CSV_SUFFIX}"]
    assert [p.name for p in exports] == [export.name]
    rows = _read_csv(export)
    assert sorted((r["Bảng (table_name)"], r["Mã bản ghi (record_id)"], r["Quy tắc (rule)"])
                  for r in rows) == [
        ("case_events", "E1", "unknown_code"),
        ("crime_reports", "R1", "unknown_code"),
        ("crime_reports", "R2", "unparseable"),
        ("crime_reports", "R3", "duplicate_conflict"),
        ("crime_reports", "R3", "duplicate_conflict"),
    ]
    assert {r["Phát hiện từ ngày (first_seen_on)"] for r in rows} == {"01/03/2024"}
    assert {r["Số ngày chưa khắc phục (days_open)"] for r in rows} == {"3"}

    # 3. fix the rows as a steward would, from the CSV alone; 4. resubmit as a new batch
    fixes = _fix_as_a_steward(rows)
    assert fixes["crime_reports"]["R1"] == {"source_type": "denunciation"}
    assert fixes["crime_reports"]["R2"] == {"received_date": "2024-02-28"}
    assert fixes["crime_reports"]["R3"] == {"handling_body": None}
    assert fixes["case_events"]["E1"] == {"event_type": "investigation_extended"}
    _resubmit(landing, fixes)
    report, exports = load(dt.date(2024, 3, 10))

    # 5. the rows are resolved, by the new batch, and days_open stopped on its receipt day
    resolved = con.execute(
        "select record_id, status, resolved_by_batch, first_seen_on, resolved_on, days_open "
        "from marts.quarantine order by record_id, row_number").fetchall()
    assert resolved == [
        (rec, "resolved", FIX, dt.date(2024, 3, 1), dt.date(2024, 3, 6), 5)
        for rec in ("E1", "R1", "R2", "R3", "R3")
    ]
    assert report.quarantine["open"] == 0 and exports == []
    assert not (out / steward.STEWARD_DIR / export.name).exists()
    build(dt.date(2024, 3, 31), only=["marts.quarantine"])  # weeks later: still 5 days
    assert {d for (d,) in con.execute("select days_open from marts.quarantine").fetchall()} == {5}
    current = dict(con.execute(
        "select report_id, source_type from staging.stg_landing__crime_reports").fetchall())
    assert current == {"R1": "denunciation", "R2": "crime_report", "R3": "petition"}
