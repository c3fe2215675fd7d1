"""Ingestion: every valid variant loads identically, every bad row lands in the quarantine exactly,
refusals (file, whole batch) load nothing of what they refuse, and loading is idempotent.

Batches are written by the tests into tmp_path; nothing depends on the generator.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import unicodedata
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.contract import PII_COLUMNS, TABLES, columns
from pipelines.ingest import ingest_landing
from pipelines.ingest.parse import clean_series, parse_series
from pipelines.ingest.read import normalise_header

# --- test data --------------------------------------------------------------------------------

UPDATED = "2024-03-20 08:00"

# One valid record per table, values as the canonical CSV text.
BASE: dict[str, list[dict[str, str]]] = {
    "crime_reports": [
        {"report_id": "R1", "unit_code": "BTR-TP", "prosecutor_id": "KSV01",
         "source_type": "denunciation", "received_date": "2024-03-01", "handling_body": "cqdt"},
        {"report_id": "R2", "unit_code": "BTR-CT", "prosecutor_id": "",
         "source_type": "crime_report", "received_date": "2024-03-02", "handling_body": "cqdt"},
    ],
    "cases": [
        {"case_id": "C1", "unit_code": "BTR-TP", "prosecutor_id": "KSV01", "report_id": "R1",
         "instituted_date": "2024-03-10", "penal_code_article": "173",
         "penal_code_clause": "1", "crime_category": "serious"},
    ],
    "persons": [
        {"person_id": "P1", "case_id": "C1", "full_name": "Nguyễn Văn Hòa",
         "national_id": "083090001234", "birth_date": "1990-05-06", "sex": "male",
         "charged_date": "2024-03-12"},
        {"person_id": "P2", "case_id": "C1", "full_name": "Trần Thị Thủy",
         "national_id": "", "birth_date": "", "sex": "female", "charged_date": ""},
    ],
    "case_events": [
        {"event_id": "E1", "event_type": "person_charged", "subject_type": "person",
         "subject_id": "P1", "case_id": "C1", "event_date": "2024-03-12",
         "received_date": "2024-03-13", "judgement_id": "", "stated_end_date": "",
         "extension_no": "", "requested_date": "", "outcome": "", "issuing_body": "cqdt",
         "return_by": "", "return_ground": "", "crime_category": "", "penal_code_article": "",
         "to_unit_code": "", "is_accepted": ""},
        {"event_id": "E2", "event_type": "returned_by_court", "subject_type": "case",
         "subject_id": "C1", "case_id": "C1", "event_date": "2024-08-01",
         "received_date": "", "judgement_id": "", "stated_end_date": "",
         "extension_no": "", "requested_date": "", "outcome": "", "issuing_body": "toa",
         "return_by": "trial_panel", "return_ground": "missing_evidence", "crime_category": "",
         "penal_code_article": "", "to_unit_code": "", "is_accepted": "true"},
        {"event_id": "E3", "event_type": "investigation_extended", "subject_type": "case",
         "subject_id": "C1", "case_id": "C1", "event_date": "2024-07-01",
         "received_date": "", "judgement_id": "", "stated_end_date": "2024-09-10",
         "extension_no": "1", "requested_date": "2024-06-20", "outcome": "",
         "issuing_body": "vks", "return_by": "", "return_ground": "", "crime_category": "",
         "penal_code_article": "", "to_unit_code": "", "is_accepted": "false"},
    ],
    "detention_orders": [
        {"order_id": "O1", "person_id": "P1", "case_id": "C1", "unit_code": "BTR-TP",
         "facility_code": "TG-BT", "measure": "detention", "stage": "investigation",
         "extension_no": "0", "start_at": "2024-03-12 08:30", "stated_end_date": "2024-05-11",
         "vks_approved_at": "2024-03-12 16:45:10", "requested_date": ""},
    ],
    "detention_movements": [
        {"movement_id": "M1", "person_id": "P1", "facility_code": "TG-BT",
         "movement_type": "intake", "movement_at": "2024-03-12 09:00", "reason": ""},
        {"movement_id": "M2", "person_id": "P1", "facility_code": "TG-BT",
         "movement_type": "release", "movement_at": "2024-05-11 17:00",
         "reason": "order_expired"},
    ],
    "judgements": [
        {"judgement_id": "J1", "case_id": "C1", "person_id": "P1", "unit_code": "BTR-TP",
         "instance": "first", "pronounced_date": "2024-09-20", "effective_date": "2024-10-21",
         "verdict": "convicted", "sentence_type": "prison", "sentence_months": "24",
         "probation_months": "", "at_liberty": "false", "appeal_result": "", "fault": ""},
    ],
    "execution_events": [
        {"event_id": "X1", "judgement_id": "J1", "person_id": "P1",
         "event_type": "execution_decision", "event_date": "2024-10-25", "issuing_body": "toa"},
    ],
    "manual_scores": [
        {"score_id": "S1", "unit_code": "BTR-TP", "indicator_code": "party_building",
         "period_kind": "calendar_year", "period_start": "2024-01-01", "value": "0.95",
         "note": "Nghị quyết chi bộ"},
    ],
}


def base_rows(table: str) -> list[dict[str, str]]:
    return [{**r, "updated_at": UPDATED, "is_deleted": "false"} for r in BASE[table]]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None,
              bom: bool = False) -> Path:
    header = header or list(rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def write_batch(landing: Path, batch_id: str, tables: dict[str, list[dict[str, str]]],
                manifest: bool = False) -> Path:
    folder = landing / batch_id
    for table, rows in tables.items():
        write_csv(folder / f"{table}.csv", rows)
    if manifest:
        write_manifest(folder)
    return folder


def write_manifest(folder: Path, override: dict | None = None) -> None:
    files = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith("_"):
            continue
        n = pl.read_csv(p, infer_schema=False).height if p.suffix == ".csv" else None
        files[p.name] = {"rows": n, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
    for name, entry in (override or {}).items():
        files.setdefault(name, {}).update(entry)
    doc = {"contract_version": 1, "source_system": "test",
           "exported_at": "2024-03-20T01:00:00+07:00", "files": files}
    (folder / "_manifest.json").write_text(json.dumps(doc), encoding="utf-8")


def all_tables() -> dict[str, list[dict[str, str]]]:
    return {t: base_rows(t) for t in TABLES}


@pytest.fixture
def ingest(con):
    def _ingest(landing: Path):
        return ingest_landing(con, landing, log=lambda *_: None)

    return _ingest


def raw_content(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(
        f"select * exclude (_loaded_at, _file_name, _row_number, _batch_id) from raw.{table} "
        f"order by all"
    ).fetchall()


def ledger(con) -> list[dict]:
    return con.sql(
        "select * exclude (loaded_at) from raw.batch_ledger order by batch_id, file_name, loaded_at"
    ).pl().to_dicts()


def quarantine(con, table: str | None = None) -> list[tuple]:
    where = f"where table_name = '{table}'" if table else ""
    return con.execute(
        f"select row_number, column_name, rule from raw.quarantine {where} order by all"
    ).fetchall()


def assert_balanced(con) -> None:
    for row in ledger(con):
        if row["status"] == "loaded":
            assert row["rows_landed"] == row["rows_accepted"] + row["rows_quarantined"], row
            n = con.execute(
                f"select count(*) from raw.{row['table_name']} where _batch_id = ? and "
                "_file_name = ?", [row["batch_id"], row["file_name"]]).fetchall()[0][0]
            assert n == row["rows_accepted"], row
            (q,) = con.execute(
                "select count(distinct row_number) from raw.quarantine where batch_id = ? "
                "and file_name = ?", [row["batch_id"], row["file_name"]]).fetchall()[0]
            assert q == row["rows_quarantined"], row


# --- valid variants ---------------------------------------------------------------------------


def _dmy(value: str, col_type: str) -> str:
    if not value:
        return value
    if col_type == "date":
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    if col_type == "timestamp":
        date, time = value.split(" ")
        return f"{_dmy(date, 'date')} {time}"
    return value


BOOL_WORDS = {"true": "có", "false": "không"}
BOOL_X = {"true": "x", "false": ""}


def _variant_rows(table: str, variant: str) -> list[dict[str, str]]:
    rows = base_rows(table)
    types = {c.name: c.type for c in columns(table)}
    out = []
    for i, r in enumerate(rows):
        r = dict(r)
        for k, v in r.items():
            if variant == "dmy":
                r[k] = _dmy(v, types[k])
            elif variant == "nfd" and types[k] in ("text", "code"):
                r[k] = unicodedata.normalize("NFD", v)
            elif variant == "bool_words" and types[k] == "bool" and v:
                r[k] = (BOOL_WORDS if i % 2 == 0 else BOOL_X)[v]
            elif variant == "iso_offset" and types[k] == "timestamp" and v:
                local = dt.datetime.fromisoformat(v)
                r[k] = (local - dt.timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ") if i % 2 \
                    else local.strftime("%Y-%m-%dT%H:%M:%S+07:00")
            elif variant == "spaces" and v:
                r[k] = f"  {v} "
        out.append(r)
    return out


def _vi_header(table: str) -> list[str]:
    # Vietnamese headers, with the case, spacing and Unicode form a hand-made export may have.
    out = []
    for i, c in enumerate(columns(table)):
        h = c.vi_header
        if i % 3 == 0:
            h = h.upper()
        elif i % 3 == 1:
            h = unicodedata.normalize("NFD", "  " + h.replace(" ", "   ") + " ")
        out.append(h)
    return out


def _write_variant(folder: Path, table: str, variant: str) -> None:
    cols = [c.name for c in columns(table)]
    if variant == "xlsx":
        _write_xlsx(folder / f"{table}.xlsx", table)
    elif variant == "parquet":
        _write_parquet(folder / f"{table}.parquet", table)
    elif variant == "vi_headers":
        rows = base_rows(table)
        path = folder / f"{table}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(_vi_header(table))
            for r in rows:
                w.writerow([r.get(c, "") for c in cols])
    elif variant == "reordered":
        write_csv(folder / f"{table}.csv", base_rows(table), header=list(reversed(cols)))
    elif variant == "bom":
        write_csv(folder / f"{table}.csv", base_rows(table), bom=True)
    else:
        write_csv(folder / f"{table}.csv", _variant_rows(table, variant))


def _typed(table: str) -> pl.DataFrame:
    """The canonical rows typed as the contract says (for Parquet and XLSX cells)."""
    frame = pl.DataFrame(base_rows(table))
    return pl.DataFrame(
        [parse_series(c.type, clean_series(frame.get_column(c.name))) for c in columns(table)
         if c.name in frame.columns]  # rows without the 1.1 columns make a 1.0-style file
    )


def _write_parquet(path: Path, table: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    typed = _typed(table)
    # Timestamps as UTC instants (Parquet writers often do this): read back as local time.
    typed = typed.with_columns(
        pl.col(c.name).dt.replace_time_zone("Asia/Ho_Chi_Minh").dt.convert_time_zone("UTC")
        for c in columns(table) if c.type == "timestamp" and c.name in typed.columns
    )
    typed.write_parquet(path)


def _write_xlsx(path: Path, table: str) -> None:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    typed = _typed(table)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("data")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    ts_fmt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    cols = [c for c in columns(table) if c.name in typed.columns]
    ws.write_row(0, 0, [c.vi_header for c in cols])
    for i, row in enumerate(typed.iter_rows(), start=1):
        for j, (c, v) in enumerate(zip(cols, row, strict=True)):
            if v is None:
                continue
            if c.type == "date":
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
            elif c.type == "timestamp":
                ws.write_datetime(i, j, v, ts_fmt)
            elif c.type in ("int", "number"):
                ws.write_number(i, j, v)
            elif c.type == "bool":
                ws.write_boolean(i, j, v)
            else:
                ws.write_string(i, j, v)
    wb.add_worksheet("notes").write(0, 0, "ignored: only the first sheet is read")
    wb.close()


VARIANTS = ["bom", "vi_headers", "dmy", "nfd", "xlsx", "parquet", "reordered", "bool_words",
            "iso_offset", "spaces"]


@pytest.fixture
def canonical(tmp_path) -> dict[str, list[tuple]]:
    """raw.<table> content after loading the canonical CSV batch (in its own warehouse)."""
    from pipelines.contract import create_raw_tables

    c = duckdb.connect()
    c.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    create_raw_tables(c)
    write_batch(tmp_path / "canonical", "b1", all_tables())
    ingest_landing(c, tmp_path / "canonical", log=lambda *_: None)
    content = {t: raw_content(c, t) for t in TABLES}
    c.close()
    return content


@pytest.mark.parametrize("variant", VARIANTS)
def test_valid_variant_loads_cleanly_and_identically(con, ingest, tmp_path, canonical, variant):
    landing = tmp_path / "landing"
    for table in TABLES:
        _write_variant(landing / "b1", table, variant)
    summary = ingest(landing)
    assert summary.files_refused == 0
    assert sum(summary.rows_quarantined.values()) == 0, quarantine(con)
    for table in TABLES:
        assert raw_content(con, table) == canonical[table], (variant, table)
    assert_balanced(con)
    # Parquet rows are numbered from 0, CSV and XLSX rows from 1.
    first = con.execute("select min(_row_number) from raw.cases").fetchall()[0][0]
    assert first == (0 if variant == "parquet" else 1)


def test_canonical_values_are_typed_as_the_contract_says(con, ingest, tmp_path):
    write_batch(tmp_path, "b1", all_tables())
    ingest(tmp_path)
    order = con.execute(
        "select start_at, stated_end_date, vks_approved_at, extension_no, is_deleted "
        "from raw.detention_orders").fetchall()
    assert order == [(dt.datetime(2024, 3, 12, 8, 30), dt.date(2024, 5, 11),
                      dt.datetime(2024, 3, 12, 16, 45, 10), 0, False)]
    accepted = con.execute("select event_id, is_accepted from raw.case_events order by 1")
    assert accepted.fetchall() == [("E1", None), ("E2", True), ("E3", False)]
    (name,) = con.execute("select full_name from raw.persons where person_id = 'P1'").fetchall()
    assert name == ("Nguyễn Văn Hòa",) and unicodedata.is_normalized("NFC", name[0])


def test_nfd_text_is_stored_nfc(con, ingest, tmp_path):
    _write_variant(tmp_path / "b1", "manual_scores", "nfd")
    ingest(tmp_path)
    (note,) = con.execute("select note from raw.manual_scores").fetchall()[0]
    assert note == unicodedata.normalize("NFC", "Nghị quyết chi bộ")


def test_extra_columns_are_kept_and_reported(con, ingest, tmp_path):
    rows = [{**r, "Ghi chú nội bộ": f"note {i}", "": ""} for i, r in
            enumerate(base_rows("crime_reports"))]
    write_csv(tmp_path / "b1" / "crime_reports.csv", rows)
    ingest(tmp_path)
    extras = con.execute("select _extra from raw.crime_reports order by report_id").fetchall()
    assert [json.loads(e) for (e,) in extras] == [{"Ghi chú nội bộ": "note 0"},
                                                  {"Ghi chú nội bộ": "note 1"}]
    (row,) = ledger(con)
    assert json.loads(row["extra_columns"]) == ["Ghi chú nội bộ"]


def test_blank_rows_are_skipped_but_numbering_follows_the_file(con, ingest, tmp_path):
    path = write_csv(tmp_path / "b1" / "crime_reports.csv", base_rows("crime_reports"))
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = lines[2].replace("2024-03-02", "not a date")
    path.write_text("\n".join([lines[0], lines[1], ",,,,,,,", bad]) + "\n", encoding="utf-8")
    ingest(tmp_path)
    assert quarantine(con) == [(3, "received_date", "unparseable")]
    (row,) = ledger(con)
    assert (row["rows_landed"], row["rows_blank"]) == (2, 1)


def test_parquet_with_an_all_null_column_and_naive_timestamps(con, ingest, tmp_path):
    frame = pl.DataFrame({
        "movement_id": ["M1", "M2"], "person_id": ["P1", "P1"], "facility_code": ["F", "F"],
        "movement_type": ["intake", "release"],
        "movement_at": [dt.datetime(2024, 3, 12, 9), dt.datetime(2024, 5, 11, 17, 0, 30)],
        "reason": [None, None],
        "updated_at": [dt.datetime(2024, 5, 12, 8), None],
        "is_deleted": [False, None],
    })
    assert frame.schema["reason"] == pl.Null
    (tmp_path / "b1").mkdir()
    frame.write_parquet(tmp_path / "b1" / "detention_movements.parquet")
    ingest(tmp_path)
    assert con.execute("select movement_id, movement_at, is_deleted from raw.detention_movements"
                       ).fetchall() == [("M1", dt.datetime(2024, 3, 12, 9), False)]
    assert quarantine(con) == [(1, "updated_at", "missing_required")]


# --- quarantine -------------------------------------------------------------------------------


def _set(rows: list[dict[str, str]], i: int, **values: str) -> list[dict[str, str]]:
    rows = [dict(r) for r in rows]
    rows[i].update(values)
    return rows


def test_each_quarantine_class_lands_exactly_the_planted_rows(con, ingest, tmp_path):
    reports = base_rows("crime_reports")
    reports += [
        {**reports[0], "report_id": "R3", "received_date": ""},  # row 3: missing required
        {**reports[0], "report_id": "R4", "received_date": "31/02/2024"},  # row 4: bad date
        {**reports[0], "report_id": "R5", "source_type": "Denunciation"},  # row 5: exact match
        {**reports[0], "report_id": "R6", "updated_at": "2024-03-20 8h"},  # row 6: bad timestamp
        {**reports[0], "report_id": "R7", "is_deleted": "maybe"},  # row 7: bad optional bool
    ]
    cases = base_rows("cases") + [
        {**base_rows("cases")[0], "case_id": "C2", "penal_code_clause": "một"},  # optional int
        {**base_rows("cases")[0], "case_id": "C3", "penal_code_article": "173.5"},
    ]
    orders = base_rows("detention_orders") + [
        {**base_rows("detention_orders")[0], "order_id": "O2", "start_at": "2024-05-12 08:00"},
        # Same day is fine: start_at's date equals stated_end_date.
        {**base_rows("detention_orders")[0], "order_id": "O3", "start_at": "2024-05-11 23:00"},
    ]
    judgements = base_rows("judgements") + [
        {**base_rows("judgements")[0], "judgement_id": "J2", "effective_date": "2024-09-19"},
    ]
    events = base_rows("case_events")
    events = _set(events, 0, received_date="2024-03-11")  # row 1: received before decided
    events = _set(events, 1, subject_type="person", subject_id="P1", case_id="")  # row 2
    persons = base_rows("persons") + [
        {**base_rows("persons")[0], "person_id": "P3", "birth_date": "06/05/90",
         "full_name": "Lê Văn Bí Mật"},
    ]
    write_batch(tmp_path, "b1", {
        "crime_reports": reports, "cases": cases, "detention_orders": orders,
        "judgements": judgements, "case_events": events, "persons": persons,
    })
    ingest(tmp_path)
    assert quarantine(con, "crime_reports") == [
        (3, "received_date", "missing_required"),
        (4, "received_date", "unparseable"),
        (5, "source_type", "unknown_code"),
        (6, "updated_at", "unparseable"),
        (7, "is_deleted", "unparseable"),
    ]
    assert quarantine(con, "cases") == [(2, "penal_code_clause", "unparseable"),
                                        (3, "penal_code_article", "unparseable")]
    assert quarantine(con, "detention_orders") == [(2, "stated_end_date", "date_order")]
    assert quarantine(con, "judgements") == [(2, "effective_date", "date_order")]
    assert quarantine(con, "case_events") == [(1, "received_date", "date_order"),
                                              (2, "case_id", "missing_required")]
    assert quarantine(con, "persons") == [(3, "birth_date", "unparseable")]
    # Quarantined rows never reach raw; the others do.
    ids = {r[0] for r in con.execute("select report_id from raw.crime_reports").fetchall()}
    assert ids == {"R1", "R2"}
    assert {r[0] for r in con.execute("select order_id from raw.detention_orders").fetchall()} \
        == {"O1", "O3"}
    assert_balanced(con)

    detail = con.execute(
        "select raw_value, record_id, unit_code, updated_at, severity, message_en, message_vi "
        "from raw.quarantine where table_name = 'crime_reports' and row_number = 4"
    ).fetchall()[0]
    assert detail[:5] == ("31/02/2024", "R4", "BTR-TP", dt.datetime(2024, 3, 20, 8), "error")
    assert "unparseable" in detail[5] and "received_date" in detail[5]
    assert "unparseable" in detail[6] and "Ngày tiếp nhận" in detail[6]
    (order_value,) = con.execute(
        "select raw_value from raw.quarantine where table_name = 'detention_orders'"
    ).fetchall()[0]
    assert order_value == "start_at=2024-05-12 08:00; stated_end_date=2024-05-11"


def test_personal_data_is_masked_and_never_copied(con, ingest, tmp_path):
    persons = base_rows("persons")
    persons = _set(persons, 0, birth_date="không rõ", sex="nam")
    write_batch(tmp_path, "b1", {"persons": persons})
    ingest(tmp_path)
    rows = con.execute(
        "select column_name, rule, raw_value, record_id from raw.quarantine order by column_name"
    ).fetchall()
    assert rows == [("birth_date", "unparseable", "***", "P1|C1"),
                    ("sex", "unknown_code", "nam", "P1|C1")]
    text = " ".join(str(v) for r in con.execute("select * from raw.quarantine").fetchall()
                    for v in r)
    for pii in ("Nguyễn Văn Hòa", "083090001234", "không rõ", "1990-05-06"):
        assert pii not in text
    assert PII_COLUMNS == {"full_name", "national_id", "birth_date"}


def test_a_row_breaking_several_rules_counts_once(con, ingest, tmp_path):
    reports = _set(base_rows("crime_reports"), 1, source_type="tip", received_date="yesterday",
                   handling_body="")
    write_batch(tmp_path, "b1", {"crime_reports": reports})
    ingest(tmp_path)
    assert quarantine(con) == [(2, "handling_body", "missing_required"),
                               (2, "received_date", "unparseable"),
                               (2, "source_type", "unknown_code")]
    (row,) = ledger(con)
    assert (row["rows_landed"], row["rows_accepted"], row["rows_quarantined"]) == (2, 1, 1)


def test_conflicting_duplicates_are_all_quarantined_identical_ones_load(con, ingest, tmp_path):
    r1, r2 = base_rows("crime_reports")
    rows = [
        r1,
        {**r1, "received_date": "2024-03-05"},  # same key and updated_at, other content
        r2,
        {**r2, "received_date": "02/03/2024"},  # the same content written differently
        {**r1, "report_id": "R9", "updated_at": "2024-03-21 08:00"},
        {**r1, "report_id": "R9", "updated_at": "2024-03-22 08:00", "unit_code": "BTR-CT"},
    ]
    write_batch(tmp_path, "b1", {"crime_reports": rows})
    ingest(tmp_path)
    assert quarantine(con) == [(1, "report_id", "duplicate_conflict"),
                               (2, "report_id", "duplicate_conflict")]
    loaded = con.execute("select report_id, _row_number from raw.crime_reports order by 2")
    assert loaded.fetchall() == [("R2", 3), ("R2", 4), ("R9", 5), ("R9", 6)]


def test_unknown_code_lists_come_from_the_reference_table(con, ingest, tmp_path):
    con.execute("insert into reference.codes (list, code) values ('body', 'bien_phong')")
    write_batch(tmp_path, "b1", {"crime_reports": _set(base_rows("crime_reports"), 0,
                                                       handling_body="bien_phong")})
    ingest(tmp_path)
    assert quarantine(con) == []


# --- refusals ---------------------------------------------------------------------------------


def test_file_missing_a_required_column_is_refused_alone(con, ingest, tmp_path):
    folder = write_batch(tmp_path, "b1", {"cases": base_rows("cases")})
    persons = base_rows("persons")
    write_csv(folder / "persons.csv", persons,
              header=[h for h in persons[0] if h != "person_id"])
    (folder / "judgements.csv").write_bytes(b"judgement_id,case_id\nJ1,\xff\xfe\n")
    (folder / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    (folder / "cases.txt").write_text("nothing", encoding="utf-8")
    ingest(tmp_path)
    rows = {r["file_name"]: r for r in ledger(con)}
    assert rows["cases.csv"]["status"] == "loaded"
    assert rows["cases.csv"]["rows_accepted"] == 1
    assert rows["persons.csv"]["status"] == "refused"
    assert rows["persons.csv"]["refusal_code"] == "missing_column"
    assert "person_id" in rows["persons.csv"]["refusal_reason"]
    assert rows["persons.csv"]["rows_landed"] is None
    assert rows["persons.csv"]["extra_columns"] is None
    assert rows["judgements.csv"]["refusal_code"] == "unreadable_file"
    assert rows["notes.csv"]["refusal_code"] == "unknown_table"
    assert rows["cases.txt"]["refusal_code"] == "unsupported_format"
    assert rows["cases.txt"]["status"] == "ignored"  # never opened
    assert con.execute("select count(*) from raw.persons").fetchall() == [(0,)]
    assert con.execute("select count(*) from raw.judgements").fetchall() == [(0,)]


@pytest.mark.parametrize("name,content,reason", [
    ("cases.csv", b"case_id,unit_code\nC1,U\nC2,U,Nguyen Van A\n", "more fields"),
    ("cases.csv", b'case_id,unit_code\nC1,"Nguyen Van A\nC2,U\n', "malformed CSV"),
    ("cases.csv", "case_id\nC1\n".encode("utf-16"), "UTF-8"),
    ("cases.csv", b"", "empty"),
    ("cases.xlsx", b"PK not a workbook Nguyen Van A", "XLSX"),
    ("cases.parquet", b"PAR1 Nguyen Van A", "Parquet"),
])
def test_unparseable_files_are_refused_without_quoting_them(con, ingest, tmp_path, name,
                                                            content, reason):
    folder = write_batch(tmp_path, "b1", {"crime_reports": base_rows("crime_reports")})
    (folder / name).write_bytes(content)
    ingest(tmp_path)
    rows = {r["file_name"]: r for r in ledger(con)}
    assert rows["crime_reports.csv"]["status"] == "loaded"
    assert rows[name]["refusal_code"] == "unreadable_file"
    assert reason in rows[name]["refusal_reason"]
    assert "Nguyen" not in rows[name]["refusal_reason"]


def test_duplicate_column_and_two_files_for_one_table_are_refused(con, ingest, tmp_path):
    folder = tmp_path / "b1"
    rows = base_rows("cases")
    write_csv(folder / "cases.csv", rows, header=[*rows[0], "Mã vụ án"])
    write_csv(folder / "persons.csv", base_rows("persons"))
    _write_parquet(folder / "persons.parquet", "persons")
    ingest(tmp_path)
    codes = {r["file_name"]: r["refusal_code"] for r in ledger(con)}
    assert codes == {"cases.csv": "duplicate_column", "persons.csv": "duplicate_table_file",
                     "persons.parquet": "duplicate_table_file"}


@pytest.mark.parametrize("problem", ["sha256", "rows", "missing_file"])
def test_manifest_mismatch_refuses_the_whole_batch(con, ingest, tmp_path, problem):
    folder = write_batch(tmp_path, "b1", {"cases": base_rows("cases"),
                                          "crime_reports": base_rows("crime_reports")})
    override = {
        "sha256": {"crime_reports.csv": {"sha256": "0" * 64}},
        "rows": {"crime_reports.csv": {"rows": 3}},
        "missing_file": {"persons.csv": {"rows": 2, "sha256": "0" * 64}},
    }[problem]
    write_manifest(folder, override)
    ingest(tmp_path)
    for table in TABLES:
        assert con.execute(f"select count(*) from raw.{table}").fetchall() == [(0,)]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]
    rows = ledger(con)
    names = {r["file_name"] for r in rows}
    assert {"cases.csv", "crime_reports.csv"} <= names
    bad = "persons.csv" if problem == "missing_file" else "crime_reports.csv"
    for r in rows:
        assert r["status"] == "refused"
        # one reason for the batch, on the file that broke it; the others point to it
        code = "manifest_mismatch" if r["file_name"] == bad else "batch_refused"
        assert r["refusal_code"] == code
        assert bad in r["refusal_reason"] and bad in r["refusal_reason_vi"]
    (culprit,) = [r for r in rows if r["file_name"] == bad]
    reason, reason_vi = culprit["refusal_reason"], culprit["refusal_reason_vi"]
    assert {"sha256": "sha256", "rows": "3", "missing_file": "missing"}[problem] in reason
    # the detail is in the reader's language too
    assert {"sha256": "khác giá trị kê khai", "rows": "tệp kê khai ghi 3",
            "missing_file": "không có trong lô"}[problem] in reason_vi
    assert "differs" not in reason_vi and "listed" not in reason_vi


def test_repaired_batch_resent_under_the_same_id_loads(con, ingest, tmp_path):
    folder = write_batch(tmp_path, "b1", {"cases": base_rows("cases")})
    write_manifest(folder, {"cases.csv": {"rows": 5}})
    ingest(tmp_path)
    assert {r["status"] for r in ledger(con)} == {"refused"}
    ingest(tmp_path)  # nothing changed: nothing new recorded
    assert len(ledger(con)) == 1
    write_manifest(folder)  # the transfer is repaired
    ingest(tmp_path)
    assert con.execute("select count(*) from raw.cases").fetchall() == [(1,)]
    statuses = sorted((r["status"], r["manifest_status"]) for r in ledger(con))
    assert statuses == [("loaded", "verified"), ("refused", "mismatch")]


def test_valid_manifest_is_verified(con, ingest, tmp_path):
    write_batch(tmp_path, "b1", all_tables(), manifest=True)
    ingest(tmp_path)
    rows = ledger(con)
    assert {r["status"] for r in rows} == {"loaded"}
    assert {r["manifest_status"] for r in rows} == {"verified"}
    assert {r["source_system"] for r in rows} == {"test"}


@pytest.mark.parametrize("text,code", [
    ("{not json", "manifest_invalid"),
    ('{"contract_version": 2, "files": {}}', "unsupported_contract_version"),
])
def test_unreadable_manifest_refuses_the_batch(con, ingest, tmp_path, text, code):
    folder = write_batch(tmp_path, "b1", {"cases": base_rows("cases")})
    (folder / "_manifest.json").write_text(text, encoding="utf-8")
    ingest(tmp_path)
    assert [r["refusal_code"] for r in ledger(con)] == [code]
    assert con.execute("select count(*) from raw.cases").fetchall() == [(0,)]


# --- idempotency and ordering -----------------------------------------------------------------


def _snapshot(con) -> dict[str, list[tuple]]:
    out = {t: con.execute(f"select * exclude (_loaded_at) from raw.{t} order by all").fetchall()
           for t in TABLES}
    out["quarantine"] = con.execute(
        "select * exclude (loaded_at) from raw.quarantine order by all").fetchall()
    out["batch_ledger"] = con.execute(
        "select * exclude (loaded_at) from raw.batch_ledger order by all").fetchall()
    return out


def test_loading_twice_adds_no_rows_anywhere(con, ingest, tmp_path):
    tables = all_tables()
    tables["cases"] = _set(tables["cases"], 0, crime_category="grave")
    write_batch(tmp_path, "b1", tables, manifest=True)
    write_batch(tmp_path, "b2", {"cases": base_rows("cases")})
    first = ingest(tmp_path)
    before = _snapshot(con)
    second = ingest(tmp_path)
    assert _snapshot(con) == before
    assert first.batches_skipped == 0 and second.batches_skipped == 2
    assert second.files == []
    assert len(before["quarantine"]) == 1


def test_redelivered_batch_with_other_content_is_refused_first_load_stands(
        con, ingest, tmp_path, build):
    folder = write_batch(tmp_path, "b1", {"cases": base_rows("cases")})
    ingest(tmp_path)
    write_csv(folder / "cases.csv", _set(base_rows("cases"), 0, penal_code_article="174"))
    ingest(tmp_path)
    ingest(tmp_path)  # recorded once
    assert con.execute("select penal_code_article from raw.cases").fetchall() == [(173,)]
    rows = ledger(con)
    assert [(r["status"], r["refusal_code"]) for r in rows] == [
        ("loaded", None), ("refused", "redelivered_different_content")]
    build("2024-12-31", only=["marts.batch_ledger"])
    mart = con.execute("select status, deliveries, latest_refusal_reason, rows_accepted "
                       "from marts.batch_ledger").fetchall()
    assert len(mart) == 1
    status, deliveries, reason, accepted = mart[0]
    assert (status, deliveries, accepted) == ("loaded", 2, 1)
    assert reason.startswith("redelivered_different_content")


def test_same_key_and_updated_at_in_two_batches_are_versions_not_conflicts(con, ingest,
                                                                         tmp_path):
    r1 = base_rows("crime_reports")[:1]
    write_batch(tmp_path, "b1", {"crime_reports": r1})
    write_batch(tmp_path, "b2", {"crime_reports": [{**r1[0], "handling_body": "vks"}]})
    ingest(tmp_path)
    assert quarantine(con) == []
    assert con.execute("select count(*) from raw.crime_reports").fetchall() == [(2,)]


def test_loading_batches_in_groups_or_one_by_one_gives_the_same_tables(con, tmp_path,
                                                                       monkeypatch):
    from pipelines.contract import create_raw_tables
    from pipelines.ingest import load

    for i, batch in enumerate(["b1", "b2", "b3"]):
        tables = all_tables()
        tables["cases"] = _set(tables["cases"], 0, crime_category="grave" if i == 1 else
                               "serious", updated_at=f"2024-03-2{i} 08:00")
        write_batch(tmp_path, batch, tables)
    (tmp_path / "b2" / "persons.csv").write_text("person_id\nP1\n", encoding="utf-8")
    ingest_landing(con, tmp_path, log=lambda *_: None)
    grouped = _snapshot(con)

    one_by_one = duckdb.connect()
    one_by_one.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    create_raw_tables(one_by_one)
    monkeypatch.setattr(load, "GROUP_BATCHES", 1)
    ingest_landing(one_by_one, tmp_path, log=lambda *_: None)
    assert _snapshot(one_by_one) == grouped
    assert len(grouped["quarantine"]) == 1 and len(grouped["batch_ledger"]) == 27


def test_batches_are_processed_in_batch_id_order(con, tmp_path):
    write_batch(tmp_path, "20240302T0100", {"cases": base_rows("cases")})
    write_batch(tmp_path, "20240301T0100", {"cases": base_rows("cases")})
    (tmp_path / "_reference").mkdir()
    (tmp_path / ".tmp").mkdir()
    lines: list[str] = []
    ingest_landing(con, tmp_path, log=lines.append)
    batches = [line.split(":")[0] for line in lines if line.startswith("batch ")]
    assert batches == ["batch 20240301T0100", "batch 20240302T0100"]
    assert not any("Nguyễn" in line for line in lines)


# --- parsing and headers ----------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("2024-03-15 10:30", dt.datetime(2024, 3, 15, 10, 30)),
    ("2024-03-15 10:30:05", dt.datetime(2024, 3, 15, 10, 30, 5)),
    ("15/03/2024 10:30", dt.datetime(2024, 3, 15, 10, 30)),
    ("15/03/2024 10:30:05", dt.datetime(2024, 3, 15, 10, 30, 5)),
    ("2024-03-15T10:30:00+07:00", dt.datetime(2024, 3, 15, 10, 30)),
    ("2024-03-15T03:30:00Z", dt.datetime(2024, 3, 15, 10, 30)),
    ("2024-03-14T20:30:00-07:00", dt.datetime(2024, 3, 15, 10, 30)),
    ("2024-03-15T10:30", dt.datetime(2024, 3, 15, 10, 30)),
    ("2024-03-15", None),
    ("2024-03-15 24:30", None),
    ("15/03/24 10:30", None),
])
def test_timestamps(text, expected):
    assert parse_series("timestamp", pl.Series([text]))[0] == expected


@pytest.mark.parametrize("text,expected", [
    ("2024-03-15", dt.date(2024, 3, 15)),
    ("15/03/2024", dt.date(2024, 3, 15)),
    ("2024-02-29", dt.date(2024, 2, 29)),
    ("2023-02-29", None),
    ("15/03/24", None),
    ("15.03.2024", None),
])
def test_dates(text, expected):
    assert parse_series("date", pl.Series([text]))[0] == expected


def test_header_matching_ignores_case_spaces_and_unicode_form():
    assert normalise_header("  NGÀY   TIẾP NHẬN ") == normalise_header("Ngày tiếp nhận")
    assert normalise_header(unicodedata.normalize("NFD", "Đã xóa")) == normalise_header("Đã xóa")
    assert normalise_header("Đã xoá") == normalise_header("Đã xóa")  # tone-mark placement
    assert normalise_header("Report_ID") == "report_id"
