"""Ingestion in bounded slices: a table larger than one slice is validated on every slice,
duplicates across slices are still caught, a file refused part-way leaves nothing behind, and
the result is the same whatever the slice size, the CSV block size or the grouping."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_ingest import (
    _snapshot,
    all_tables,
    assert_balanced,
    base_rows,
    write_batch,
    write_csv,
    write_manifest,
)

from pipelines.contract import TABLES, create_raw_tables
from pipelines.ingest import ingest_landing
from pipelines.ingest.limits import Limits

AS_OF = dt.date(2024, 3, 31)
BATCH = "20240320T0100"
SLICE = 10


def _run(con: duckdb.DuckDBPyConnection, landing: Path, **limits) -> None:
    ingest_landing(con, landing, log=lambda *_: None, as_of=AS_OF, limits=Limits(**limits))


def _fresh() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    create_raw_tables(c)
    return c


def _reports(n: int) -> list[dict[str, str]]:
    """`n` valid crime reports R1..Rn (data rows 1..n of the file)."""
    (r,) = base_rows("crime_reports")[:1]
    return [{**r, "report_id": f"R{i}", "received_date": f"2024-03-{i % 28 + 1:02d}"}
            for i in range(1, n + 1)]


def _planted() -> list[dict[str, str]]:
    """35 reports in four slices of ten, with:
    - row 2 and row 27: the same key and updated_at, other content (slices 1 and 3), and the
      later one also names an unknown code;
    - row 5 and row 15: the same record twice, identical (slices 1 and 2): versions, no
      conflict;
    - row 8, row 18 and row 31: one key and updated_at, rows 8 and 31 alike, row 18 not
      (slices 1, 2 and 4): all three in conflict;
    - row 35, the very last: an unknown code."""
    rows = _reports(35)
    rows[26] = {**rows[1], "received_date": "2024-03-09", "source_type": "rumour"}
    rows[14] = dict(rows[4])
    rows[17] = {**rows[7], "handling_body": "vks"}
    rows[30] = dict(rows[7])
    rows[34] = {**rows[34], "source_type": "telepathy"}
    return rows


def _write(path: Path, rows: list[dict[str, str]], fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_csv(path, rows)
    header = list(rows[0])
    if fmt == "parquet":
        pl.DataFrame(rows, schema={h: pl.String for h in header}).write_parquet(path)
        return path
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, header)
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, [r[h] for h in header])
    wb.close()
    return path


def _quarantine(con) -> list[tuple]:
    return con.execute("select file_name, row_number, column_name, rule from raw.quarantine "
                       "order by row_number, rule").fetchall()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_table_larger_than_one_slice_is_validated_on_every_slice(con, tmp_path, fmt):
    landing = tmp_path / "landing"
    name = f"crime_reports.{fmt}"
    _write(landing / BATCH / name, _planted(), fmt)
    _run(con, landing, slice_rows=SLICE)

    # Parquet numbers rows from 0, CSV and XLSX from 1.
    row = (lambda n: n - 1) if fmt == "parquet" else (lambda n: n)
    assert _quarantine(con) == [
        (name, row(2), "report_id", "duplicate_conflict"),
        (name, row(8), "report_id", "duplicate_conflict"),
        (name, row(18), "report_id", "duplicate_conflict"),
        (name, row(27), "report_id", "duplicate_conflict"),
        (name, row(27), "source_type", "unknown_code"),
        (name, row(31), "report_id", "duplicate_conflict"),
        (name, row(35), "source_type", "unknown_code"),
    ]
    (led,) = con.execute("select rows_landed, rows_accepted, rows_quarantined from "
                         "raw.batch_ledger where file_name = ?", [name]).fetchall()
    assert led == (35, 29, 6)
    assert_balanced(con)
    # The identical pair (rows 5 and 15) loads as two versions.
    assert con.execute("select _row_number from raw.crime_reports where report_id = 'R5' "
                       "order by 1").fetchall() == [(row(5),), (row(15),)]

    # The same file in one slice gives the same tables.
    whole = _fresh()
    _run(whole, landing)
    assert _snapshot(whole) == _snapshot(con)


def test_slices_of_several_files_and_batches_give_the_same_tables(con, tmp_path):
    """Small batches share a slice, a big file spans several; any slice size gives the same
    raw tables, quarantine and ledger."""
    landing = tmp_path / "landing"
    for i, batch in enumerate(["20240321T0100", "20240322T0100", "20240323T0100"]):
        tables = all_tables()
        tables["crime_reports"] = _planted()[: 15 + 10 * i]
        write_batch(landing, batch, tables)
    _run(con, landing, slice_rows=3)
    assert_balanced(con)
    whole = _fresh()
    _run(whole, landing)
    assert _snapshot(whole) == _snapshot(con)
    assert len(_snapshot(con)["quarantine"]) > 0


def test_csv_read_in_blocks_reads_as_the_whole_file(con, tmp_path, monkeypatch):
    """Blocks are cut only between records: quoted line breaks, quotes, a BOM, blank lines and
    non-ASCII text read the same in blocks of a few bytes as in one piece."""
    from pipelines.ingest import read

    rows = _reports(30)
    for i in range(0, 30, 4):
        rows[i] = {**rows[i], "prosecutor_id": f'KSV "{i}",\nline two'}
    rows[9] = {**rows[9], "handling_body": "Cơ quan điều tra"}
    path = tmp_path / "landing" / BATCH / "crime_reports.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(rows[0]))
        for i, r in enumerate(rows):
            w.writerow(list(r.values()))
            if i % 7 == 3:
                f.write("\r\n")  # a blank record
    _run(con, tmp_path / "landing")
    expected = _snapshot(con)
    monkeypatch.setattr(read, "CSV_BLOCK_BYTES", 50)
    blocks = _fresh()
    _run(blocks, tmp_path / "landing", slice_rows=4)
    assert _snapshot(blocks) == expected
    assert con.execute("select rows_blank from raw.batch_ledger").fetchall() == [(4,)]


@pytest.mark.parametrize("problem", ["max_field_chars", "utf8"])
def test_a_file_refused_part_way_leaves_nothing_behind(con, tmp_path, monkeypatch, problem):
    """The broken record is read after earlier slices of the file were written: the file is
    refused and none of its rows stay, in the raw table or the quarantine."""
    from pipelines.ingest import read

    monkeypatch.setattr(read, "CSV_BLOCK_BYTES", 200)
    landing = tmp_path / "landing"
    rows = _reports(40)
    rows[3] = {**rows[3], "source_type": "telepathy"}  # quarantined in the first slice
    if problem == "max_field_chars":
        rows[37] = {**rows[37], "prosecutor_id": "x" * 80}
    path = write_csv(landing / BATCH / "crime_reports.csv", rows)
    if problem == "utf8":
        data = path.read_bytes()
        path.write_bytes(data[:-30] + b"\xff\xfe" + data[-28:])
    write_csv(landing / BATCH / "cases.csv", base_rows("cases"))
    _run(con, landing, slice_rows=SLICE, max_field_chars=60)

    ledger = {r[0]: r[1:] for r in con.execute(
        "select file_name, status, refusal_code, rows_landed from raw.batch_ledger").fetchall()}
    code = "too_large" if problem == "max_field_chars" else "unreadable_file"
    assert ledger["crime_reports.csv"] == ("refused", code, None)
    assert ledger["cases.csv"] == ("loaded", None, 1)
    assert con.execute("select count(*) from raw.crime_reports").fetchall() == [(0,)]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]


def test_manifest_row_count_of_a_file_of_several_slices_refuses_its_batch(con, tmp_path):
    landing = tmp_path / "landing"
    folder = write_batch(landing, BATCH, {"crime_reports": _reports(25),
                                          "cases": base_rows("cases")})
    write_manifest(folder, {"crime_reports.csv": {"rows": 24}})
    write_batch(landing, "20240321T0100", {"cases": base_rows("cases")})
    _run(con, landing, slice_rows=SLICE)
    rows = con.execute("select batch_id, file_name, status, refusal_code from raw.batch_ledger "
                       "order by all").fetchall()
    assert rows == [
        (BATCH, "cases.csv", "refused", "batch_refused"),
        (BATCH, "crime_reports.csv", "refused", "manifest_mismatch"),
        ("20240321T0100", "cases.csv", "loaded", None),
    ]
    for table in TABLES:
        n = con.execute(f"select count(*) from raw.{table} where _batch_id = ?",
                        [BATCH]).fetchall()[0][0]
        assert n == 0


def test_typed_parquet_values_read_as_their_text_would(con, tmp_path):
    """Dates, timestamps, booleans, integers and 64-bit floats a Parquet file holds typed are
    taken as they are, with what reading them as text gives: the same rows accepted, the same
    rules broken (a year past 9999, an integer out of range, a float that is no number:
    unparseable), the same raw values shown."""
    from pipelines.ingest.parse import landed_text

    days = pl.Series([dt.date(2024, 9, 20), dt.date(1900, 1, 1), None, dt.date(2024, 9, 20),
                      dt.date(2024, 11, 1)]).cast(pl.Int32)
    year_10000 = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days + 1
    judgements = pl.DataFrame({
        "judgement_id": ["J1", "J2", "J3", "J4", "J5"],
        "case_id": ["C1"] * 5, "person_id": ["P1"] * 5, "unit_code": ["BTR-TP"] * 5,
        "instance": ["first"] * 5,
        "pronounced_date": days.scatter(2, year_10000).cast(pl.Date),
        "effective_date": [dt.date(2024, 10, 21), None, None, None, dt.date(2024, 10, 1)],
        "verdict": ["convicted"] * 5, "sentence_type": ["prison"] * 5,
        "sentence_months": pl.Series([24, 2**63 + 5, 6, None, 12], dtype=pl.UInt64),
        "at_liberty": [False, True, None, False, True],
        # instants in UTC, nanoseconds (one before 1970, with a part below the microsecond)
        "updated_at": pl.Series([dt.datetime(2024, 3, 20, 1, 0), dt.datetime(1969, 12, 31),
                                 dt.datetime(2024, 3, 19, 23, 59, 59, 999999), None,
                                 dt.datetime(2024, 3, 20, 0, 30)],
                                dtype=pl.Datetime("ns", "UTC")),
    }).with_columns(
        pl.when(pl.col("judgement_id") == "J2")
        .then(pl.col("updated_at") - pl.duration(nanoseconds=1500))
        .otherwise(pl.col("updated_at")).alias("updated_at"))
    scores = pl.DataFrame({
        "score_id": ["S1", "S2", "S3", "S4"], "unit_code": ["BTR-TP"] * 4,
        "indicator_code": ["party_building"] * 4, "period_kind": ["calendar_year"] * 4,
        "period_start": [dt.date(2024, 1, 1)] * 4,
        "value": [0.95, float("nan"), float("inf"), 0.1 + 0.2],
        "weight": pl.Series([0.5, 1.5, None, 2.0], dtype=pl.Float32),  # an extra column
        "updated_at": [dt.datetime(2024, 3, 20, 8)] * 4,
    })

    def as_text(frame: pl.DataFrame) -> pl.DataFrame:
        local = frame.with_columns(
            pl.col(c).dt.convert_time_zone("Asia/Ho_Chi_Minh").dt.replace_time_zone(None)
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime) and t.time_zone is not None)
        return pl.DataFrame([landed_text(s) for s in local.get_columns()])

    typed, text = tmp_path / "typed", tmp_path / "text"
    for landing, convert in ((typed, lambda f: f), (text, as_text)):
        (landing / BATCH).mkdir(parents=True)
        convert(judgements).write_parquet(landing / BATCH / "judgements.parquet")
        convert(scores).write_parquet(landing / BATCH / "manual_scores.parquet")
    _run(con, typed)
    as_strings = _fresh()
    _run(as_strings, text)

    def content(c) -> dict[str, list[tuple]]:
        out = _snapshot(c)
        out["batch_ledger"] = c.execute(  # the files differ, so do their checksums
            "select file_name, status, rows_landed, rows_accepted, rows_quarantined, "
            "extra_columns from raw.batch_ledger order by all").fetchall()
        return out

    assert content(con) == content(as_strings)
    rules = con.execute("select table_name, row_number, column_name, rule, raw_value "
                        "from raw.quarantine order by all").fetchall()
    assert ("judgements", 1, "pronounced_date", "implausible_date", "1900-01-01") in rules
    # an ID-number-like value is masked
    assert ("judgements", 1, "sentence_months", "unparseable", "***") in rules
    assert ("judgements", 2, "pronounced_date", "unparseable", "+10000-01-01") in rules
    assert ("judgements", 4, "effective_date", "date_order",
            "pronounced_date=2024-11-01; effective_date=2024-10-01") in rules
    assert ("manual_scores", 1, "value", "unparseable", "NaN") in rules
    assert ("manual_scores", 2, "value", "unparseable", "inf") in rules
    (extra,) = con.execute("select _extra from raw.manual_scores where score_id = 'S1'"
                           ).fetchall()[0]
    assert extra == '{"weight":"0.5"}'
    # 1969-12-31 00:00 UTC less 1.5 microseconds, in local time (then +08:00), rounded down
    # to the microsecond
    assert con.execute("select updated_at from raw.quarantine where record_id = 'J2' limit 1"
                       ).fetchall() == [(dt.datetime(1969, 12, 31, 7, 59, 59, 999998),)]
