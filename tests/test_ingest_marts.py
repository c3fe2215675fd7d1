"""From landing batches to the steward marts: upserts in staging, convergence whatever the order of
delivery, retractions, pending references, quarantine resolution, data findings, ledger checks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from test_ingest import _set, base_rows, write_batch, write_csv

from pipelines import dbt_compiled, paths
from pipelines.contract import TABLES, create_raw_tables
from pipelines.ingest import ingest_landing
from pipelines.reference.load import load_reference

AS_OF = dt.date(2024, 12, 31)
STEWARD_MARTS = ["marts.batch_ledger", "marts.quarantine", "marts.data_findings"]
STAGING = [f"staging.stg_landing__{t}" for t in TABLES]


@pytest.fixture
def run(con, build):
    """Ingest a landing folder, then build the steward marts and staging."""

    def _run(landing: Path, as_of: dt.date = AS_OF):
        ingest_landing(con, landing, log=lambda *_: None)
        build(as_of, only=[*STEWARD_MARTS, *STAGING])

    return _run


def _later(rows: list[dict[str, str]], when: str, **values: str) -> list[dict[str, str]]:
    return [{**r, "updated_at": when, **values} for r in rows]


def _findings(con) -> list[tuple]:
    return con.execute(
        "select rule, table_name, record_id from marts.data_findings order by all").fetchall()


# --- staging: upserts, order of delivery, retraction ------------------------------------------


def _three_batches(landing: Path) -> None:
    reports = base_rows("crime_reports")
    write_batch(landing, "20240301", {"crime_reports": reports, "cases": base_rows("cases")})
    write_batch(landing, "20240302", {
        # R1 corrected later; R2 re-sent unchanged (same updated_at: the later batch wins).
        "crime_reports": [*_later(reports[:1], "2024-03-21 09:00", handling_body="vks"),
                          reports[1]],
    })
    write_batch(landing, "20240303", {
        # An older version of R1 arrives late: it must not win.
        "crime_reports": _later(reports[:1], "2024-03-19 07:00", unit_code="BTR-CT"),
        "cases": _later(base_rows("cases"), "2024-03-22 10:00", is_deleted="true"),
    })


def _staging(con) -> dict[str, list[tuple]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in STAGING}


def _fresh() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    load_reference(c, paths.REFERENCE_DIR)
    create_raw_tables(c)
    return c


def test_out_of_order_delivery_converges_to_the_same_staging(tmp_path):
    ordered = tmp_path / "ordered"
    _three_batches(ordered)
    a = _fresh()
    ingest_landing(a, ordered, log=lambda *_: None)
    dbt_compiled.build(a, AS_OF, only=STAGING)

    # The same batches delivered night by night in another order: 3, then 1, then 2.
    b = _fresh()
    shuffled = tmp_path / "shuffled"
    for batch in ("20240303", "20240301", "20240302"):
        shutil.copytree(ordered / batch, shuffled / batch)
        ingest_landing(b, shuffled, log=lambda *_: None)
    dbt_compiled.build(b, AS_OF, only=STAGING)

    assert _staging(a) == _staging(b)
    (r1,) = a.execute("select handling_body, unit_code, _batch_id from "
                      "staging.stg_landing__crime_reports where report_id = 'R1'").fetchall()
    assert r1 == ("vks", "BTR-TP", "20240302")
    (r2,) = a.execute("select _batch_id from staging.stg_landing__crime_reports "
                      "where report_id = 'R2'").fetchall()
    assert r2 == ("20240302",)
    # History is kept: every accepted version stays in raw.
    assert a.execute("select count(*) from raw.crime_reports").fetchall() == [(5,)]


def test_is_deleted_retracts_and_dependants_become_pending(con, run, tmp_path):
    write_batch(tmp_path, "b1", {"cases": base_rows("cases"), "persons": base_rows("persons"),
                                 "crime_reports": base_rows("crime_reports")})
    run(tmp_path)
    assert con.execute("select count(*) from staging.stg_landing__cases").fetchall() == [(1,)]
    assert _findings(con) == []
    write_batch(tmp_path, "b2", {"cases": _later(base_rows("cases"), "2024-04-01 08:00",
                                                 is_deleted="có")})
    run(tmp_path)
    assert con.execute("select count(*) from staging.stg_landing__cases").fetchall() == [(0,)]
    assert _findings(con) == [("reference_pending", "persons", "P1|C1"),
                              ("reference_pending", "persons", "P2|C1")]


def test_pending_reference_resolves_when_the_parent_arrives(con, run, tmp_path):
    write_batch(tmp_path, "b1", {
        "case_events": base_rows("case_events")[:1],  # about person P1 in case C1
        "execution_events": base_rows("execution_events"),
    })
    run(tmp_path)
    pending = con.execute(
        "select event_id, is_reference_pending from staging.stg_landing__case_events").fetchall()
    assert pending == [("E1", True)]
    assert _findings(con) == [("reference_pending", "case_events", "E1"),
                              ("reference_pending", "execution_events", "X1")]
    (batch,) = con.execute("select distinct first_seen_batch from marts.data_findings").fetchall()
    assert batch == ("b1",)

    write_batch(tmp_path, "b2", {"cases": base_rows("cases"), "persons": base_rows("persons"),
                                 "crime_reports": base_rows("crime_reports")})
    run(tmp_path)
    assert _findings(con) == [("reference_pending", "execution_events", "X1")]
    write_batch(tmp_path, "b3", {"judgements": base_rows("judgements")})
    run(tmp_path)
    assert _findings(con) == []


def test_case_with_unknown_report_is_a_finding_but_not_pending(con, run, tmp_path):
    write_batch(tmp_path, "b1", {"cases": base_rows("cases")})
    run(tmp_path)
    (row,) = con.execute("select rule, table_name, record_id, unit_code, detail, status "
                         "from marts.data_findings").fetchall()
    assert row[:4] == ("reference_pending", "cases", "C1", "BTR-TP")
    assert "R1" in row[4] and row[5] == "open"


# --- quarantine resolution --------------------------------------------------------------------


def test_fix_and_resubmit_resolves_a_still_broken_resubmission_stays_open(con, run, tmp_path):
    reports = base_rows("crime_reports")
    r3 = {**reports[0], "report_id": "R3"}
    b1, b2 = "20240320T0900", "20240325T0900"  # received on 20/03 and 25/03 (their ids' times)
    write_batch(tmp_path, b1, {"crime_reports": [
        _set(reports, 0, received_date="32/03/2024")[0],  # R1 broken
        _set(reports, 1, source_type="tố giác")[1],  # R2 broken
        r3,  # R3 valid
    ]})
    run(tmp_path)
    write_batch(tmp_path, b2, {"crime_reports": [
        *_later(reports[:1], "2024-03-25 08:00"),  # R1 fixed
        *_later(_set(reports, 1, source_type="to_giac")[1:], "2024-03-25 08:00"),  # still bad
        *_later([r3], "2024-03-25 08:00", received_date="hôm qua"),  # R3 broken later
    ]})
    run(tmp_path, as_of=dt.date(2024, 4, 4))
    rows = con.execute(
        "select batch_id, record_id, rule, status, resolved_by_batch, first_seen_on, "
        "resolved_on, days_open from marts.quarantine order by batch_id, record_id").fetchall()
    d = dt.date
    assert rows == [
        # R1: first seen in b1, resolved by b2 five days later; days_open stops there
        (b1, "R1", "unparseable", "resolved", b2, d(2024, 3, 20), d(2024, 3, 25), 5),
        (b1, "R2", "unknown_code", "open", None, d(2024, 3, 20), None, 15),
        # R2 sent again still broken: it keeps the day it was first rejected
        (b2, "R2", "unknown_code", "open", None, d(2024, 3, 20), None, 15),
        (b2, "R3", "unparseable", "open", None, d(2024, 3, 25), None, 10),
    ]
    # The previous valid version of R3 stays current; R1's fix is current; R2 never arrived.
    current = con.execute("select report_id, received_date, _batch_id from "
                          "staging.stg_landing__crime_reports order by 1").fetchall()
    assert current == [("R1", dt.date(2024, 3, 1), b2), ("R3", dt.date(2024, 3, 1), b1)]
    (resolved_at,) = con.execute("select resolved_at from marts.quarantine "
                                 "where status = 'resolved'").fetchall()[0]
    assert resolved_at is not None


# --- findings ---------------------------------------------------------------------------------


def test_movement_order_and_fact_conflicts(con, run, tmp_path):
    movements = base_rows("detention_movements")
    movements = _set(movements, 1, facility_code="TG-MC")  # released where never taken in
    movements.append({**movements[0], "movement_id": "M3", "movement_type": "transfer_out",
                      "movement_at": "2024-03-12 08:00"})  # before the intake at 09:00
    persons = _set(base_rows("persons"), 0, charged_date="2024-03-11")  # event says 12/03
    executions = _set(base_rows("execution_events"), 0, person_id="P2")
    events = base_rows("case_events") + [{
        **base_rows("case_events")[1], "event_id": "E9", "event_type": "protest_filed_same_level",
        "subject_type": "judgement", "subject_id": "J1", "judgement_id": "J1", "case_id": "C7",
        "return_by": "", "return_ground": "", "is_accepted": "",
    }]
    write_batch(tmp_path, "b1", {
        "crime_reports": base_rows("crime_reports"), "cases": base_rows("cases"),
        "persons": persons, "case_events": events, "judgements": base_rows("judgements"),
        "execution_events": executions, "detention_movements": movements,
        "detention_orders": base_rows("detention_orders"),
    })
    run(tmp_path)
    assert _findings(con) == [
        ("fact_conflict", "case_events", "E9"),
        ("fact_conflict", "execution_events", "X1"),
        ("fact_conflict", "persons", "P1|C1"),
        ("movement_order", "detention_movements", "M2"),
        ("movement_order", "detention_movements", "M3"),
    ]
    details = dict(con.execute("select record_id, detail from marts.data_findings").fetchall())
    assert "11/03/2024" in details["P1|C1"] and "12/03/2024" in details["P1|C1"]
    assert "C7" in details["E9"]
    units = dict(con.execute("select record_id, unit_code from marts.data_findings").fetchall())
    assert units["M3"] == "BTR-TP" and units["P1|C1"] == "BTR-TP"
    ids = con.execute("select count(distinct finding_id), count(*) from marts.data_findings")
    assert ids.fetchall() == [(5, 5)]

    # Findings are recomputed: once the facts agree they are gone.
    write_batch(tmp_path, "b2", {
        "persons": _later(base_rows("persons")[:1], "2024-04-01 08:00"),
        "execution_events": _later(base_rows("execution_events"), "2024-04-01 08:00"),
    })
    run(tmp_path)
    assert [f[1] for f in _findings(con)] == ["case_events", "detention_movements",
                                              "detention_movements"]


# --- ledger mart and its checks ---------------------------------------------------------------


def test_ledger_mart_balances_and_its_checks_pass(con, run, tmp_path):
    write_batch(tmp_path, "b1", {
        "crime_reports": _set(base_rows("crime_reports"), 0, source_type="x"),
        "cases": base_rows("cases"),
    })
    folder = write_batch(tmp_path, "b2", {"cases": base_rows("cases")})
    write_csv(folder / "persons.csv", base_rows("persons"), header=["person_id"])
    run(tmp_path)
    rows = con.execute(
        "select batch_id, file_name, status, rows_landed, rows_accepted, rows_quarantined, "
        "data_quality_rate from marts.batch_ledger order by all").fetchall()
    assert rows == [
        ("b1", "cases.csv", "loaded", 1, 1, 0, 0.0),
        ("b1", "crime_reports.csv", "loaded", 2, 1, 1, 0.5),
        ("b2", "cases.csv", "loaded", 1, 1, 0, 0.0),
        ("b2", "persons.csv", "refused", None, None, None, None),
    ]
    checks = dbt_compiled.checks("batch_ledger")
    assert {c.name for c in checks} >= {"rows_balance", "raw_matches_ledger"}
    for check in checks:
        assert check.blocking
        assert dbt_compiled.check_failures(con, check, AS_OF)[0] == 0, check.name

    # The checks do catch an imbalance.
    con.execute("update raw.batch_ledger set rows_landed = 3 where file_name = 'crime_reports.csv'")
    con.execute("delete from raw.cases where _batch_id = 'b2'")
    dbt_compiled.build(con, AS_OF, only=["marts.batch_ledger"])
    failing = {c.name: dbt_compiled.check_failures(con, c)[0] for c in checks}
    assert failing["rows_balance"] == 1 and failing["raw_matches_ledger"] == 1


def test_steward_marts_carry_no_personal_data(con, run, tmp_path):
    persons = _set(base_rows("persons"), 0, birth_date="06-05-1990", national_id="079")
    write_batch(tmp_path, "b1", {"persons": persons})
    run(tmp_path)
    for mart in STEWARD_MARTS:
        text = " ".join(str(v) for r in con.execute(f"select * from {mart}").fetchall()
                        for v in r)
        for pii in ("Nguyễn Văn Hòa", "Trần Thị Thủy", "083090001234", "06-05-1990"):
            assert pii not in text, mart
