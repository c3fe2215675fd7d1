"""The "Đồng Khởi mới" campaign: pillars as data, the scorecard from case data and manual scores,
and the exemplary-individual candidates."""

from __future__ import annotations

import unicodedata

import pytest
from test_indicators_helpers import Clocks, Raw, build_indicators, d


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_pillars_two_legs_three_spearheads_with_their_indicators(con):
    pillars = rows(con, "select * from reference.campaign_pillars order by sort_order")
    assert [(p["pillar_group"], p["pillar_no"]) for p in pillars] == [
        ("hai_chan", 1),
        ("hai_chan", 2),
        ("ba_mui", 1),
        ("ba_mui", 2),
        ("ba_mui", 3),
    ]
    assert {p["group_name_vi"] for p in pillars} == {"Hai chân", "Ba mũi"}
    for p in pillars:
        assert unicodedata.is_normalized("NFC", p["name_vi"]) and p["name_en"]
    by_pillar: dict[str, set[str]] = {}
    for ind in rows(
        con,
        "select pillar, source, indicator_code from reference.indicators where pillar is not null",
    ):
        by_pillar.setdefault(ind["pillar"], set()).add(ind["source"])
    assert by_pillar == {
        "hai_chan_1": {"manual"},
        "hai_chan_2": {"case_data"},
        "ba_mui_1": {"case_data"},
        "ba_mui_2": {"manual"},
        "ba_mui_3": {"case_data", "manual"},
    }
    ba_mui_1 = {
        r["indicator_code"]
        for r in rows(
            con, "select indicator_code from reference.indicators where pillar = 'ba_mui_1'"
        )
    }
    assert {"wrongful_prosecution_count", "missed_crime_signal_count"} <= ba_mui_1
    campaign = rows(con, "select * from reference.campaign")[0]
    assert (campaign["valid_from"], campaign["valid_to"]) == (d("01/01/2020"), d("31/12/2025"))


@pytest.fixture
def campaign(con):
    raw = Raw(con)
    clocks = Clocks(con, "31/12/2024")
    raw.case("C1", "01/01/2024", unit="BTR-CT")
    clocks.clock(
        "prosecution_decision", "C1", "01/03/2024", "21/03/2024", "20/03/2024", "I1", start_ref="F1"
    )
    clocks.clock(
        "prosecution_decision", "C1", "01/05/2024", "21/05/2024", "25/05/2024", "I2", start_ref="F2"
    )
    raw.manual_score(
        "M1",
        "BTR-CT",
        "party_cell_rating_score",
        "calendar_year",
        "01/01/2024",
        92,
        note="Biên bản họp chi bộ 12/2024",
    )
    raw.manual_score("M2", "BTR-TP", "party_cell_rating_score", "calendar_year", "01/01/2024", 88)
    raw.manual_score("M3", "BTR-CT", "direct_inspection_count", "calendar_year", "01/01/2024", 4)
    raw.manual_score("M4", "BTR-CT", "not_a_campaign_indicator", "calendar_year", "01/01/2024", 1)
    build_indicators(con, "31/12/2024")
    return con


def score(
    con,
    unit: str,
    indicator: str,
    period_kind: str = "calendar_year",
    period_start: str = "01/01/2024",
    hierarchy: str = "as_was",
) -> dict:
    found = rows(
        con,
        "select * from marts.campaign_scorecard where unit_code = ? and indicator_code = ? "
        "and period_kind = ? and period_start = ? and hierarchy = ?",
        [unit, indicator, period_kind, d(period_start), hierarchy],
    )
    assert len(found) == 1
    return found[0]


def test_scorecard_case_data_statuses_are_target_status_codes(campaign):
    march = score(campaign, "BTR-CT", "prosecution_on_time_rate", "month", "01/03/2024")
    assert (march["pillar"], march["value"], march["status"], march["source"]) == (
        "hai_chan_2",
        1.0,
        "met",
        "case_data",
    )
    assert (march["target_value"], march["target_is_confirmed"]) == (pytest.approx(0.9), False)
    may = score(campaign, "BTR-CT", "prosecution_on_time_rate", "month", "01/05/2024")
    assert (may["value"], may["status"]) == (0.0, "missed")
    april = score(campaign, "BTR-CT", "prosecution_on_time_rate", "month", "01/04/2024")
    assert (april["value"], april["status"]) == (None, "insufficient_data")
    assert (
        score(campaign, "BTR-CT", "report_overdue_rate", "month", "01/03/2024")["status"]
        == "insufficient_data"
    )
    wrongful = score(campaign, "BTR-CT", "wrongful_prosecution_count")
    # as-of 31/12/2024 is the year's last day, not past it: no verdict yet, the one so far kept
    assert (wrongful["pillar"], wrongful["value"], wrongful["status"]) == (
        "ba_mui_1", 0, "in_progress")
    assert (wrongful["target_status"], wrongful["is_complete"]) == ("met", False)
    # the per-stage CEPEJ indicators are not campaign indicators
    assert campaign.execute(
        "select count(*) from marts.campaign_scorecard where indicator_code = 'clearance_rate'"
    ).fetchall() == [(0,)]


def test_scorecard_manual_pillars_say_so(campaign):
    party = score(campaign, "BTR-CT", "party_cell_rating_score")
    assert (party["pillar"], party["value"], party["source"], party["status"]) == (
        "hai_chan_1",
        92,
        "manual",
        "no_target",
    )
    assert party["manual_note"] == "Biên bản họp chi bộ 12/2024"
    assert score(campaign, "BTR-CT", "direct_inspection_count")["value"] == 4
    # nothing entered: a manual row with no value
    education = score(campaign, "BTR-CT", "staff_education_score")
    assert (education["value"], education["status"], education["source"]) == (
        None,
        "insufficient_data",
        "manual",
    )
    # rolled up: the province averages its units' scores and names them; counts are summed
    province = score(campaign, "BTR", "party_cell_rating_score")
    assert (province["value"], province["manual_units"]) == (90, "BTR-CT,BTR-TP")
    assert score(campaign, "BTR", "direct_inspection_count")["value"] == 4
    # and a longer period holds the entered ones: the campaign carries the calendar year 2024
    whole = score(campaign, "BTR-CT", "party_cell_rating_score", "campaign", "01/01/2020")
    assert (whole["value"], whole["source"]) == (92, "manual")
    # a period that does not contain the entered one has no value
    assert score(campaign, "BTR-CT", "party_cell_rating_score", "month", "01/03/2024")[
        "value"] is None
    # in as_is both former districts are VLG-R1: their entries are averaged, and named
    merged = score(campaign, "VLG-R1", "party_cell_rating_score", hierarchy="as_is")
    assert (merged["value"], merged["manual_units"]) == (90, "BTR-CT,BTR-TP")
    # an unknown indicator code is not a campaign row
    assert campaign.execute(
        "select count(*) from marts.campaign_scorecard "
        "where indicator_code = 'not_a_campaign_indicator'"
    ).fetchall() == [(0,)]


def test_scorecard_grain_and_pillar_names(campaign):
    dupes = campaign.execute(
        "select count(*) from (select unit_code, hierarchy, period_kind, period_start, pillar, "
        "indicator_code from marts.campaign_scorecard group by all having count(*) > 1)"
    ).fetchall()
    assert dupes == [(0,)]
    names = campaign.execute(
        "select distinct pillar, pillar_name_vi, pillar_name_en from marts.campaign_scorecard "
        "order by pillar"
    ).fetchall()
    assert len(names) == 5 and all(n[1] and n[2] for n in names)


def test_exemplary_candidates_rank_prosecutors_with_a_minimum_caseload(con):
    raw = Raw(con)
    clocks = Clocks(con, "31/12/2024")
    caseload = {
        "KSV01": (12, 12),
        "KSV02": (11, 10),
        "KSV03": (9, 9),
        "KSV04": (15, 15),
        "KSV05": (10, 5),
    }
    n = 0
    for prosecutor, (closed, on_time) in caseload.items():
        raw.case(f"C-{prosecutor}", "01/01/2024", prosecutor=prosecutor)
        for i in range(closed):
            n += 1
            late = i >= on_time
            clocks.clock(
                "prosecution_decision",
                f"C-{prosecutor}",
                "01/02/2024",
                "21/02/2024",
                "25/02/2024" if late else "20/02/2024",
                f"X{n}",
                start_ref=f"F{n}",
                prosecutor=prosecutor,
            )
    # an open clock and a suspension within the deadline are not counted
    clocks.clock(
        "prosecution_decision",
        "C-KSV03",
        "01/11/2024",
        "21/11/2024",
        start_ref="OPEN",
        prosecutor="KSV03",
    )
    raw.event("S1", "case_suspended_by_vks", "C-KSV03", "10/02/2024")
    clocks.clock(
        "prosecution_decision",
        "C-KSV03",
        "01/02/2024",
        "21/02/2024",
        "10/02/2024",
        "S1",
        start_ref="SUSP",
        prosecutor="KSV03",
        status="suspended",
    )
    # KSV04: a person wrongfully prosecuted in their case
    raw.person("P1", "C-KSV04")
    raw.event("A1", "charge_approved", "P1", "05/01/2024", subject_type="person", case_id="C-KSV04")
    raw.event(
        "T1",
        "person_terminated",
        "P1",
        "01/03/2024",
        subject_type="person",
        case_id="C-KSV04",
        outcome="not_a_crime",
        issuing_body="cqdt",
    )
    build_indicators(con, "31/12/2024")
    found = rows(
        con,
        "select prosecutor_id, closed_clocks, on_time_clocks, wrongful_prosecution_count, "
        "rank_in_unit, is_candidate, period_name from marts.exemplary_candidates order by "
        "rank_in_unit",
    )
    assert [
        (
            r["prosecutor_id"],
            r["closed_clocks"],
            r["on_time_clocks"],
            r["wrongful_prosecution_count"],
            r["rank_in_unit"],
            r["is_candidate"],
        )
        for r in found
    ] == [
        ("KSV01", 12, 12, 0, 1, True),
        ("KSV02", 11, 10, 0, 2, True),
        ("KSV05", 10, 5, 0, 3, True),
        ("KSV04", 15, 15, 1, 4, False),
    ]
    assert {r["period_name"] for r in found} == {"SY2024"}
    # KSV03 is below the minimum caseload: nothing about them is shown
    con.execute(
        "update reference.indicator_conventions set value = '12' where setting = "
        "'exemplary_min_closed_clocks'"
    )
    build_indicators(con, "31/12/2024", only=["marts.exemplary_candidates"])
    assert [
        r[0]
        for r in con.execute(
            "select prosecutor_id from marts.exemplary_candidates order by rank_in_unit"
        ).fetchall()
    ] == ["KSV01", "KSV04"]
    columns = {r[0] for r in con.execute("describe marts.exemplary_candidates").fetchall()}
    assert "display_name" not in columns and "full_name" not in columns
