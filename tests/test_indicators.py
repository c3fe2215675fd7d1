"""Every indicator of the catalogue (outputs.md §2.3) computed by hand on small given datasets.

The clocks are given directly as marts.deadlines rows (tests/test_indicators_helpers.py): each
test states the clocks and events an indicator is computed from, and the values a statistician
would count by hand. test_indicators_chain.py runs the real chain from raw rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_indicators_helpers import Clocks, Raw, build_indicators, d, nd, value_row

BTR_CT = "BTR-CT"


def csv_reference(con, table: str) -> list[dict]:
    cur = con.execute(f"select * from reference.{table}")
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# --- the catalogue and targets as data ------------------------------------------------------


def test_catalogue_has_every_indicator_of_the_contract(con):
    codes = {
        r["indicator_code"] for r in csv_reference(con, "indicators") if r["source"] == "case_data"
    }
    assert codes == {
        "report_resolution_rate",
        "report_overdue_rate",
        "investigation_on_time_rate",
        "prosecution_on_time_rate",
        "trial_preparation_on_time_rate",
        "vks_return_rate",
        "court_return_rate",
        "wrongful_prosecution_count",
        "missed_crime_signal_count",
        "protest_acceptance_rate",
        "overdue_custody_count",
        "overdue_detention_count",
        "illegal_order_count",
        "extension_request_late_rate",
        "execution_decision_on_time_rate",
        "brought_to_serve_rate",
        "clearance_rate",
        "disposition_time_days",
        "pending_age_p90_days",
        # catalogue 1.1 (contract outputs §1.9)
        "vks_own_on_time_rate",
        "premature_suspension_count",
    }
    for row in csv_reference(con, "indicators"):
        assert row["kind"] in {"rate", "count", "days", "score"}
        assert row["direction"] in {"higher_is_better", "lower_is_better"}
        assert row["name_vi"] and row["name_en"] and row["definition_vi"] and row["definition_en"]


def test_every_indicator_names_the_sql_that_computes_it(con):
    from pipelines import paths

    for row in csv_reference(con, "indicators"):
        ref = row["formula_ref"]
        if row["source"] == "manual":
            assert ref == "staging.stg_landing__manual_scores"
        else:
            assert (paths.ROOT / ref).is_file(), ref
            assert row["indicator_code"] in (paths.ROOT / ref).read_text(encoding="utf-8")


def test_targets_marked_unconfirmed_in_the_contract_are_loaded_unconfirmed(con):
    targets = {r["indicator_code"]: r for r in csv_reference(con, "targets")}
    # † in outputs.md §2.3
    for code, value in [
        ("report_resolution_rate", 0.9),
        ("prosecution_on_time_rate", 0.9),
        ("protest_acceptance_rate", 0.7),
        ("execution_decision_on_time_rate", 1.0),
        ("brought_to_serve_rate", 0.98),
        ("clearance_rate", 1.0),
    ]:
        assert targets[code]["is_confirmed"] is False
        assert targets[code]["value"] == pytest.approx(value)
    for code in ("vks_return_rate", "court_return_rate"):  # lower is better, no number
        assert targets[code]["is_confirmed"] is False and targets[code]["value"] is None
    for code in (
        "wrongful_prosecution_count",
        "missed_crime_signal_count",
        "overdue_custody_count",
        "overdue_detention_count",
        "illegal_order_count",
        "extension_request_late_rate",
    ):
        assert targets[code]["value"] == 0 and targets[code]["is_confirmed"] is True
    for code in (
        "report_overdue_rate",
        "investigation_on_time_rate",
        "trial_preparation_on_time_rate",
        "disposition_time_days",
        "pending_age_p90_days",
    ):
        assert code not in targets


# --- crime reports: the carried-over denominator, transfers, stocks at period end ------------


@pytest.fixture
def reports(con):
    """Reports of BTR-CT, as of 15/04/2024.

    R9 02/01 open (overdue from 23/01)      R6 01/02 -> resolved 28/02
    R1 20/02 -> resolved 10/03              R2 25/02 -> transferred to another body 05/03
    R3 05/03 -> administrative handling 20/03   R4 10/03 -> suspended 25/03
    R5 15/03 open                            R7 28/03 -> transferred 30/03
    R8 20/03 -> case C8 instituted 30/03
    """
    raw = Raw(con)
    clocks = Clocks(con, "15/04/2024")
    received = {
        "R1": "20/02/2024",
        "R2": "25/02/2024",
        "R3": "05/03/2024",
        "R4": "10/03/2024",
        "R5": "15/03/2024",
        "R6": "01/02/2024",
        "R7": "28/03/2024",
        "R8": "20/03/2024",
        "R9": "02/01/2024",
    }
    for report_id, on in received.items():
        raw.report(report_id, on, unit=BTR_CT)
    raw.case("C8", "30/03/2024", report_id="R8")
    closers = [
        ("E1", "report_resolved", "R1", "10/03/2024", "not_instituted"),
        ("E2", "report_resolved", "R2", "05/03/2024", "transferred"),
        ("E3", "report_resolved", "R3", "20/03/2024", "administrative_handling"),
        ("E4", "report_suspended", "R4", "25/03/2024", None),
        ("E6", "report_resolved", "R6", "28/02/2024", "not_instituted"),
        ("E7", "report_resolved", "R7", "30/03/2024", "transferred"),
    ]
    for event_id, event_type, report_id, on, outcome in closers:
        raw.event(
            event_id,
            event_type,
            report_id,
            on,
            subject_type="report",
            outcome=outcome,
            issuing_body="cqdt",
        )
    given = [
        ("R1", "11/03/2024", "10/03/2024", "E1"),
        ("R2", "18/03/2024", "05/03/2024", "E2"),
        ("R3", "25/03/2024", "20/03/2024", "E3"),
        ("R4", "01/04/2024", "25/03/2024", "E4"),
        ("R5", "04/04/2024", None, None),
        ("R6", "21/02/2024", "28/02/2024", "E6"),
        ("R7", "17/04/2024", "30/03/2024", "E7"),
        ("R8", "09/04/2024", "30/03/2024", "C8"),
        ("R9", "22/01/2024", None, None),
    ]
    for report_id, due, closed, closed_by in given:
        clocks.clock("report_resolution", report_id, received[report_id], due, closed, closed_by)
    build_indicators(con, "15/04/2024")
    return con


def test_report_resolution_rate_carries_over_open_reports_and_excludes_transfers(reports):
    # March: open at 01/03 R1, R2, R9; received R3, R4, R5, R7, R8; transferred R2, R7.
    # Resolved: R1, R3, R4 (suspension counts), R8 (instituted) -> 4 / (3 + 5 - 2) = 4/6.
    row = value_row(reports, "report_resolution_rate", BTR_CT, "month", "01/03/2024")
    assert nd(row) == (4, 6, pytest.approx(4 / 6), "missed")
    assert row["target_value"] == pytest.approx(0.9)
    assert row["target_comparator"] == ">="
    assert row["target_is_confirmed"] is False
    assert row["target_status_vi"] == "Không đạt"
    # February: open at 01/02 R9; received R6, R1, R2; resolved R6 -> 1/4.
    assert nd(value_row(reports, "report_resolution_rate", BTR_CT, "month", "01/02/2024"))[:2] == (
        1,
        4,
    )
    # April (running, as of 15/04): R5 and R9 carried over, nothing resolved -> 0/2.
    assert nd(value_row(reports, "report_resolution_rate", BTR_CT, "month", "01/04/2024"))[:3] == (
        0,
        2,
        0,
    )
    # Q1: nothing open at 01/01; received 9, transferred 2; resolved R6, R1, R3, R4, R8.
    assert nd(value_row(reports, "report_resolution_rate", BTR_CT, "quarter", "01/01/2024"))[
        :2
    ] == (5, 7)


def test_report_overdue_rate_is_taken_at_period_end_from_the_clock_dates(reports):
    # 31/03: open R5 (due 04/04) and R9 (due 22/01) -> 1/2.
    assert nd(value_row(reports, "report_overdue_rate", BTR_CT, "month", "01/03/2024"))[:3] == (
        1,
        2,
        0.5,
    )
    # 29/02: open R1 (due 11/03), R2 (due 18/03), R9 -> 1/3.
    assert nd(value_row(reports, "report_overdue_rate", BTR_CT, "month", "01/02/2024"))[:2] == (
        1,
        3,
    )
    # Running April is taken at as_of 15/04: R5 is overdue by then too -> 2/2. The run's status
    # column is not used: R5's status says 'overdue' only because as_of is past its due date.
    row = value_row(reports, "report_overdue_rate", BTR_CT, "month", "01/04/2024")
    assert nd(row)[:2] == (2, 2)
    assert row["measured_through"] == d("15/04/2024") and row["period_end"] == d("30/04/2024")
    assert row["is_complete"] is False
    assert row["target_status"] == "no_target"


def test_report_stage_clearance_disposition_time_and_pending_age(reports):
    # March: resolved (every closing, transfers included) R1, R2, R3, R4, R7, R8 = 6; received 5.
    clearance = value_row(reports, "clearance_rate", BTR_CT, "month", "01/03/2024", stage="report")
    assert nd(clearance) == (6, 5, pytest.approx(1.2), "met")
    assert clearance["target_is_confirmed"] is False
    # 31 days × 2 open at 31/03 / 6 resolved.
    disposition = value_row(
        reports, "disposition_time_days", BTR_CT, "month", "01/03/2024", stage="report"
    )
    assert nd(disposition) == (2, 6, pytest.approx(31 * 2 / 6), "no_target")
    # Ages at 31/03: R5 16 days, R9 89 days; nearest-rank p90 of two items is the second.
    age = value_row(reports, "pending_age_p90_days", BTR_CT, "month", "01/03/2024", stage="report")
    assert (age["denominator"], age["value"]) == (2, 89)


def test_disposition_time_scale_is_configurable(reports):
    reports.execute(
        "update reference.indicator_conventions set value = 'fixed_365' "
        "where setting = 'disposition_time_scale'"
    )
    build_indicators(reports, "15/04/2024", only=["marts.indicator_values"])
    row = value_row(reports, "disposition_time_days", BTR_CT, "month", "01/03/2024", stage="report")
    assert row["value"] == pytest.approx(365 * 2 / 6)


def test_suspension_as_resolved_is_a_convention(reports):
    reports.execute(
        "update reference.indicator_conventions set value = 'false' "
        "where setting = 'suspension_counts_as_resolved'"
    )
    build_indicators(reports, "15/04/2024", only=["marts.indicator_values"])
    # R4 (suspended in March) leaves both sides: 3 / 5.
    assert nd(value_row(reports, "report_resolution_rate", BTR_CT, "month", "01/03/2024"))[:2] == (
        3,
        5,
    )


def test_report_received_30_11_and_resolved_01_12_lands_in_two_statistical_years(con):
    raw = Raw(con)
    clocks = Clocks(con, "31/12/2023")
    raw.report("R1", "30/11/2023")
    raw.event(
        "E1", "report_resolved", "R1", "01/12/2023", subject_type="report", outcome="not_instituted"
    )
    clocks.clock("report_resolution", "R1", "30/11/2023", "20/12/2023", "01/12/2023", "E1")
    build_indicators(con, "31/12/2023")
    # SY2023 = 01/12/2022–30/11/2023: received, still open at its end.
    sy2023 = value_row(con, "report_resolution_rate", BTR_CT, "statistical_year", "01/12/2022")
    assert nd(sy2023)[:3] == (0, 1, 0)
    assert sy2023["period_end"] == d("30/11/2023")
    # SY2024 = 01/12/2023–30/11/2024: carried over and resolved.
    assert nd(value_row(con, "report_resolution_rate", BTR_CT, "statistical_year", "01/12/2023"))[
        :3
    ] == (1, 1, 1)
    # the same in the half-years: H2 of SY2023 (01/06–30/11/2023) and H1 of SY2024
    # (01/12/2023–31/05/2024)
    assert nd(value_row(con, "report_resolution_rate", BTR_CT, "statistical_half", "01/06/2023"))[
        :2
    ] == (0, 1)
    assert nd(value_row(con, "report_resolution_rate", BTR_CT, "statistical_half", "01/12/2023"))[
        :2
    ] == (1, 1)
    # calendar months: November received, December resolved
    assert nd(value_row(con, "clearance_rate", BTR_CT, "month", "01/11/2023", stage="report"))[
        :2
    ] == (0, 1)
    assert nd(value_row(con, "clearance_rate", BTR_CT, "month", "01/12/2023", stage="report"))[
        :2
    ] == (1, 0)
    assert (
        value_row(con, "clearance_rate", BTR_CT, "month", "01/12/2023", stage="report")[
            "target_status"
        ]
        == "insufficient_data"
    )


# --- on-time rates of closed clocks ----------------------------------------------------------


@pytest.fixture
def case_clocks(con):
    """Case clocks of BTR-CT closed in May 2024 (as of 30/06/2024)."""
    raw = Raw(con)
    clocks = Clocks(con, "30/06/2024")
    for case_id in ("C1", "C2", "C3", "C4", "C5", "C6"):
        raw.case(case_id, "01/01/2024")
    raw.event("S1", "investigation_suspended", "C3", "10/05/2024", issuing_body="cqdt")
    raw.event("S2", "investigation_suspended", "C4", "20/05/2024", issuing_body="cqdt")
    raw.event("S3", "case_suspended_by_vks", "C5", "12/05/2024")
    # investigation: on time, late, suspended within the deadline, suspended after it;
    # a resumed investigation on time; one closed in June
    clocks.clock("investigation", "C1", "01/01/2024", "01/04/2024", "25/03/2024", "X1")
    clocks.clock("investigation", "C2", "01/01/2024", "01/04/2024", "05/05/2024", "X2")
    clocks.clock(
        "investigation", "C3", "01/03/2024", "01/06/2024", "10/05/2024", "S1", status="suspended"
    )
    clocks.clock(
        "investigation", "C4", "01/01/2024", "01/05/2024", "20/05/2024", "S2", status="late"
    )
    clocks.clock(
        "resumed_investigation",
        "C1",
        "01/04/2024",
        "01/06/2024",
        "15/05/2024",
        "X3",
        start_ref="R1",
    )
    clocks.clock("investigation", "C6", "01/02/2024", "01/07/2024", "02/06/2024", "X4")
    # prosecution: two on time, one late, one suspended within the deadline
    clocks.clock(
        "prosecution_decision", "C1", "01/05/2024", "21/05/2024", "20/05/2024", "I1", start_ref="F1"
    )
    clocks.clock(
        "prosecution_decision", "C2", "02/05/2024", "22/05/2024", "22/05/2024", "I2", start_ref="F2"
    )
    clocks.clock(
        "prosecution_decision", "C6", "01/04/2024", "21/04/2024", "03/05/2024", "I3", start_ref="F3"
    )
    clocks.clock(
        "prosecution_decision",
        "C5",
        "01/05/2024",
        "21/05/2024",
        "12/05/2024",
        "S3",
        start_ref="F5",
        status="suspended",
    )
    # trial preparation: one on time, one late (after a return)
    clocks.clock(
        "trial_preparation", "C1", "01/03/2024", "01/05/2024", "28/04/2024", "T1", start_ref="A1"
    )
    clocks.clock(
        "trial_decision_after_return",
        "C2",
        "01/04/2024",
        "16/04/2024",
        "20/04/2024",
        "T2",
        start_ref="A2",
    )
    # supplementary investigation and hearing clocks are not part of these rates
    clocks.clock(
        "supplementary_investigation_vks",
        "C6",
        "01/03/2024",
        "01/05/2024",
        "05/05/2024",
        "F3",
        start_ref="V1",
    )
    clocks.clock(
        "hearing_opening", "C1", "28/04/2024", "13/05/2024", "20/05/2024", "H1", start_ref="T1"
    )
    build_indicators(con, "30/06/2024")
    return con


def test_investigation_on_time_rate_excludes_suspensions_within_the_deadline(case_clocks):
    # May: C2 late, C3 suspended in time (out), C4 suspended after its deadline (late), C1
    # resumed on time
    assert nd(
        value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "month", "01/05/2024")
    ) == (1, 3, pytest.approx(1 / 3), "no_target")
    # Q2 adds C6 closed 02/06 on time
    assert nd(
        value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "quarter", "01/04/2024")
    )[:2] == (2, 4)
    # Q1: C1 closed 25/03 on time
    assert nd(
        value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "quarter", "01/01/2024")
    )[:2] == (1, 1)


def test_late_suspension_convention_can_exclude_every_suspension(case_clocks):
    case_clocks.execute(
        "update reference.indicator_conventions set value = 'excluded' "
        "where setting = 'suspension_after_deadline'"
    )
    build_indicators(case_clocks, "30/06/2024", only=["marts.indicator_values"])
    assert nd(value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "month", "01/05/2024"))[
        :2
    ] == (1, 2)


def test_prosecution_and_trial_preparation_on_time_rates(case_clocks):
    row = value_row(case_clocks, "prosecution_on_time_rate", BTR_CT, "month", "01/05/2024")
    assert nd(row) == (2, 3, pytest.approx(2 / 3), "missed")
    assert (row["target_value"], row["target_is_confirmed"]) == (pytest.approx(0.9), False)
    assert nd(
        value_row(case_clocks, "trial_preparation_on_time_rate", BTR_CT, "month", "01/04/2024")
    )[:2] == (1, 2)


def test_prosecution_and_trial_stage_clearance_disposition_and_age(case_clocks):
    def staged(indicator, stage, month):
        return value_row(case_clocks, indicator, BTR_CT, "month", month, stage=stage)

    # prosecution, May: received C1, C2, C5; closed C1, C2, C5 (suspended), C6 -> 4/3; nothing
    # open at 31/05
    assert nd(staged("clearance_rate", "prosecution", "01/05/2024"))[:3] == (
        4,
        3,
        pytest.approx(4 / 3),
    )
    assert nd(staged("disposition_time_days", "prosecution", "01/05/2024"))[:3] == (0, 4, 0)
    assert nd(staged("pending_age_p90_days", "prosecution", "01/05/2024"))[2:] == (
        None,
        "insufficient_data",
    )
    # April: C6 received 01/04 and still open at 30/04 (29 days old), nothing resolved
    assert nd(staged("clearance_rate", "prosecution", "01/04/2024"))[:3] == (0, 1, 0)
    assert nd(staged("disposition_time_days", "prosecution", "01/04/2024"))[2:] == (
        None,
        "insufficient_data",
    )
    assert staged("pending_age_p90_days", "prosecution", "01/04/2024")["value"] == 29
    # trial: preparation C1 (01/03–28/04) and the decision after a return C2 (01/04–20/04);
    # hearing_opening is not a stage item
    assert nd(staged("clearance_rate", "trial", "01/03/2024"))[:2] == (0, 1)
    assert staged("pending_age_p90_days", "trial", "01/03/2024")["value"] == 30
    assert nd(staged("clearance_rate", "trial", "01/04/2024"))[:3] == (2, 1, 2)
    assert nd(staged("disposition_time_days", "trial", "01/04/2024"))[:3] == (0, 2, 0)


def test_zero_denominators_are_insufficient_data_and_zero_counts_meet_zero_targets(case_clocks):
    row = value_row(case_clocks, "prosecution_on_time_rate", BTR_CT, "month", "01/02/2024")
    assert nd(row) == (0, 0, None, "insufficient_data")
    assert row["target_status_vi"] == "Chưa đủ dữ liệu"
    # a unit with no activity at all still has its rows
    idle = value_row(case_clocks, "wrongful_prosecution_count", "BTR-BD", "month", "01/02/2024")
    assert nd(idle) == (0, None, 0, "met")
    assert nd(value_row(case_clocks, "vks_return_rate", "BTR-BD", "month", "01/02/2024")) == (
        0,
        0,
        None,
        "insufficient_data",
    )


def test_exceeded_only_where_the_target_sets_a_margin(case_clocks):
    assert (
        value_row(case_clocks, "trial_preparation_on_time_rate", BTR_CT, "month", "01/03/2024")[
            "value"
        ]
        is None
    )
    row = value_row(case_clocks, "prosecution_on_time_rate", BTR_CT, "month", "01/06/2024")
    assert row["target_status"] == "insufficient_data"
    # investigation Q1 is 1/1 = 1.0; give it a target of 0.9, first without a margin, then with one
    case_clocks.execute(
        "insert into reference.targets (indicator_code, stage, comparator, value, "
        "source_document, valid_from, is_confirmed) values "
        "('investigation_on_time_rate', '*', '>=', 0.9, 'test', '2020-01-01', true)"
    )
    build_indicators(case_clocks, "30/06/2024", only=["marts.indicator_values"])
    row = value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "quarter", "01/01/2024")
    assert (row["value"], row["target_status"], row["target_is_confirmed"]) == (1.0, "met", True)
    case_clocks.execute(
        "update reference.targets set exceed_margin = 0.05 "
        "where indicator_code = 'investigation_on_time_rate'"
    )
    build_indicators(case_clocks, "30/06/2024", only=["marts.indicator_values"])
    row = value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "quarter", "01/01/2024")
    assert (row["target_status"], row["target_status_vi"]) == ("exceeded", "Vượt")
    may = value_row(case_clocks, "investigation_on_time_rate", BTR_CT, "month", "01/05/2024")
    assert may["target_status"] == "missed"


def test_lower_is_better_without_a_value_gives_no_target(con):
    raw = Raw(con)
    Clocks(con, "31/03/2024")
    raw.case("C1", "01/01/2024")
    raw.event("F1", "file_received_by_vks", "C1", "01/02/2024")
    raw.event("V1", "returned_by_vks", "C1", "10/02/2024")
    build_indicators(con, "31/03/2024")
    row = value_row(con, "vks_return_rate", BTR_CT, "month", "01/02/2024")
    assert nd(row) == (1, 1, 1.0, "no_target")
    assert row["target_comparator"] == "<=" and row["target_value"] is None
    assert row["target_is_confirmed"] is False


# --- execution --------------------------------------------------------------------------------


def test_execution_decision_on_time_and_brought_to_serve_rates(con):
    Raw(con)
    clocks = Clocks(con, "30/04/2024")
    clocks.clock("issue_execution_decision", "J1", "01/03/2024", "08/03/2024", "07/03/2024", "X1")
    clocks.clock("issue_execution_decision", "J2", "01/03/2024", "08/03/2024", "11/03/2024", "X2")
    clocks.clock("issue_execution_decision", "J3", "25/03/2024", "01/04/2024")  # open: not counted
    # report_to_serve counted in the month it falls due
    clocks.clock(
        "report_to_serve", "J1", "20/03/2024", "27/03/2024", "25/03/2024", "X3", start_ref="S1"
    )
    clocks.clock(
        "report_to_serve", "J2", "25/03/2024", "01/04/2024", "02/04/2024", "X4", start_ref="S2"
    )
    clocks.clock(
        "report_to_serve", "J4", "24/03/2024", "31/03/2024", start_ref="S4"
    )  # absconded, still open
    clocks.clock(
        "report_to_serve", "J5", "28/04/2024", "05/05/2024", start_ref="S5"
    )  # due after as_of
    build_indicators(con, "30/04/2024")
    row = value_row(con, "execution_decision_on_time_rate", BTR_CT, "month", "01/03/2024")
    assert nd(row) == (1, 2, 0.5, "missed")
    assert (row["target_value"], row["target_is_confirmed"]) == (1.0, False)
    assert nd(value_row(con, "brought_to_serve_rate", BTR_CT, "month", "01/03/2024"))[:2] == (1, 2)
    # J2 came a day late: due in April, closed after due
    assert nd(value_row(con, "brought_to_serve_rate", BTR_CT, "month", "01/04/2024"))[:2] == (0, 1)
    assert (
        value_row(con, "brought_to_serve_rate", BTR_CT, "month", "01/04/2024")["target_value"]
        == 0.98
    )


# --- returns ------------------------------------------------------------------------------------


def test_vks_return_rate_leaves_out_files_back_from_a_court_return(con):
    raw = Raw(con)
    Clocks(con, "31/12/2024")
    for case_id in ("C1", "C2", "C3", "C4"):
        raw.case(case_id, "01/01/2024")
    # C1: received, returned twice, received again -> one case in both sides
    raw.event("F1", "file_received_by_vks", "C1", "01/03/2024")
    raw.event("V1", "returned_by_vks", "C1", "10/03/2024")
    raw.event("F2", "file_received_by_vks", "C1", "20/03/2024")
    raw.event("V2", "returned_by_vks", "C1", "25/03/2024")
    # C2: received, indicted; the court returns it (accepted); the file comes back and the
    # procuracy returns it again: those later events are left out
    raw.event("F3", "file_received_by_vks", "C2", "01/03/2024")
    raw.event("I3", "indicted", "C2", "15/03/2024")
    raw.event(
        "T3",
        "returned_by_court",
        "C2",
        "01/04/2024",
        issuing_body="toa",
        is_accepted=True,
        return_by="presiding_judge",
        return_ground="missing_evidence",
    )
    raw.event("F4", "file_received_by_vks", "C2", "20/05/2024")
    raw.event("V4", "returned_by_vks", "C2", "25/05/2024")
    # C3: received, not returned
    raw.event("F5", "file_received_by_vks", "C3", "05/03/2024")
    # C4: received in February, returned in April (carried into the April denominator)
    raw.event("F6", "file_received_by_vks", "C4", "20/02/2024")
    raw.event("V6", "returned_by_vks", "C4", "02/04/2024")
    build_indicators(con, "31/12/2024")
    assert nd(value_row(con, "vks_return_rate", BTR_CT, "month", "01/03/2024"))[:2] == (1, 3)
    assert nd(value_row(con, "vks_return_rate", BTR_CT, "month", "01/04/2024"))[:3] == (1, 1, 1.0)
    assert nd(value_row(con, "vks_return_rate", BTR_CT, "month", "01/05/2024"))[:2] == (0, 0)
    # Q1: C1, C2, C3, C4 received; C1 returned -> 1/4. Q2: C4 returned -> 1/1.
    assert nd(value_row(con, "vks_return_rate", BTR_CT, "quarter", "01/01/2024"))[:2] == (1, 4)
    assert nd(value_row(con, "vks_return_rate", BTR_CT, "calendar_year", "01/01/2024"))[:2] == (
        2,
        4,
    )
    # the alternative convention: only cases received in the period
    con.execute(
        "update reference.indicator_conventions set value = 'received' "
        "where setting = 'return_rate_denominator'"
    )
    build_indicators(con, "31/12/2024", only=["marts.indicator_values"])
    assert nd(value_row(con, "vks_return_rate", BTR_CT, "month", "01/04/2024"))[:3] == (1, 0, None)


def test_court_return_rate_counts_accepted_returns_once_per_case(con):
    raw = Raw(con)
    Clocks(con, "31/12/2024")
    for case_id in ("C1", "C2", "C3"):
        raw.case(case_id, "01/01/2024")
    raw.event("I1", "indicted", "C1", "01/03/2024")
    raw.event("I2", "indicted", "C2", "05/03/2024")
    raw.event("I3", "indicted", "C3", "10/03/2024")
    # C1 returned twice (presiding judge, then trial panel): once
    raw.event(
        "T1",
        "returned_by_court",
        "C1",
        "15/03/2024",
        issuing_body="toa",
        is_accepted=True,
        return_by="presiding_judge",
        return_ground="missing_evidence",
    )
    raw.event(
        "T2",
        "returned_by_court",
        "C1",
        "28/03/2024",
        issuing_body="toa",
        is_accepted=True,
        return_by="trial_panel",
        return_ground="procedural_violation",
    )
    # C2: a return the procuracy did not accept; an empty is_accepted is not accepted either
    raw.event("T3", "returned_by_court", "C2", "20/03/2024", issuing_body="toa", is_accepted=False)
    raw.event("T4", "returned_by_court", "C3", "21/03/2024", issuing_body="toa")
    # C1 comes back and is returned again in May (accepted)
    raw.event(
        "T5",
        "returned_by_court",
        "C1",
        "20/05/2024",
        issuing_body="toa",
        is_accepted=True,
        return_by="trial_panel",
    )
    build_indicators(con, "31/12/2024")
    assert nd(value_row(con, "court_return_rate", BTR_CT, "month", "01/03/2024"))[:2] == (1, 3)
    # May: C1 returned (not indicted in May; in the denominator with the default convention)
    assert nd(value_row(con, "court_return_rate", BTR_CT, "month", "01/05/2024"))[:2] == (1, 1)
    assert nd(value_row(con, "court_return_rate", BTR_CT, "calendar_year", "01/01/2024"))[:2] == (
        1,
        3,
    )
    con.execute(
        "update reference.indicator_conventions set value = 'first_return_only' "
        "where setting = 'court_return_counting'"
    )
    build_indicators(con, "31/12/2024", only=["marts.indicator_values"])
    assert nd(value_row(con, "court_return_rate", BTR_CT, "month", "01/05/2024"))[:2] == (0, 0)


# --- wrongful prosecutions and missed crimes ---------------------------------------------------


@pytest.fixture
def wrongful(con):
    raw = Raw(con)
    Clocks(con, "31/12/2024")
    raw.case("C1", "01/01/2024")
    raw.case("C2", "01/01/2024", unit="BTR-BD")
    raw.case("C3", "01/01/2024")
    for person_id, case_id in [
        ("P1", "C1"),
        ("P2", "C1"),
        ("P3", "C2"),
        ("P4", "C2"),
        ("P5", "C3"),
        ("P6", "C3"),
        ("P7", "C3"),
        ("P8", "C1"),
    ]:
        raw.person(person_id, case_id, charged="05/01/2024")
    for i, (person_id, case_id) in enumerate(
        [("P1", "C1"), ("P2", "C1"), ("P3", "C2"), ("P5", "C3"), ("P6", "C3"), ("P8", "C1")]
    ):
        raw.event(
            f"A{i}",
            "charge_approved",
            person_id,
            "10/01/2024",
            subject_type="person",
            case_id=case_id,
        )
    # P1: terminated by the investigation body, no criminal event -> rule 1, March
    raw.event(
        "T1",
        "person_terminated",
        "P1",
        "15/03/2024",
        subject_type="person",
        case_id="C1",
        outcome="no_crime_event",
        issuing_body="cqdt",
    )
    # P2: terminated for amnesty -> not wrongful
    raw.event(
        "T2",
        "person_terminated",
        "P2",
        "16/03/2024",
        subject_type="person",
        case_id="C1",
        outcome="amnesty",
        issuing_body="cqdt",
    )
    # C2 terminated by the procuracy, not a crime: P3 (approved) counts, P4 (no approval) does not
    raw.event(
        "T3", "case_terminated", "C2", "20/04/2024", outcome="not_a_crime", issuing_body="vks"
    )
    # P5: acquitted at first instance, conviction on appeal -> the final judgement convicts
    raw.judgement("J5", "C3", "P5", "01/06/2024", verdict="acquitted")
    raw.judgement("J5A", "C3", "P5", "01/09/2024", verdict="convicted", instance="appeal")
    # P6: convicted at first instance, acquitted on appeal -> rule 3, dated 10/09
    raw.judgement("J6", "C3", "P6", "01/06/2024", verdict="convicted")
    raw.judgement("J6A", "C3", "P6", "10/09/2024", verdict="acquitted", instance="appeal")
    # P7: acquitted, no approval recorded -> counts (convention
    # acquittal_requires_charge_approved = false)
    raw.judgement("J7", "C3", "P7", "05/06/2024", verdict="acquitted")
    # P8: a termination dated before the approval does not count
    raw.event(
        "T8",
        "person_terminated",
        "P8",
        "05/01/2024",
        subject_type="person",
        case_id="C1",
        outcome="unproven_time_expired",
        issuing_body="cqdt",
    )
    build_indicators(con, "31/12/2024")
    return con


def test_wrongful_prosecutions_drill_down_has_one_row_per_person(wrongful):
    rows = wrongful.execute(
        "select person_id, case_id, unit_code, rule, domain_rule, outcome, charge_approved_on, "
        "dated_on "
        "from marts.wrongful_prosecutions order by person_id"
    ).fetchall()
    assert rows == [
        (
            "P1",
            "C1",
            BTR_CT,
            "terminated_after_charge_approval",
            1,
            "no_crime_event",
            d("10/01/2024"),
            d("15/03/2024"),
        ),
        (
            "P3",
            "C2",
            "BTR-BD",
            "terminated_after_charge_approval",
            2,
            "not_a_crime",
            d("10/01/2024"),
            d("20/04/2024"),
        ),
        (
            "P6",
            "C3",
            BTR_CT,
            "acquitted_by_final_judgement",
            3,
            "acquitted",
            d("10/01/2024"),
            d("10/09/2024"),
        ),
        ("P7", "C3", BTR_CT, "acquitted_by_final_judgement", 3, "acquitted", None, d("05/06/2024")),
    ]
    columns = {r[0] for r in wrongful.execute("describe marts.wrongful_prosecutions").fetchall()}
    assert not columns & {"full_name", "national_id", "birth_date"}


def test_wrongful_prosecution_count_is_dated_by_termination_or_final_judgement(wrongful):
    row = value_row(wrongful, "wrongful_prosecution_count", BTR_CT, "month", "01/03/2024")
    assert nd(row) == (1, None, 1, "missed")
    assert (row["target_value"], row["target_is_confirmed"]) == (0, True)
    assert (
        nd(
            value_row(wrongful, "wrongful_prosecution_count", BTR_CT, "calendar_year", "01/01/2024")
        )[0]
        == 3
    )
    assert (
        nd(value_row(wrongful, "wrongful_prosecution_count", "BTR-BD", "quarter", "01/04/2024"))[0]
        == 1
    )
    assert (
        nd(value_row(wrongful, "wrongful_prosecution_count", BTR_CT, "quarter", "01/04/2024"))[0]
        == 1
    )  # P7
    assert nd(
        value_row(wrongful, "wrongful_prosecution_count", BTR_CT, "quarter", "01/10/2024")
    ) == (0, None, 0, "met")
    assert (
        nd(value_row(wrongful, "wrongful_prosecution_count", "BTR", "calendar_year", "01/01/2024"))[
            0
        ]
        == 4
    )


def test_acquittal_may_require_an_approved_charge(wrongful):
    wrongful.execute(
        "update reference.indicator_conventions set value = 'true' "
        "where setting = 'acquittal_requires_charge_approved'"
    )
    build_indicators(
        wrongful, "31/12/2024", only=["marts.indicator_values", "marts.wrongful_prosecutions"]
    )
    people = [
        r[0]
        for r in wrongful.execute(
            "select person_id from marts.wrongful_prosecutions order by 1"
        ).fetchall()
    ]
    assert people == ["P1", "P3", "P6"]


def test_missed_crime_signals_one_row_per_event(con):
    raw = Raw(con)
    Clocks(con, "31/12/2024")
    raw.report("R1", "01/02/2024", unit="BTR-BD")
    raw.case("C1", "01/01/2024")
    raw.event(
        "M1",
        "returned_by_court",
        "C1",
        "05/03/2024",
        issuing_body="toa",
        is_accepted=True,
        return_ground="other_crime",
    )
    raw.event(
        "M2",
        "returned_by_court",
        "C1",
        "06/03/2024",
        issuing_body="toa",
        is_accepted=True,
        return_ground="other_offender",
    )
    raw.event(
        "M3",
        "returned_by_court",
        "C1",
        "07/03/2024",
        issuing_body="toa",
        is_accepted=False,
        return_ground="other_crime",
    )  # not accepted
    raw.event(
        "M4",
        "returned_by_court",
        "C1",
        "08/03/2024",
        issuing_body="toa",
        is_accepted=True,
        return_ground="missing_evidence",
    )  # another ground
    raw.event("M5", "vks_requested_institution", "R1", "10/03/2024", subject_type="report")
    raw.event("M6", "non_institution_cancelled", "R1", "10/04/2024", subject_type="report")
    build_indicators(con, "31/12/2024")
    rows = con.execute(
        "select event_id, signal, unit_code, event_date from marts.missed_crime_signals "
        "order by event_id"
    ).fetchall()
    assert rows == [
        ("M1", "court_return_other_crime", BTR_CT, d("05/03/2024")),
        ("M2", "court_return_other_offender", BTR_CT, d("06/03/2024")),
        ("M5", "vks_requested_institution", "BTR-BD", d("10/03/2024")),
        ("M6", "non_institution_cancelled", "BTR-BD", d("10/04/2024")),
    ]
    assert nd(value_row(con, "missed_crime_signal_count", BTR_CT, "month", "01/03/2024")) == (
        2,
        None,
        2,
        "missed",
    )
    assert nd(value_row(con, "missed_crime_signal_count", "BTR-BD", "month", "01/03/2024"))[0] == 1
    assert nd(value_row(con, "missed_crime_signal_count", "BTR", "quarter", "01/01/2024"))[0] == 3
    assert (
        nd(value_row(con, "missed_crime_signal_count", "BTR", "calendar_year", "01/01/2024"))[0]
        == 4
    )


# --- protests ---------------------------------------------------------------------------------


def test_protest_acceptance_rate_leaves_out_withdrawn_protests(con):
    raw = Raw(con)
    Clocks(con, "31/12/2024")
    raw.case("C1", "01/01/2024")
    for i in range(1, 6):
        raw.person(f"P{i}", "C1")
        raw.judgement(f"J{i}", "C1", f"P{i}", "01/03/2024", unit="BTR-TP")
    raw.event(
        "D1",
        "protest_decided",
        "J1",
        "10/05/2024",
        subject_type="judgement",
        judgement_id="J1",
        case_id="C1",
        is_accepted=True,
        issuing_body="toa",
    )
    raw.event(
        "D2",
        "protest_decided",
        "J2",
        "11/05/2024",
        subject_type="judgement",
        judgement_id="J2",
        case_id="C1",
        is_accepted=False,
        issuing_body="toa",
    )
    raw.event(
        "D3",
        "protest_decided",
        "J3",
        "12/05/2024",
        subject_type="judgement",
        judgement_id="J3",
        case_id="C1",
        issuing_body="toa",
    )  # empty: not accepted
    raw.event(
        "W4",
        "protest_withdrawn",
        "J4",
        "01/05/2024",
        subject_type="judgement",
        judgement_id="J4",
        case_id="C1",
    )
    raw.event(
        "D4",
        "protest_decided",
        "J4",
        "13/05/2024",
        subject_type="judgement",
        judgement_id="J4",
        case_id="C1",
        is_accepted=True,
        issuing_body="toa",
    )  # withdrawn before: left out
    raw.event(
        "D5",
        "protest_decided",
        "J5",
        "02/06/2024",
        subject_type="judgement",
        judgement_id="J5",
        case_id="C1",
        is_accepted=True,
        issuing_body="toa",
    )
    build_indicators(con, "31/12/2024")
    row = value_row(con, "protest_acceptance_rate", "BTR-TP", "month", "01/05/2024")
    assert nd(row) == (1, 3, pytest.approx(1 / 3), "missed")
    assert (row["target_value"], row["target_is_confirmed"]) == (pytest.approx(0.7), False)
    assert nd(value_row(con, "protest_acceptance_rate", "BTR-TP", "quarter", "01/04/2024"))[:2] == (
        2,
        4,
    )


# --- custody and detention ------------------------------------------------------------------------


def test_overdue_custody_and_detention_count_persons_at_any_time_in_the_period(con):
    Raw(con)
    clocks = Clocks(con, "15/06/2024")
    # P1 custody 01/03–04/03, released 06/03 -> past the deadline 05–06/03
    clocks.clock(
        "custody",
        "P1",
        "01/03/2024",
        "04/03/2024",
        "06/03/2024",
        "M1",
        start_ref="O1",
        person_id="P1",
        case_id="C1",
    )
    # P2 custody on time
    clocks.clock(
        "custody",
        "P2",
        "01/03/2024",
        "04/03/2024",
        "04/03/2024",
        "M2",
        start_ref="O2",
        person_id="P2",
        case_id="C1",
    )
    # P3 detention ends 31/03, still held at as_of 15/06 -> past the deadline in April, May, June
    clocks.clock(
        "detention", "P3", "01/01/2024", "31/03/2024", start_ref="O3", person_id="P3", case_id="C1"
    )
    # P4 two detention clocks, both late in May: one person
    clocks.clock(
        "detention",
        "P4",
        "01/04/2024",
        "30/04/2024",
        "02/05/2024",
        "O5",
        start_ref="O4",
        person_id="P4",
        case_id="C1",
    )
    clocks.clock(
        "detention",
        "P4",
        "03/05/2024",
        "20/05/2024",
        "25/05/2024",
        "M4",
        start_ref="O5",
        person_id="P4",
        case_id="C1",
    )
    # P5 detention ending 31/05, released 31/05: on time
    clocks.clock(
        "detention",
        "P5",
        "01/04/2024",
        "31/05/2024",
        "31/05/2024",
        "M5",
        start_ref="O6",
        person_id="P5",
        case_id="C1",
    )
    build_indicators(con, "15/06/2024")
    row = value_row(con, "overdue_custody_count", BTR_CT, "month", "01/03/2024")
    assert nd(row) == (1, None, 1, "missed")
    assert row["target_is_confirmed"] is True
    assert nd(value_row(con, "overdue_custody_count", BTR_CT, "month", "01/04/2024"))[0] == 0
    assert nd(value_row(con, "overdue_detention_count", BTR_CT, "month", "01/03/2024"))[0] == 0
    assert nd(value_row(con, "overdue_detention_count", BTR_CT, "month", "01/04/2024"))[0] == 1
    assert nd(value_row(con, "overdue_detention_count", BTR_CT, "month", "01/05/2024"))[0] == 2
    assert nd(value_row(con, "overdue_detention_count", BTR_CT, "month", "01/06/2024"))[0] == 1
    assert nd(value_row(con, "overdue_detention_count", BTR_CT, "quarter", "01/04/2024"))[0] == 2
    assert (
        nd(value_row(con, "overdue_detention_count", "BTR", "calendar_year", "01/01/2024"))[0] == 2
    )


def test_illegal_orders_are_counted_by_the_start_of_the_order(con):
    raw = Raw(con)
    clocks = Clocks(con, "30/06/2024")
    raw.case("C1", "01/01/2024")
    raw.person("P1", "C1")
    raw.order(
        "O1",
        "P1",
        "C1",
        dt.datetime(2024, 2, 28, 22, 30),
        "03/03/2024",
        measure="custody",
        unit="BTR-TP",
    )
    raw.order("O2", "P1", "C1", dt.datetime(2024, 3, 3, 9, 0), "31/05/2024", unit="BTR-TP")
    custody = clocks.clock(
        "custody",
        "P1",
        "28/02/2024",
        "03/03/2024",
        "03/03/2024",
        "O2",
        start_ref="O1",
        person_id="P1",
        case_id="C1",
        unit="BTR-TP",
    )
    detention = clocks.clock(
        "detention",
        "P1",
        "03/03/2024",
        "31/05/2024",
        "31/05/2024",
        "M1",
        start_ref="O2",
        person_id="P1",
        case_id="C1",
        unit="BTR-TP",
    )
    clocks.finding(
        f"illegal_order:{custody}:O1", "illegal_order", custody, unit="BTR-TP"
    )  # the custody order (February)
    clocks.finding(
        f"illegal_order:{detention}", "illegal_order", detention, unit="BTR-TP"
    )  # the stage (March)
    clocks.finding(  # the same stage again, one of its orders: the clock counts once (D15)
        f"illegal_order:{detention}:O3", "illegal_order", detention, unit="BTR-TP",
        dated_on="02/04/2024",
    )
    clocks.finding(  # a warn is never counted (D5)
        f"illegal_order:{detention}:after_due", "illegal_order", detention, unit="BTR-TP",
        severity="warn", dated_on="01/02/2024",
    )
    clocks.finding(
        f"held_without_order:{detention}", "held_without_order", detention, unit="BTR-TP"
    )
    build_indicators(con, "30/06/2024")
    assert nd(value_row(con, "illegal_order_count", "BTR-TP", "month", "01/02/2024")) == (
        1,
        None,
        1,
        "missed",
    )
    assert nd(value_row(con, "illegal_order_count", "BTR-TP", "month", "01/03/2024"))[0] == 1
    assert nd(value_row(con, "illegal_order_count", "BTR-TP", "quarter", "01/01/2024"))[0] == 2


def test_extension_request_late_rate(con):
    raw = Raw(con)
    clocks = Clocks(con, "30/06/2024")
    raw.case("C1", "01/01/2024")
    raw.case("C2", "01/01/2024")
    raw.person("P1", "C1")
    investigation = clocks.clock("investigation", "C1", "01/01/2024", "01/07/2024")
    # two investigation extensions requested in March (one late), one without a request date
    raw.event("X1", "investigation_extended", "C1", "25/03/2024", requested_date="10/03/2024")
    raw.event("X2", "investigation_extended", "C2", "28/03/2024", requested_date="25/03/2024")
    raw.event("X3", "investigation_extended", "C2", "28/04/2024")
    # detention extension orders: one late in April; the original order is not a request
    raw.order("O1", "P1", "C1", dt.datetime(2024, 1, 1, 9), "31/03/2024")
    raw.order(
        "O2",
        "P1",
        "C1",
        dt.datetime(2024, 4, 1, 9),
        "31/05/2024",
        extension_no=1,
        requested_date="28/03/2024",
    )
    raw.order(
        "O3",
        "P1",
        "C1",
        dt.datetime(2024, 6, 1, 9),
        "30/06/2024",
        extension_no=2,
        requested_date="15/05/2024",
    )
    clocks.finding(
        f"extension_request_late:{investigation}:X2",
        "extension_request_late",
        investigation,
        severity="warn",
        subject_type="case",
        subject_id="C1",
    )
    clocks.finding(
        f"extension_request_late:{investigation}:X3",
        "extension_request_late",
        investigation,
        severity="unknown",
        subject_type="case",
        subject_id="C2",
    )
    clocks.finding("extension_request_late:O2", "extension_request_late", None, severity="warn")
    build_indicators(con, "30/06/2024")
    row = value_row(con, "extension_request_late_rate", BTR_CT, "month", "01/03/2024")
    assert nd(row) == (
        2,
        3,
        pytest.approx(2 / 3),
        "missed",
    )  # X1, X2 (late), O2 (late, requested 28/03)
    assert nd(value_row(con, "extension_request_late_rate", BTR_CT, "month", "01/05/2024")) == (
        0,
        1,
        0,
        "met",
    )
    assert nd(value_row(con, "extension_request_late_rate", BTR_CT, "month", "01/04/2024"))[:2] == (
        0,
        0,
    )


def test_every_mart_column_is_documented(reports):
    build_indicators(reports, "15/04/2024")
    undocumented = reports.execute("""
        select table_name, column_name from duckdb_columns()
        where schema_name = 'marts' and comment is null
          and table_name in ('indicator_values', 'units', 'wrongful_prosecutions',
              'missed_crime_signals',
                             'campaign_scorecard', 'exemplary_candidates')
    """).fetchall()
    assert undocumented == []
    tables = reports.execute(
        "select table_name, comment from duckdb_tables() where schema_name = 'marts' "
        "and table_name = 'indicator_values'"
    ).fetchall()
    assert "indicator" in tables[0][1].lower()


def test_vks_own_on_time_rate(con):
    """Catalogue 1.1: approve_detention, decide_custody_extension and approve_charge clocks
    closed on time / closed in the period; an hour clock is late by closed_at against due_at
    even when it closes on its due_on (W11). Hand-over clocks do not count. Target ≥ 0.95 †."""
    clocks = Clocks(con, "30/06/2024")
    for n, (clock, closed) in enumerate([("approve_detention", "10/04/2024"),
                                         ("approve_charge", "12/04/2024"),
                                         ("decide_custody_extension", "11/04/2024"),
                                         ("send_charge_decision", "20/04/2024")]):
        clocks.clock(clock, "P1", "08/04/2024", "11/04/2024", closed, f"X{n}",
                     start_ref=f"O{n}", person_id="P1", case_id="C1", unit="BTR-TP")
    con.execute("update marts.deadlines set due_at = timestamp '2024-04-11 08:00', "
                "closed_at = timestamp '2024-04-11 09:30', status = 'late', days_late = 1 "
                "where clock = 'decide_custody_extension'")
    build_indicators(con, "30/06/2024")
    row = value_row(con, "vks_own_on_time_rate", "BTR-TP", "month", "01/04/2024")
    assert nd(row)[:3] == (1, 3, pytest.approx(1 / 3))
    assert (row["target_value"], row["target_comparator"], row["target_is_confirmed"],
            row["target_status"]) == (0.95, ">=", False, "missed")


def test_premature_suspension_count(con):
    """Catalogue 1.1: premature_suspension findings of severity error, by the suspension's
    date; a warn is never counted. Target 0 †."""
    clocks = Clocks(con, "30/06/2024")
    inv = clocks.clock("investigation", "C1", "02/01/2024", "02/04/2024", "15/03/2024", "E-s",
                       unit="BTR-TP", status="suspended")
    rep = clocks.clock("report_resolution", "R1", "01/03/2024", "21/03/2024", "15/03/2024",
                       "E-r", unit="BTR-TP", status="suspended")
    clocks.finding(f"premature_suspension:{inv}", "premature_suspension", inv, unit="BTR-TP",
                   subject_type="case", subject_id="C1", dated_on="15/03/2024")
    clocks.finding(f"premature_suspension:{rep}", "premature_suspension", rep, unit="BTR-TP",
                   subject_type="report", subject_id="R1", severity="warn",
                   dated_on="15/03/2024")
    build_indicators(con, "30/06/2024")
    row = value_row(con, "premature_suspension_count", "BTR-TP", "month", "01/03/2024")
    assert nd(row)[0] == 1
    assert (row["target_value"], row["target_is_confirmed"], row["target_status"]) == (
        0, False, "missed")
