"""Properties of the criminal-case deadlines over generated cases (hypothesis):

- due_on is never before due_on_nominal;
- a rolled deadline never falls on a day off (outside the calendar: never on a weekend);
- a clock closed on its due_on is on time (one day later: late by one day);
- status, days_late and days_remaining always agree with the dates (the mart's SQL checks pass).

Each example builds the models on a fresh set of raw rows; the reference data is loaded once.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_deadlines_criminal import Given

from pipelines import paths
from pipelines.contract import TABLES, create_raw_tables
from pipelines.dbt_compiled import build as build_models
from pipelines.dbt_compiled import check_failures, checks
from pipelines.reference.load import load_reference

CATEGORIES = ["less_serious", "serious", "very_serious", "especially_serious"]
# derandomize: CI explores the same examples on every run (a failure is reproducible); explore
# further by hand with a larger max_examples and derandomize=False.
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def warehouse():
    con = duckdb.connect()
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    create_raw_tables(con)
    yield con
    con.close()


def fresh(con) -> Given:
    for table in TABLES:
        con.execute(f"delete from raw.{table}")
    return Given(con)


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# A case: category, institution date, extensions (days after institution, optional stated end
# date in days after institution), and the procuracy's receipt of the file with extensions.
extension = st.tuples(st.integers(1, 19), st.one_of(st.none(), st.integers(10, 720)))
case = st.fixed_dictionaries({
    "category": st.sampled_from(CATEGORIES),
    "instituted": st.dates(dt.date(2018, 1, 1), dt.date(2037, 6, 30)),
    "investigation_extensions": st.lists(extension, max_size=6),
    "file_received_after": st.one_of(st.none(), st.integers(0, 400)),
    "prosecution_extensions": st.lists(extension, max_size=2),
    "report_extensions": st.lists(st.sampled_from(["report_prolonged", "report_extended"]),
                                  max_size=3),
    "charge_changed": st.one_of(st.none(), st.tuples(st.integers(1, 19),
                                                     st.sampled_from(CATEGORIES))),
})


def land(g: Given, cases: list[dict]) -> None:
    for n, c in enumerate(cases):
        case_id, report_id = f"VA{n}", f"NT{n}"
        start = c["instituted"]
        g.report(report_id, ddmmyyyy(start))
        for k, kind in enumerate(c["report_extensions"]):
            g.event(f"{report_id}r{k}", kind, report_id, ddmmyyyy(start + dt.timedelta(days=1 + k)),
                    subject_type="report")
        g.case(case_id, ddmmyyyy(start), c["category"])
        for k, (after, stated) in enumerate(c["investigation_extensions"]):
            g.event(f"{case_id}x{k}", "investigation_extended", case_id,
                    ddmmyyyy(start + dt.timedelta(days=after)),
                    stated_end_date=None if stated is None
                    else ddmmyyyy(start + dt.timedelta(days=stated)))
        if c["charge_changed"]:
            after, category = c["charge_changed"]
            g.event(f"{case_id}cc", "charge_changed", case_id,
                    ddmmyyyy(start + dt.timedelta(days=after)), crime_category=category)
        if c["file_received_after"] is not None:
            received = start + dt.timedelta(days=c["file_received_after"])
            g.event(f"{case_id}f", "file_received_by_vks", case_id, ddmmyyyy(received))
            for k, (after, stated) in enumerate(c["prosecution_extensions"]):
                g.event(f"{case_id}p{k}", "prosecution_extended", case_id,
                        ddmmyyyy(received + dt.timedelta(days=min(after, 19))),
                        stated_end_date=None if stated is None
                        else ddmmyyyy(received + dt.timedelta(days=stated // 10)))


def build(con, as_of: dt.date, table: str = "intermediate.int_clocks_criminal") -> list[dict]:
    build_models(con, as_of, only=[table])
    cur = con.execute(f"select * from {table}")
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def days_off(con) -> set[dt.date]:
    return {r[0] for r in con.execute(
        "select date from reference.calendar where not is_working_day").fetchall()}


def calendar_dates(con) -> tuple[dt.date, dt.date]:
    return con.execute("select min(date), max(date) from reference.calendar").fetchall()[0]


@SETTINGS
@given(cases=st.lists(case, min_size=1, max_size=6), as_of_after=st.integers(0, 900))
def test_due_on_never_before_nominal_nor_on_a_day_off(warehouse, cases, as_of_after) -> None:
    con = warehouse
    land(fresh(con), cases)
    as_of = min(c["instituted"] for c in cases) + dt.timedelta(days=as_of_after)
    clocks = build(con, as_of)
    assert clocks, "every landed case has at least its investigation clock"
    off = days_off(con)
    first, last = calendar_dates(con)
    for clock in clocks:
        assert clock["due_on"] >= clock["due_on_nominal"], clock
        # the roll moves to the first working day on or after the nominal date: no further
        assert (clock["due_on"] - clock["due_on_nominal"]).days <= 12, clock
        if first <= clock["due_on"] <= last:
            assert clock["due_on"] not in off, clock
            between = clock["due_on_nominal"]
            while between < clock["due_on"]:
                assert between in off, clock
                between += dt.timedelta(days=1)
        else:
            assert clock["due_on"].isoweekday() < 6, clock
            assert clock["is_provisional"], clock


@settings(SETTINGS, max_examples=20)
@given(cases=st.lists(case, min_size=1, max_size=4), late_by=st.sampled_from([0, 1]))
def test_a_clock_closed_on_its_due_date_is_on_time(warehouse, cases, late_by) -> None:
    con = warehouse
    g = fresh(con)
    for c in cases:
        c["file_received_after"] = None
        c["investigation_extensions"] = [
            (after, None if stated is None else max(stated, 20))
            for after, stated in c["investigation_extensions"]]
    land(g, cases)
    # every extension is dated within 19 days of the start and no deadline comes before day 20:
    # closing the clock on its due date changes nothing else
    horizon = max(c["instituted"] for c in cases) + dt.timedelta(days=1200)
    first = {c["clock_id"]: c for c in build(con, horizon)}
    for n, _ in enumerate(cases):
        due = first[f"investigation:VA{n}:0"]["due_on"]
        g.event(f"VA{n}end", "investigation_concluded", f"VA{n}",
                ddmmyyyy(due + dt.timedelta(days=late_by)), issuing_body="cqdt")
        due = first[f"report_resolution:NT{n}:0"]["due_on"]
        g.event(f"NT{n}end", "report_resolved", f"NT{n}",
                ddmmyyyy(due + dt.timedelta(days=late_by)),
                subject_type="report", outcome="not_instituted", issuing_body="cqdt")
    second = {c["clock_id"]: c for c in build(con, horizon)}
    for clock_id, before in first.items():
        after = second[clock_id]
        assert after["due_on"] == before["due_on"], (before, after)
        assert after["closed_on"] == before["due_on"] + dt.timedelta(days=late_by)
        expected = ("on_time", 0) if late_by == 0 else ("late", 1)
        assert (after["status"], after["days_late"]) == expected, after


@settings(SETTINGS, max_examples=25)
@given(cases=st.lists(case, min_size=1, max_size=5), as_of_after=st.integers(0, 900),
       closes_after=st.lists(st.one_of(st.none(), st.integers(0, 500)), min_size=5, max_size=5))
def test_status_always_agrees_with_the_dates(warehouse, cases, as_of_after, closes_after) -> None:
    con = warehouse
    g = fresh(con)
    land(g, cases)
    for n, c in enumerate(cases):
        if closes_after[n] is not None:
            g.event(f"VA{n}s", "investigation_suspended", f"VA{n}",
                    ddmmyyyy(c["instituted"] + dt.timedelta(days=closes_after[n])),
                    issuing_body="cqdt")
    as_of = min(c["instituted"] for c in cases) + dt.timedelta(days=as_of_after)
    build(con, as_of, "marts.deadlines")
    for check in checks("deadlines"):
        failing, sample = check_failures(con, check, as_of)
        assert failing == 0, (check.name, sample)
