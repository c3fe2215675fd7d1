"""Indicators computed by the real chain from raw rows: staging, the deadline engine
(marts.deadlines, marts.deadline_findings), then the indicator models and checks."""

from __future__ import annotations

import datetime as dt

import pytest
from test_indicators_helpers import Raw, build_chain, d, nd, value_row

from pipelines.dbt_compiled import check_failures, checks


def failing(con, table: str, as_of: str) -> dict[str, int]:
    return {
        c.name: check_failures(con, c, d(as_of))[0]
        for c in checks(table)
    }


def test_report_received_30_11_and_resolved_01_12_from_raw_rows(con):
    raw = Raw(con)
    raw.report("R1", "30/11/2023", unit="BTR-CT")
    raw.report("R2", "15/11/2023", unit="BTR-CT")
    raw.event(
        "E1",
        "report_resolved",
        "R1",
        "01/12/2023",
        subject_type="report",
        outcome="not_instituted",
        issuing_body="cqdt",
    )
    raw.event(
        "E2",
        "report_resolved",
        "R2",
        "20/11/2023",
        subject_type="report",
        outcome="transferred",
        issuing_body="cqdt",
    )
    build_chain(con, "31/12/2023")
    clocks = con.execute(
        "select clock_id, started_on, closed_on from marts.deadlines order by 1"
    ).fetchall()
    assert clocks == [
        ("report_resolution:R1:0", d("30/11/2023"), d("01/12/2023")),
        ("report_resolution:R2:0", d("15/11/2023"), d("20/11/2023")),
    ]
    # SY2023: R1 received and open at its end; R2 transferred to another body: out of both sides
    assert nd(value_row(con, "report_resolution_rate", "BTR-CT", "statistical_year", "01/12/2022"))[
        :3
    ] == (0, 1, 0)
    assert nd(value_row(con, "report_resolution_rate", "BTR-CT", "statistical_year", "01/12/2023"))[
        :3
    ] == (1, 1, 1)
    # the province roll-up in both views
    assert nd(value_row(con, "report_resolution_rate", "BTR", "statistical_year", "01/12/2023"))[
        :2
    ] == (1, 1)
    assert nd(
        value_row(
            con,
            "report_resolution_rate",
            "VLG",
            "statistical_year",
            "01/12/2023",
            hierarchy="as_is",
        )
    )[:2] == (1, 1)
    assert failing(con, "int_stage_stocks", "31/12/2023") == {
        "grain_is_unique": 0,
        "stock_flow_balances": 0,
        "overdue_within_open": 0,
    }


@pytest.fixture
def chain(con):
    """One district, as of 30/09/2022."""
    raw = Raw(con)
    raw.case("C1", "01/03/2022", unit="BTR-CT", category="serious")
    raw.case("C2", "01/03/2022", unit="BTR-CT", category="serious")
    raw.person("P1", "C1", charged="02/03/2022")
    raw.person("P2", "C2", charged="02/03/2022")
    # C1: investigation concluded in time (due 01/06/2022), file received 25/05, indicted 10/06
    # (20 days from 25/05 = 14/06/2022)
    raw.event("E1", "investigation_concluded", "C1", "20/05/2022", issuing_body="cqdt")
    raw.event("E2", "file_received_by_vks", "C1", "25/05/2022")
    raw.event("E3", "indicted", "C1", "10/06/2022")
    # C2: still under investigation on 30/09 (overdue since 02/06); P2 charged, approved and
    # terminated: no criminal event
    raw.event("E4", "charge_approved", "P2", "03/03/2022", subject_type="person", case_id="C2")
    raw.event(
        "E5",
        "person_terminated",
        "P2",
        "15/07/2022",
        subject_type="person",
        case_id="C2",
        outcome="no_crime_event",
        issuing_body="cqdt",
    )
    # P1 in custody 01/03 08:00 to 03/03/2022, never released nor detained: held past the deadline
    raw.order("O1", "P1", "C1", dt.datetime(2022, 3, 1, 8, 0), "03/03/2022", measure="custody")
    build_chain(con, "30/09/2022")
    return con


def test_chain_on_time_rates_and_stocks(chain):
    statuses = dict(chain.execute("select clock_id, status from marts.deadlines").fetchall())
    assert statuses["investigation:C1:0"] == "on_time"
    assert statuses["investigation:C2:0"] == "overdue"
    assert nd(value_row(chain, "investigation_on_time_rate", "BTR-CT", "month", "01/05/2022"))[
        :3
    ] == (1, 1, 1)
    prosecution = value_row(chain, "prosecution_on_time_rate", "BTR-CT", "month", "01/06/2022")
    assert nd(prosecution) == (1, 1, 1, "met")
    # investigation stage: two cases received in March; C2 open and overdue at the end of Q3
    march = value_row(
        chain, "clearance_rate", "BTR-CT", "month", "01/03/2022", stage="investigation"
    )
    assert nd(march)[:2] == (0, 2)
    q3_age = value_row(
        chain, "pending_age_p90_days", "BTR-CT", "quarter", "01/07/2022", stage="investigation"
    )
    assert (q3_age["denominator"], q3_age["value"]) == (1, (d("30/09/2022") - d("01/03/2022")).days)
    assert failing(chain, "int_stage_stocks", "30/09/2022") == {
        "grain_is_unique": 0,
        "stock_flow_balances": 0,
        "overdue_within_open": 0,
    }


def test_chain_custody_and_wrongful_prosecution(chain):
    custody = chain.execute(
        "select status, due_on from marts.deadlines where clock = 'custody'"
    ).fetchall()
    assert custody == [("overdue", d("03/03/2022"))]
    for month in ("01/03/2022", "01/09/2022"):
        assert nd(value_row(chain, "overdue_custody_count", "BTR-CT", "month", month))[:3] == (
            1,
            None,
            1,
        )
    assert (
        nd(value_row(chain, "overdue_custody_count", "BTR-CT", "calendar_year", "01/01/2022"))[0]
        == 1
    )
    assert nd(value_row(chain, "overdue_detention_count", "BTR-CT", "month", "01/03/2022"))[:4] == (
        0,
        None,
        0,
        "met",
    )
    assert chain.execute(
        "select person_id, rule, domain_rule from marts.wrongful_prosecutions"
    ).fetchall() == [("P2", "terminated_after_charge_approval", 1)]
    assert nd(value_row(chain, "wrongful_prosecution_count", "BTR-CT", "month", "01/07/2022"))[
        :4
    ] == (1, None, 1, "missed")
    scorecard = chain.execute(
        "select status, source from marts.campaign_scorecard where unit_code = 'BTR-CT' and "
        "hierarchy = 'as_was' "
        "and period_kind = 'month' and period_start = '2022-07-01' and indicator_code = "
        "'wrongful_prosecution_count'"
    ).fetchall()
    assert scorecard == [("missed", "case_data")]


def test_chain_findings_feed_illegal_orders_and_late_extension_requests(con):
    raw = Raw(con)
    raw.case("C1", "01/03/2022", unit="BTR-CT", category="serious")
    raw.person("P1", "C1", charged="02/03/2022")
    # investigation due 01/06/2022: the extension had to be requested by 22/05; requested 25/05
    raw.event(
        "X1",
        "investigation_extended",
        "C1",
        "27/05/2022",
        requested_date="25/05/2022",
        stated_end_date="01/09/2022",
        extension_no=1,
    )
    # a custody order of nine days: longer than the 3 days an order may run
    raw.order("O1", "P1", "C1", dt.datetime(2022, 3, 1, 8, 0), "10/03/2022", measure="custody")
    raw.event("R1", "investigation_concluded", "C1", "20/08/2022", issuing_body="cqdt")
    build_chain(con, "30/09/2022")
    rules = {
        r[0]: r[1]
        for r in con.execute("select rule, finding_id from marts.deadline_findings").fetchall()
    }
    assert {"illegal_order", "extension_request_late"} <= set(rules)
    row = value_row(con, "extension_request_late_rate", "BTR-CT", "month", "01/05/2022")
    assert nd(row)[:4] == (1, 1, 1, "missed")
    assert nd(value_row(con, "illegal_order_count", "BTR-CT", "month", "01/03/2022"))[:3] == (
        1,
        None,
        1,
    )
