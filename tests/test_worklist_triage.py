"""The triaged worklist and the inter-agency list, given/expect style: rows go into raw.*
tables, the marts are built, and the sections are read back (marts.worklist_triage,
marts.interagency_deadlines; thresholds from reference.worklist_settings)."""

from __future__ import annotations

import datetime as dt

import pytest
from given import insert

D = dt.date.fromisoformat
TRIAGE = ["marts.worklist_triage"]


def a_case(con, case_id="C1", unit="BTR-TP", instituted="2022-01-01") -> None:
    insert(con, "cases", dict(case_id=case_id, unit_code=unit, prosecutor_id="KSV-1",
                              instituted_date=instituted, penal_code_article=173,
                              crime_category="serious"))


def detention(con, end="2023-03-01") -> None:
    insert(con, "persons", dict(person_id="P1", case_id="C1"))
    insert(con, "detention_orders", dict(
        order_id="O1", person_id="P1", case_id="C1", unit_code="BTR-TP", facility_code="TTG-1",
        measure="detention", stage="investigation", extension_no=0,
        start_at="2023-01-01 08:00:00", stated_end_date=end))


def rows(con, table="marts.worklist_triage") -> dict[str, dict]:
    rel = con.sql(f"select * from {table} order by clock_id")
    return {r["clock"]: r for r in (dict(zip(rel.columns, x, strict=True)) for x in rel.fetchall())}


def setting(con, name: str) -> int:
    return int(con.execute("select value from reference.worklist_settings where setting = ?",
                           [name]).fetchone()[0])


def set_setting(con, name: str, value: int) -> None:
    con.execute("update reference.worklist_settings set value = ? where setting = ?",
                [value, name])


@pytest.mark.parametrize("offset, gap", [(-1, False), (0, False), (1, True)])
def test_custody_gap_starts_one_day_past_the_threshold(con, build, offset, gap):
    a_case(con, instituted="2023-01-01")
    detention(con)
    threshold = setting(con, "gap_custody_days")
    build(D("2023-03-01") + dt.timedelta(days=threshold + offset), only=TRIAGE)
    r = rows(con)["detention"]
    assert r["days_late"] == threshold + offset
    assert (r["triage"] == "suspected_gap") is gap
    assert (r["gap_reason"] == "custody_no_release") is gap
    if gap:
        assert r["steward_unit"] == "BTR-TP" and not r["is_today"]
        assert f"ngưỡng {threshold} ngày" in r["gap_detail"]
        assert f"threshold {threshold} days" in r["gap_detail_en"]
    else:
        assert r["triage"] == "overdue" and r["steward_unit"] is None


def test_the_threshold_is_reference_data_not_a_constant(con, build):
    a_case(con, instituted="2023-01-01")
    detention(con)
    set_setting(con, "gap_custody_days", 5)
    build("2023-03-08", only=TRIAGE)  # 7 days late
    assert rows(con)["detention"]["triage"] == "suspected_gap"
    set_setting(con, "gap_custody_days", 7)
    build("2023-03-08", only=TRIAGE)
    assert rows(con)["detention"]["triage"] == "overdue"


@pytest.mark.parametrize("offset, gap", [(-1, False), (0, False), (1, True)])
def test_stale_overdue_gap_at_the_threshold(con, build, offset, gap):
    a_case(con)  # investigation due 01/04/2022
    threshold = setting(con, "gap_overdue_days")
    build(D("2022-04-01") + dt.timedelta(days=threshold + offset), only=TRIAGE)
    r = rows(con)["investigation"]
    assert r["days_late"] == threshold + offset
    assert (r["gap_reason"] == "stale_overdue") is gap
    assert r["triage"] == ("suspected_gap" if gap else "overdue")


def test_activity_after_the_deadline_keeps_an_item_on_the_overdue_list(con, build):
    a_case(con)
    insert(con, "case_events", dict(event_id="E1", event_type="investigation_extended",
                                    subject_type="case", subject_id="C1", case_id="C1",
                                    event_date="2022-09-01"), batch="b2")
    build("2023-05-01", only=TRIAGE)
    r = rows(con)["investigation"]
    assert r["last_activity_on"] == D("2022-09-01")
    assert r["gap_reason"] is None and r["triage"] == "overdue"


@pytest.mark.parametrize("as_of, triage, today", [
    ("2022-03-25", "due_soon", False),
    ("2022-03-31", "due_tomorrow", True),
    ("2022-04-01", "due_today", True),
    ("2022-04-02", "newly_overdue", True),   # no earlier delivery: previous run = as_of - 1
    ("2022-04-04", "overdue", False),
])
def test_today_tomorrow_and_newly_overdue(con, build, as_of, triage, today):
    a_case(con)
    build(as_of, only=TRIAGE)
    r = rows(con)["investigation"]
    assert r["due_on"] == D("2022-04-01")
    assert (r["triage"], r["is_today"]) == (triage, today)
    assert r["previous_as_of"] == D(as_of) - dt.timedelta(days=1)


def test_newly_overdue_counts_from_the_previous_delivery(con, build):
    a_case(con)
    con.execute("insert into raw.batch_ledger (batch_id, file_name, table_name, status, "
                "received_at, loaded_at) values ('b0', 'cases.csv', 'cases', 'loaded', "
                "'2022-03-30 01:00:00', '2022-03-30 01:00:00')")
    build("2022-04-04", only=TRIAGE)  # overdue since 02/04; the last run was on 30/03
    r = rows(con)["investigation"]
    assert r["previous_as_of"] == D("2022-03-30")
    assert r["triage"] == "newly_overdue" and r["is_today"]


def test_the_procuracys_own_deadlines_come_first(con, build):
    a_case(con)
    insert(con, "case_events", dict(event_id="E1", event_type="file_received_by_vks",
                                    subject_type="case", subject_id="C1", case_id="C1",
                                    event_date="2022-03-28"), batch="b2")
    build("2022-04-10", only=TRIAGE)
    r = rows(con)
    own, other = r["prosecution_decision"], r["investigation"]
    assert own["is_vks_own"] and not other["is_vks_own"]
    assert other["status"] == "overdue" and own["status"] == "open"
    assert own["urgency_rank"] < other["urgency_rank"]  # although the other one is overdue


def test_interagency_list_holds_the_horizon_and_the_overdue(con, build):
    a_case(con, "C1", instituted="2022-01-01")   # investigation due 01/04/2022
    a_case(con, "C2", instituted="2022-02-16")   # due 16/05/2022 (a Monday)
    horizon = setting(con, "interagency_horizon_days")
    as_of = D("2022-05-16") - dt.timedelta(days=horizon)
    build(as_of, only=["marts.interagency_deadlines"])
    got = {r[0]: r[1:] for r in con.execute(
        "select case_id, agency, phase, status, days_remaining "
        "from marts.interagency_deadlines").fetchall()}
    assert got == {"C1": ("cqdt", "investigation", "overdue", None),
                   "C2": ("cqdt", "investigation", "open", horizon)}
    build(as_of - dt.timedelta(days=1), only=["marts.interagency_deadlines"])  # C2 beyond N
    got = {r[0] for r in con.execute("select case_id from marts.interagency_deadlines").fetchall()}
    assert got == {"C1"}
    set_setting(con, "interagency_horizon_days", horizon + 1)  # N is reference data
    build(as_of - dt.timedelta(days=1), only=["marts.interagency_deadlines"])
    got = {r[0] for r in con.execute("select case_id from marts.interagency_deadlines").fetchall()}
    assert got == {"C1", "C2"}


def test_interagency_list_follows_the_case_to_the_court(con, build):
    a_case(con)
    insert(con, "case_events", dict(event_id="E1", event_type="file_received_by_vks",
                                    subject_type="case", subject_id="C1", case_id="C1",
                                    event_date="2022-03-28"), batch="b2")
    build("2022-04-10", only=["marts.interagency_deadlines"])
    got = {r[0]: r[1:] for r in con.execute(
        "select clock, agency, phase from marts.interagency_deadlines").fetchall()}
    assert got["prosecution_decision"] == ("vks", "prosecution")
