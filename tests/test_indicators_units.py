"""Periods, the unit hierarchy over the 2025 re-organisation (as_was / as_is), roll-ups, and the
stock-flow balance of every stage, on given clocks.

Units (data/reference/units.csv, mapping `illustrative`): BTR-TP and BTR-CT -> VLG-R1,
BTR-CL -> VLG-R2, BTR-BD -> VLG-R3 from 01/07/2025; BTR -> VLG.
"""

from __future__ import annotations

import pytest
from test_indicators_helpers import Clocks, Raw, build_indicators, d, nd, value_row

from pipelines.dbt_compiled import check_failures, checks
from pipelines.reference.load import merge_landing_reference

AS_OF = "15/08/2025"


def run_check(con, name: str, as_of: str = AS_OF) -> tuple[int, list[tuple]]:
    check = next(c for c in checks("int_stage_stocks") if c.name == name)
    return check_failures(con, check, d(as_of))


# --- periods -------------------------------------------------------------------------------------


def test_periods_are_named_and_bounded_as_the_statistics_regime_says(con):
    Clocks(con, "15/12/2024").clock("report_resolution", "R1", "10/11/2023", "30/11/2023")
    build_indicators(con, "15/12/2024", only=["intermediate.int_periods"])
    rows = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select period_kind, period_start, period_end, measured_through, is_complete, "
            "period_name "
            "from intermediate.int_periods"
        ).fetchall()
    }
    # statistical year 2025 started on 01/12/2024 and is running: its real end is kept
    assert rows[("statistical_year", d("01/12/2024"))] == (
        d("30/11/2025"),
        d("15/12/2024"),
        False,
        "SY2025",
    )
    assert rows[("statistical_year", d("01/12/2023"))] == (
        d("30/11/2024"),
        d("30/11/2024"),
        True,
        "SY2024",
    )
    assert (
        rows[("statistical_year", d("01/12/2022"))][3] == "SY2023"
    )  # contains the first record (11/2023)
    assert rows[("statistical_half", d("01/12/2023"))][0] == d("31/05/2024")
    assert rows[("statistical_half", d("01/06/2024"))][0] == d("30/11/2024")
    assert rows[("statistical_half", d("01/06/2024"))][3] == "SY2024-H2"
    # National Assembly reporting year 2024: 01/10/2023 – 30/09/2024 (the published figures')
    assert rows[("na_year", d("01/10/2023"))] == (d("30/09/2024"), d("30/09/2024"), True, "NA2024")
    assert rows[("na_year", d("01/10/2024"))] == (d("30/09/2025"), d("15/12/2024"), False, "NA2025")
    assert ("na_year", d("01/10/2022")) not in rows  # ended before the first record
    assert rows[("campaign", d("01/01/2020"))][0] == d("31/12/2025")
    assert rows[("quarter", d("01/10/2024"))][3] == "2024-Q4"
    assert rows[("month", d("01/12/2024"))][:2] == (d("31/12/2024"), d("15/12/2024"))
    assert ("month", d("01/10/2023")) not in rows  # before the first record
    assert max(k[1] for k in rows) <= d("15/12/2024")  # nothing starts after as_of
    kinds = {k[0] for k in rows}
    assert kinds == {
        "month",
        "quarter",
        "calendar_year",
        "statistical_year",
        "statistical_half",
        "na_year",
        "rolling_12m",
        "campaign",
    }


# --- the re-organisation ------------------------------------------------------------------------


@pytest.fixture
def reorganised(con):
    raw = Raw(con)
    clocks = Clocks(con, AS_OF)
    raw.case("C1", "10/06/2025", unit="BTR-TP")
    raw.case("C2", "01/05/2025", unit="BTR-CT")
    raw.case("C3", "01/02/2025", unit="BTR-BD")
    raw.case("C4", "01/06/2025", unit="BTR-CT")
    raw.case("C5", "10/06/2025", unit="BTR-CT")
    raw.case("C6", "01/04/2025", unit="BTR-CT")
    raw.case("C7", "01/03/2025", unit="XX-1")  # a unit code not in the reference
    raw.report("R1", "25/06/2025", unit="BTR-CL")
    raw.report("R2", "20/06/2025", unit="BTR-TP")
    raw.event("K2", "case_transferred", "C2", "20/05/2025", to_unit_code="BTR-TP")
    raw.event(
        "K4", "case_transferred", "C4", "01/07/2025", to_unit_code="BTR-BD"
    )  # on the re-organisation day
    raw.event(
        "K5", "case_transferred", "C5", "10/06/2025", to_unit_code="BTR-CL"
    )  # on its first day
    raw.event(
        "K6", "case_transferred", "C6", "15/04/2025", to_unit_code="BTR-TP"
    )  # on its last day
    raw.event(
        "E1", "report_resolved", "R1", "05/07/2025", subject_type="report", outcome="not_instituted"
    )
    clocks.clock("investigation", "C1", "10/06/2025", "10/09/2025")
    clocks.clock("investigation", "C2", "01/05/2025", "01/08/2025", "15/07/2025", "X2")
    clocks.clock(
        "prosecution_decision", "C3", "01/03/2025", "21/03/2025", "10/03/2025", "X3", start_ref="F3"
    )
    clocks.clock("investigation", "C4", "01/06/2025", "01/09/2025")
    clocks.clock("investigation", "C5", "10/06/2025", "10/09/2025", "20/06/2025", "X5")
    clocks.clock("investigation", "C6", "01/04/2025", "01/07/2025", "15/04/2025", "X6")
    clocks.clock("investigation", "C7", "01/03/2025", "01/06/2025")
    clocks.clock("report_resolution", "R1", "25/06/2025", "15/07/2025", "05/07/2025", "E1")
    clocks.clock("report_resolution", "R2", "20/06/2025", "10/07/2025")
    build_indicators(con, AS_OF)
    return con


def stocks(con, hierarchy: str, on: str, stage: str = "investigation") -> dict[str, int]:
    return dict(
        con.execute(
            "select unit_code, open_count from intermediate.int_stage_stocks "
            "where hierarchy = ? and stock_date = ? and stage = ? and open_count > 0",
            [hierarchy, d(on), stage],
        ).fetchall()
    )


def test_as_was_follows_transfers_and_successors_at_each_date(reorganised):
    assert stocks(reorganised, "as_was", "30/06/2025") == {"BTR-TP": 2, "BTR-CT": 1, "XX-1": 1}
    assert stocks(reorganised, "as_was", "31/07/2025") == {"VLG-R1": 1, "VLG-R3": 1, "XX-1": 1}
    assert stocks(reorganised, "as_was", "30/06/2025", stage="report") == {"BTR-CL": 1, "BTR-TP": 1}
    # C6 was transferred and closed on 15/04: closed by its new unit
    assert nd(
        value_row(reorganised, "investigation_on_time_rate", "BTR-TP", "month", "01/04/2025")
    )[:2] == (1, 1)
    april = value_row(
        reorganised, "clearance_rate", "BTR-CT", "month", "01/04/2025", stage="investigation"
    )
    assert nd(april)[:2] == (0, 1)
    # C5 started and was transferred on 10/06: received by BTR-CL
    june = value_row(
        reorganised, "clearance_rate", "BTR-CL", "month", "01/06/2025", stage="investigation"
    )
    assert nd(june)[:2] == (1, 1)
    # C2 closed in July by the successor of the unit it had been transferred to
    assert nd(
        value_row(reorganised, "investigation_on_time_rate", "VLG-R1", "month", "01/07/2025")
    )[:2] == (1, 1)
    # R1 (BTR-CL) carried into VLG-R2's July denominator and resolved there
    assert nd(value_row(reorganised, "report_resolution_rate", "VLG-R2", "month", "01/07/2025"))[
        :3
    ] == (1, 1, 1)


def test_as_is_attributes_everything_to_todays_successor(reorganised):
    assert stocks(reorganised, "as_is", "30/06/2025") == {"VLG-R1": 3, "XX-1": 1}
    assert stocks(reorganised, "as_is", "31/07/2025") == {"VLG-R1": 1, "VLG-R3": 1, "XX-1": 1}
    assert nd(
        value_row(
            reorganised,
            "report_resolution_rate",
            "VLG-R2",
            "month",
            "01/06/2025",
            hierarchy="as_is",
        )
    )[:2] == (0, 1)
    # in as_is there are no BTR rows at all
    n = reorganised.execute(
        "select count(*) from marts.indicator_values where hierarchy = 'as_is' "
        "and unit_code like 'BTR%'"
    ).fetchall()[0][0]
    assert n == 0


def test_province_totals_agree_in_both_views(reorganised):
    diff = reorganised.execute("""
        with provinces as (
            select v.indicator_code, v.stage, v.period_kind, v.period_start, v.hierarchy,
                   sum(coalesce(v.numerator, 0)) as numerator, sum(coalesce(v.denominator,
                       0)) as denominator
            from marts.indicator_values as v
            join marts.units as u on u.hierarchy = v.hierarchy and u.unit_code = v.unit_code
            where u.level = 'province'
            group by all
        )
        select a.indicator_code, a.stage, a.period_kind, a.period_start,
               a.numerator, a.denominator, b.numerator, b.denominator
        from provinces as a
        join provinces as b using (indicator_code, stage, period_kind, period_start)
        where a.hierarchy = 'as_was' and b.hierarchy = 'as_is'
          and (a.numerator <> b.numerator or a.denominator <> b.denominator)
    """).fetchall()
    assert diff == []
    # and they are not trivially empty: the calendar year 2025 straddles the re-organisation
    was = {
        r[0]: r[1:]
        for r in reorganised.execute(
            "select unit_code, numerator, denominator from marts.indicator_values where "
            "hierarchy = 'as_was' "
            "and indicator_code = 'clearance_rate' and stage = 'investigation' "
            "and period_kind = 'calendar_year' and unit_code in ('BTR', 'VLG')"
        ).fetchall()
    }
    assert was == {"BTR": (2, 5), "VLG": (1, 0)}
    assert nd(
        value_row(
            reorganised,
            "clearance_rate",
            "VLG",
            "calendar_year",
            "01/01/2025",
            hierarchy="as_is",
            stage="investigation",
        )
    )[:2] == (3, 5)


def test_rollups_are_flagged_partial_and_illustrative(reorganised):
    for hierarchy in ("as_was", "as_is"):
        row = value_row(
            reorganised,
            "clearance_rate",
            "VLG",
            "month",
            "01/07/2025",
            hierarchy=hierarchy,
            stage="investigation",
        )
        assert row["is_partial_rollup"] is True and row["is_rollup"] is True
        assert "BTR" in row["coverage_note_en"]
        assert row["is_illustrative"] is True
    unit = reorganised.execute(
        "select coverage_note_vi, parent_code, member_units from marts.units "
        "where hierarchy = 'as_is' and unit_code = 'VLG'"
    ).fetchall()[0]
    assert "Bến Tre" in unit[0] and unit[1] is None
    assert set(unit[2].split(",")) >= {"BTR", "BTR-TP", "BTR-CT", "VLG", "VLG-R1"}
    btr = value_row(
        reorganised, "clearance_rate", "BTR", "month", "01/06/2025", stage="investigation"
    )
    assert btr["is_partial_rollup"] is False
    unknown = value_row(
        reorganised, "clearance_rate", "XX-1", "month", "01/03/2025", stage="investigation"
    )
    assert (unknown["is_illustrative"], unknown["is_rollup"], nd(unknown)[:2]) == (
        False,
        False,
        (0, 1),
    )
    parents = dict(
        reorganised.execute(
            "select unit_code, parent_code from marts.units "
            "where hierarchy = 'as_was' and unit_code like 'BTR-%'"
        ).fetchall()
    )
    assert set(parents.values()) == {"BTR"}


def test_stock_flow_balance_holds_for_every_stage_unit_and_month(reorganised):
    assert run_check(reorganised, "stock_flow_balances") == (0, [])
    assert run_check(reorganised, "overdue_within_open") == (0, [])
    flows = reorganised.execute(
        "select hierarchy, unit_code, transferred_in, transferred_out, reorganised_in, "
        "reorganised_out "
        "from intermediate.int_stage_flows where stage = 'investigation' and month_start = "
        "'2025-07-01' "
        "order by all"
    ).fetchall()
    by_unit = {(r[0], r[1]): r[2:] for r in flows}
    assert by_unit[("as_was", "BTR-TP")] == (0, 0, 0, 2)
    assert by_unit[("as_was", "BTR-CT")] == (0, 0, 0, 1)
    assert by_unit[("as_was", "VLG-R1")] == (0, 1, 3, 0)
    assert by_unit[("as_was", "VLG-R3")] == (1, 0, 0, 0)
    assert by_unit[("as_is", "VLG-R1")] == (0, 1, 0, 0)
    assert by_unit[("as_is", "VLG-R3")] == (1, 0, 0, 0)


def test_balance_check_fails_when_the_flows_are_broken(reorganised):
    reorganised.execute(
        "update intermediate.int_stage_flows set resolved = resolved + 1 "
        "where stage = 'investigation' and hierarchy = 'as_was' and unit_code = 'VLG-R1' "
        "and month_start = '2025-07-01'"
    )
    n, sample = run_check(reorganised, "stock_flow_balances")
    assert n == 1
    assert sample[0][:4] == ("investigation", "as_was", "VLG-R1", d("01/07/2025"))


def test_balance_check_fails_when_the_stocks_are_broken(reorganised):
    reorganised.execute(
        "delete from intermediate.int_stage_stocks where stage = 'report' "
        "and hierarchy = 'as_is' and unit_code = 'VLG-R1' and stock_date = '2025-06-30'"
    )
    n, _ = run_check(reorganised, "stock_flow_balances")
    assert n == 2  # June ends and July starts one report short
    reorganised.execute(
        "update intermediate.int_stage_stocks set overdue_count = open_count + 1 "
        "where stage = 'investigation' and unit_code = 'XX-1'"
    )
    assert run_check(reorganised, "overdue_within_open")[0] > 0


# --- landed units (national benchmark) -----------------------------------------------------------


def test_landed_units_with_a_synthetic_province_work_too(con, tmp_path):
    ref = tmp_path / "_reference"
    ref.mkdir()
    lines = ["unit_code,name_vi,level,parent_code,valid_from,valid_to,successor_code,source"]
    for p in (1, 2):
        lines.append(f"SYN-P{p:02d},Tỉnh giả lập {p:02d},province,,2015-01-01,,,synthetic")
        for r in range(1, 6):
            lines.append(
                f"SYN-P{p:02d}-R{r:02d},Khu vực {r},region,SYN-P{p:02d},2015-01-01,,,synthetic"
            )
    (ref / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    merge_landing_reference(con, tmp_path)
    raw = Raw(con)
    clocks = Clocks(con, "30/04/2024")
    for i, unit in enumerate(["SYN-P01-R01", "SYN-P01-R02", "SYN-P02-R05"], start=1):
        raw.case(f"C{i}", "01/03/2024", unit=unit)
        clocks.clock(
            "investigation",
            f"C{i}",
            "01/03/2024",
            "01/06/2024",
            "20/03/2024" if i < 3 else None,
            f"X{i}" if i < 3 else None,
        )
    build_indicators(con, "30/04/2024")
    assert nd(value_row(con, "investigation_on_time_rate", "SYN-P01", "month", "01/03/2024"))[
        :2
    ] == (2, 2)
    for hierarchy in ("as_was", "as_is"):
        row = value_row(
            con,
            "clearance_rate",
            "SYN-P02",
            "month",
            "01/03/2024",
            hierarchy=hierarchy,
            stage="investigation",
        )
        assert nd(row)[:2] == (0, 1)
        assert row["is_illustrative"] is False and row["is_partial_rollup"] is False
    # every landed region has its rows, with or without activity
    regions = con.execute(
        "select count(distinct unit_code) from marts.indicator_values "
        "where unit_code like 'SYN-P__-R__' and hierarchy = 'as_was'"
    ).fetchall()[0][0]
    assert regions == 10
    assert run_check(con, "stock_flow_balances", "30/04/2024") == (0, [])


def test_a_record_after_its_units_valid_to_goes_to_the_successor(con):
    raw = Raw(con)
    clocks = Clocks(con, "31/08/2025")
    raw.report("R1", "10/07/2025", unit="BTR-GT")  # landed under the old code after 30/06/2025
    clocks.clock("report_resolution", "R1", "10/07/2025", "30/07/2025", "20/07/2025", "E1")
    raw.event(
        "E1", "report_resolved", "R1", "20/07/2025", subject_type="report", outcome="not_instituted"
    )
    build_indicators(con, "31/08/2025")
    assert nd(value_row(con, "report_resolution_rate", "VLG-R3", "month", "01/07/2025"))[:2] == (
        1,
        1,
    )
    assert nd(value_row(con, "report_resolution_rate", "VLG", "month", "01/07/2025"))[:2] == (1, 1)
    # the period grid has no as_was row for BTR-GT in July 2025
    n = con.execute(
        "select count(*) from marts.indicator_values where unit_code = 'BTR-GT' "
        "and period_kind = 'month' and period_start = '2025-07-01'"
    ).fetchall()[0][0]
    assert n == 0


def test_a_unit_handing_over_its_work_has_no_rows_after_its_valid_to(reorganised):
    rows = reorganised.execute(
        "select distinct unit_code from marts.indicator_values where hierarchy = 'as_was' "
        "and period_kind = 'month' and period_start = '2025-07-01' order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["VLG", "VLG-R1", "VLG-R2", "VLG-R3", "VLG-R4", "XX-1"]


def test_view_totals_check_passes_and_catches_a_broken_view(reorganised):
    check = next(
        c
        for c in checks("indicator_values")
        if c.name == "view_totals_agree"
    )
    assert check.blocking
    assert check_failures(reorganised, check, d(AS_OF))[0] == 0
    reorganised.execute(
        "update marts.indicator_values set numerator = numerator + 1 "
        "where hierarchy = 'as_is' and unit_code = 'VLG' and indicator_code = 'clearance_rate' "
        "and stage = 'report' and period_kind = 'quarter' and period_start = '2025-07-01'"
    )
    n, sample = check_failures(reorganised, check, d(AS_OF))
    assert n == 1 and sample[0][:4] == ("clearance_rate", "report", "quarter", d("01/07/2025"))
