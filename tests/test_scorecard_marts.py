"""Every unit's scorecard in SQL: running periods without a verdict (is_complete at the
statistical-year boundary), rolling twelve months for annual targets, manual pillars rolled up,
per-prosecutor targets and the gap to the exemplary ones, small caseloads suppressed."""

from __future__ import annotations

import pytest
from test_indicators_helpers import Clocks, Raw, build_indicators, d, value_row


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def one(con, sql: str, params: list | None = None) -> dict:
    found = rows(con, sql, params)
    assert len(found) == 1, found
    return found[0]


def _on_time_clock(clocks: Clocks, case: str, n: int, *, late: bool = False, unit: str = "BTR-CT",
                   prosecutor: str = "KSV01", month: int = 2) -> None:
    clocks.clock("prosecution_decision", case, f"01/{month:02d}/2024", f"21/{month:02d}/2024",
                 f"{25 if late else 20}/{month:02d}/2024", f"X{case}{n}", start_ref=f"F{case}{n}",
                 unit=unit, prosecutor=prosecutor)


# ------------------------------------------------------------------------------------------
# Running periods


@pytest.mark.parametrize(("as_of", "complete", "status"),
                         [("30/11/2024", False, "in_progress"), ("01/12/2024", True, "met")])
def test_a_statistical_year_is_complete_only_once_as_of_is_past_30_11(con, as_of, complete,
                                                                      status):
    Raw(con).case("C1", "01/01/2024")
    clocks = Clocks(con, as_of)
    _on_time_clock(clocks, "C1", 1)
    build_indicators(con, as_of)
    year = value_row(con, "prosecution_on_time_rate", "BTR-CT", "statistical_year", "01/12/2023")
    assert (year["value"], year["period_end"], year["is_complete"]) == (1.0, d("30/11/2024"),
                                                                        complete)
    assert year["target_status"] == "met"  # the figure so far; the verdict waits (below)
    card = one(con, "select status, target_status, is_complete from marts.campaign_scorecard "
                    "where unit_code = 'BTR-CT' and hierarchy = 'as_was' and indicator_code = "
                    "'prosecution_on_time_rate' and period_kind = 'statistical_year' "
                    "and period_start = ?", [d("01/12/2023")])
    assert card == {"status": status, "target_status": "met", "is_complete": complete}


def test_a_running_period_without_a_target_keeps_its_own_status(con):
    Raw(con).case("C1", "01/01/2024")
    clocks = Clocks(con, "30/11/2024")
    _on_time_clock(clocks, "C1", 1)
    build_indicators(con, "30/11/2024")
    card = one(con, "select status, is_complete from marts.campaign_scorecard "
                    "where unit_code = 'BTR-CT' and hierarchy = 'as_was' and indicator_code = "
                    "'investigation_on_time_rate' and period_kind = 'statistical_year' "
                    "and period_start = ?", [d("01/12/2023")])
    assert card == {"status": "insufficient_data", "is_complete": False}


# ------------------------------------------------------------------------------------------
# Rolling twelve months


def test_rolling_twelve_months_hold_the_annual_target_month_by_month(con):
    Raw(con).case("C1", "01/01/2023")
    clocks = Clocks(con, "31/03/2024")
    clocks.clock("prosecution_decision", "C1", "05/01/2023", "25/01/2023", "20/01/2023", "A",
                 start_ref="1")  # on time, January 2023
    clocks.clock("prosecution_decision", "C1", "01/06/2023", "21/06/2023", "25/06/2023", "B",
                 start_ref="2")  # late, June 2023
    clocks.clock("prosecution_decision", "C1", "01/02/2024", "21/02/2024", "20/02/2024", "C",
                 start_ref="3")  # on time, February 2024
    build_indicators(con, "31/03/2024")

    def rolling(start: str) -> dict:
        return value_row(con, "prosecution_on_time_rate", "BTR-CT", "rolling_12m", start)

    to_dec = rolling("01/01/2023")  # January–December 2023: A on time, B late
    assert (to_dec["numerator"], to_dec["denominator"], to_dec["period_end"]) == (
        1, 2, d("31/12/2023"))
    assert (to_dec["target_value"], to_dec["target_status"], to_dec["is_complete"]) == (
        pytest.approx(0.9), "missed", True)
    to_jan = rolling("01/02/2023")  # February 2023 – January 2024: only B
    assert (to_jan["numerator"], to_jan["denominator"]) == (0, 1)
    to_feb = rolling("01/03/2023")  # March 2023 – February 2024: B and C
    assert (to_feb["numerator"], to_feb["denominator"]) == (1, 2)
    # the month alone reads 100 %: the rolling figure is the one an annual target fits
    february = value_row(con, "prosecution_on_time_rate", "BTR-CT", "month", "01/02/2024")
    assert february["value"] == 1.0
    to_mar = rolling("01/04/2023")  # ends on as-of: still running
    assert (to_mar["period_end"], to_mar["is_complete"]) == (d("31/03/2024"), False)
    # no window starts before the first month with records, and none is a scorecard period
    first = con.execute("select min(period_start) from marts.indicator_values "
                        "where period_kind = 'rolling_12m'").fetchone()[0]
    assert first == d("01/01/2023")
    assert con.execute("select count(*) from marts.campaign_scorecard "
                       "where period_kind = 'rolling_12m'").fetchone()[0] == 0
    names = {r[0] for r in con.execute(
        "select period_name from intermediate.int_periods where period_kind = 'rolling_12m'"
    ).fetchall()}
    assert "R12-2023-12" in names and "R12-2024-03" in names


# ------------------------------------------------------------------------------------------
# A scorecard for every unit


@pytest.fixture
def units_with_scores(con):
    raw = Raw(con)
    clocks = Clocks(con, "01/12/2024")
    raw.case("C1", "01/01/2024", unit="BTR-CT")
    _on_time_clock(clocks, "C1", 1)
    for unit, district_scores in (("BTR-CT", (92, 3)), ("BTR-TP", (80, 5)), ("BTR-CL", (86, 1))):
        party, inspections = district_scores
        raw.manual_score(f"P-{unit}", unit, "party_cell_rating_score", "statistical_year",
                         "01/12/2023", party)
        raw.manual_score(f"I-{unit}", unit, "direct_inspection_count", "statistical_year",
                         "01/12/2023", inspections)
    build_indicators(con, "01/12/2024")
    return con


def _card(con, unit: str, hierarchy: str, kind: str = "statistical_year",
          start: str = "01/12/2023") -> list[dict]:
    return rows(con, "select * from marts.campaign_scorecard where unit_code = ? and hierarchy = ? "
                     "and period_kind = ? and period_start = ? order by pillar, indicator_code",
                [unit, hierarchy, kind, d(start)])


def test_every_unit_has_both_pillars_and_every_indicator(units_with_scores):
    con = units_with_scores
    wanted = {(r[0], r[1]) for r in con.execute(
        "select pillar, indicator_code from reference.indicators where pillar is not null"
    ).fetchall()}
    groups = {r[0] for r in con.execute(
        "select distinct pillar_group from reference.campaign_pillars").fetchall()}
    for unit, hierarchy in (("BTR-CT", "as_was"), ("BTR", "as_was"), ("VLG-R1", "as_is"),
                            ("VLG", "as_is")):
        card = _card(con, unit, hierarchy)
        assert {(r["pillar"], r["indicator_code"]) for r in card} == wanted, unit
        assert {r["pillar_group"] for r in card} == groups == {"hai_chan", "ba_mui"}


def test_manual_pillars_are_aggregated_from_the_units_scores(units_with_scores):
    con = units_with_scores

    def manual(unit: str, hierarchy: str, code: str, kind: str = "statistical_year",
               start: str = "01/12/2023") -> dict:
        return next(r for r in _card(con, unit, hierarchy, kind, start)
                    if r["indicator_code"] == code)

    district = manual("BTR-CT", "as_was", "party_cell_rating_score")
    assert (district["value"], district["source"], district["manual_units"]) == (
        92, "manual", "BTR-CT")
    province = manual("BTR", "as_was", "party_cell_rating_score")
    assert province["value"] == pytest.approx((92 + 80 + 86) / 3)
    assert province["manual_units"] == "BTR-CL,BTR-CT,BTR-TP"
    assert manual("BTR", "as_was", "direct_inspection_count")["value"] == 9  # counts add up
    # today's region VLG-R1 took over Bến Tre city and Châu Thành; VLG-R2 Chợ Lách
    region = manual("VLG-R1", "as_is", "party_cell_rating_score")
    assert (region["value"], region["manual_units"]) == (86, "BTR-CT,BTR-TP")
    assert manual("VLG-R2", "as_is", "party_cell_rating_score")["value"] == 86
    # the statistical year's scores are the campaign's (no other year entered)
    campaign = manual("BTR", "as_was", "party_cell_rating_score", "campaign", "01/01/2020")
    assert campaign["value"] == pytest.approx((92 + 80 + 86) / 3)
    assert campaign["status"] == "no_target"  # no target configured for a manual score
    # nothing entered by anyone: no value, and it says so
    education = manual("BTR", "as_was", "staff_education_score")
    assert (education["value"], education["status"]) == (None, "insufficient_data")


# ------------------------------------------------------------------------------------------
# Individual targets and the gap to the exemplary ones


@pytest.fixture
def prosecutors(con):
    raw = Raw(con)
    clocks = Clocks(con, "01/12/2024")
    # (unit, prosecutor, closed, on time)
    for unit, prosecutor, closed, on_time in (
        ("BTR-CT", "KSV01", 12, 11),
        ("BTR-CT", "KSV02", 10, 4),
        ("BTR-CT", "KSV03", 3, 3),  # a perfect record, but too few to show
        ("BTR-TP", "KSV04", 10, 10),
        ("BTR-CL", "KSV05", 2, 2),  # a whole unit too small to compare its rate
    ):
        case = f"C-{prosecutor}"
        raw.case(case, "01/01/2024", unit=unit, prosecutor=prosecutor)
        for i in range(closed):
            _on_time_clock(clocks, case, i, late=i >= on_time, unit=unit, prosecutor=prosecutor)
    con.execute(
        "insert into reference.prosecutor_targets (prosecutor_id, unit_code, indicator_code, "
        "comparator, value, valid_from, source_document) values "
        "('KSV01', '', 'on_time_rate', '>=', '0.9', '2020-01-01', 'Kế hoạch cá nhân 2024'), "
        "('*', 'BTR-CT', 'on_time_rate', '>=', '0.5', '2020-01-01', 'Quyết định giao chỉ tiêu'), "
        "('*', 'BTR-CT', 'court_return_count', '<=', '0', '2020-01-01', 'Quyết định giao chỉ tiêu')"
    )
    build_indicators(con, "01/12/2024")
    return con


def _prosecutor(con, prosecutor: str, code: str) -> dict:
    return one(con, "select * from marts.prosecutor_scorecard where prosecutor_id = ? "
                    "and indicator_code = ? and period_start = ?",
               [prosecutor, code, d("01/12/2023")])


def test_per_prosecutor_targets_own_row_before_the_units(prosecutors):
    con = prosecutors
    own = _prosecutor(con, "KSV01", "on_time_rate")
    assert (own["numerator"], own["denominator"]) == (11, 12)
    assert (own["target_value"], own["target_source"], own["status"]) == (
        pytest.approx(0.9), "Kế hoạch cá nhân 2024", "met")
    unit_wide = _prosecutor(con, "KSV02", "on_time_rate")
    assert (unit_wide["value"], unit_wide["target_value"], unit_wide["status"]) == (
        pytest.approx(0.4), pytest.approx(0.5), "missed")
    returns = _prosecutor(con, "KSV02", "court_return_count")
    assert (returns["value"], returns["status"]) == (0, "met")
    # another unit's prosecutors have no target from BTR-CT's rows
    assert _prosecutor(con, "KSV04", "on_time_rate")["status"] == "no_target"
    # a small caseload shows nothing
    small = _prosecutor(con, "KSV03", "on_time_rate")
    assert (small["is_suppressed"], small["value"], small["numerator"], small["status"]) == (
        True, None, None, "insufficient_data")
    assert _prosecutor(con, "KSV03", "closed_clocks")["value"] is None


def test_per_prosecutor_verdicts_wait_for_the_end_of_the_year(prosecutors):
    con = prosecutors
    build_indicators(con, "30/11/2024")
    own = _prosecutor(con, "KSV01", "on_time_rate")
    assert (own["status"], own["target_status"], own["is_complete"]) == (
        "in_progress", "met", False)


def test_gap_to_the_best_prosecutor_and_unit_with_small_counts_suppressed(prosecutors):
    con = prosecutors

    def gap(subject_type: str, subject: str, code: str, hierarchy: str = "as_was") -> dict:
        return one(con, "select * from marts.exemplary_gaps where subject_type = ? and "
                        "subject_id = ? and indicator_code = ? and hierarchy = ? "
                        "and period_kind = 'statistical_year' and period_start = ?",
                   [subject_type, subject, code, hierarchy, d("01/12/2023")])

    best = gap("prosecutor", "KSV01", "on_time_rate")
    assert (best["best_subject_id"], best["gap_to_best"], best["is_best"], best["peers"]) == (
        "KSV01", 0, True, 2)
    behind = gap("prosecutor", "KSV02", "on_time_rate")
    assert behind["best_value"] == pytest.approx(11 / 12)
    assert behind["gap_to_best"] == pytest.approx(11 / 12 - 0.4)
    # KSV03's 3 of 3 is not the best: too few to compare
    small = gap("prosecutor", "KSV03", "on_time_rate")
    assert (small["is_suppressed"], small["value"], small["gap_to_best"], small["is_best"]) == (
        True, None, None, False)
    # lower is better: no court return for anyone, every shown prosecutor is the best
    assert gap("prosecutor", "KSV02", "court_return_count")["is_best"] is True
    # units: Bến Tre city 10/10 leads the districts; Châu Thành 18/25 is 0.28 behind
    city = gap("unit", "BTR-TP", "prosecution_on_time_rate")
    assert (city["is_best"], city["peer_group"]) == (True, "BTR/district")
    district = gap("unit", "BTR-CT", "prosecution_on_time_rate")
    assert district["value"] == pytest.approx(18 / 25)
    assert (district["best_subject_id"], district["gap_to_best"]) == (
        "BTR-TP", pytest.approx(1 - 18 / 25))
    tiny = gap("unit", "BTR-CL", "prosecution_on_time_rate")
    assert (tiny["is_suppressed"], tiny["value"], tiny["is_best"]) == (True, None, False)
    # the one small-count rule: raising the minimum suppresses the same way everywhere
    con.execute("update reference.indicator_conventions set value = '11' "
                "where setting = 'exemplary_min_closed_clocks'")
    build_indicators(con, "01/12/2024")
    assert gap("prosecutor", "KSV02", "on_time_rate")["is_suppressed"] is True
    assert [r[0] for r in con.execute(
        "select prosecutor_id from marts.exemplary_candidates").fetchall()] == ["KSV01"]
    assert _prosecutor(con, "KSV02", "on_time_rate")["status"] == "insufficient_data"
