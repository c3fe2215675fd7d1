"""Appellate protest windows (marts.protest_windows): 15 and 30 days from pronouncement, never
rolled, with status used / late / expired / open; and the mart's SQL checks."""

from __future__ import annotations

import datetime as dt

import pytest
from given import insert

from pipelines.dbt_compiled import check_failures
from pipelines.dbt_compiled import checks as dbt_checks

MODELS = ["marts.protest_windows"]
D = dt.date.fromisoformat


@pytest.fixture
def judgements(con):
    insert(
        con,
        "cases",
        dict(
            case_id="C1",
            unit_code="BTR-MCB",
            instituted_date="2023-01-05",
            penal_code_article=173,
            crime_category="serious",
        ),
    )
    insert(con, "persons", dict(person_id="P1", case_id="C1"), dict(person_id="P2", case_id="C1"))
    insert(
        con,
        "judgements",
        dict(
            judgement_id="J-1",
            case_id="C1",
            person_id="P1",
            unit_code="BTR-MCB",
            instance="first",
            pronounced_date="2023-08-10",
            verdict="convicted",
        ),
        dict(
            judgement_id="J-2",
            case_id="C1",
            person_id="P2",
            unit_code="BTR-MCB",
            instance="first",
            pronounced_date="2023-08-10",
            verdict="acquitted",
        ),
        dict(
            judgement_id="J-3",
            case_id="C1",
            person_id="P1",
            unit_code="BTR-MCB",
            instance="appeal",
            pronounced_date="2023-11-10",
            verdict="convicted",
        ),
    )


def protest(event_id, level, date, judgement_id="J-1") -> dict:
    return dict(
        event_id=event_id,
        event_type=f"protest_filed_{level}",
        subject_type="judgement",
        subject_id=judgement_id,
        case_id="C1",
        event_date=date,
        judgement_id=judgement_id,
        issuing_body="vks",
    )


def windows(con) -> dict[tuple[str, str], dict]:
    rel = con.sql("select * from marts.protest_windows")
    rows = (dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall())
    return {(r["judgement_id"], r["window"]): r for r in rows}


def run_checks(con, as_of: str) -> dict[str, int]:
    checks = dbt_checks("protest_windows")
    assert {c.name for c in checks} >= {
        "status_is_consistent",
        "two_windows_per_judgement",
        "closes_on_follows_the_roll",
    }
    return {c.name: check_failures(con, c, D(as_of))[0] for c in checks}


def roll_windows_off(con) -> None:
    """The alternative of convention roll_windows (contract 1.1 C5): windows never rolled."""
    con.execute("update reference.indicator_conventions set value = 'false' "
                "where setting = 'roll_windows'")


def test_w6_windows_close_on_25_august_and_9_september_rolled_to_11(con, build, judgements):
    build("2023-08-20", only=MODELS)
    w = windows(con)
    assert set(w) == {
        ("J-1", "same_level"),
        ("J-1", "superior"),
        ("J-2", "same_level"),
        ("J-2", "superior"),
    }
    same, sup = w[("J-1", "same_level")], w[("J-1", "superior")]
    assert (same["opens_on"], same["closes_on"]) == (D("2023-08-10"), D("2023-08-25"))
    assert (sup["opens_on"], sup["closes_on"]) == (D("2023-08-10"), D("2023-09-11")), (
        "Sat 09/09/2023 rolled to Mon 11/09/2023 (contract 1.1 C5)"
    )
    assert (same["status"], same["days_remaining"], sup["days_remaining"]) == ("open", 5, 22)
    assert (same["rule_id"], same["legal_basis"]) == (
        "protest_window:same_level",
        "BLTTHS 2015 Art. 337(1)",
    )
    assert (same["case_id"], same["person_id"], same["unit_code"], same["as_of"]) == (
        "C1",
        "P1",
        "BTR-MCB",
        D("2023-08-20"),
    )
    assert all(x["status"] == "open" for x in w.values())
    assert set(run_checks(con, "2023-08-20").values()) == {0}


def test_statuses_used_late_expired(con, build, judgements):
    roll_windows_off(con)  # the 1.0 dates: the superior window ends Sat 09/09/2023
    insert(
        con,
        "case_events",
        protest("E-1", "same_level", "2023-08-25"),  # on the last day: used
        protest("E-2", "superior", "2023-09-11"),  # after 09/09: late
        protest("E-3", "superior", "2023-09-12"),  # a second late one
        protest("E-4", "same_level", "2023-09-30", "J-2"),
    )  # after as_of: ignored
    build("2023-09-10", only=MODELS)
    w = windows(con)
    assert (w[("J-1", "same_level")]["status"], w[("J-1", "same_level")]["protest_event_id"]) == (
        "used",
        "E-1",
    )
    assert w[("J-1", "same_level")]["protested_on"] == D("2023-08-25")
    assert (w[("J-1", "superior")]["status"], w[("J-1", "superior")]["protest_event_id"]) == (
        "expired",
        None,
    )
    assert (w[("J-2", "same_level")]["status"], w[("J-2", "superior")]["status"]) == (
        "expired",
        "expired",
    )
    assert all(x["days_remaining"] is None for x in w.values())
    build("2023-09-20", only=MODELS)
    w = windows(con)
    assert (w[("J-1", "superior")]["status"], w[("J-1", "superior")]["protest_event_id"]) == (
        "late",
        "E-2",
    )
    assert not {x["status"] for x in w.values()} & {"overdue"}
    assert set(run_checks(con, "2023-09-20").values()) == {0}


def test_a_timely_protest_wins_over_a_late_one(con, build, judgements):
    insert(
        con,
        "case_events",
        protest("E-1", "superior", "2023-09-15"),
        protest("E-2", "superior", "2023-09-01"),
    )
    build("2023-10-01", only=MODELS)
    w = windows(con)[("J-1", "superior")]
    assert (w["status"], w["protest_event_id"], w["protested_on"]) == (
        "used",
        "E-2",
        D("2023-09-01"),
    )


def test_unit_is_attributed_at_the_close_of_the_window(con, build):
    """BTR-MCB ends on 30/06/2025 (successor VLG-R2): a window closing on 25/06 stays with it,
    one closing on 10/07 goes to the successor."""
    insert(
        con,
        "cases",
        dict(
            case_id="C1",
            unit_code="BTR-MCB",
            instituted_date="2025-01-05",
            penal_code_article=173,
            crime_category="serious",
        ),
    )
    insert(con, "persons", dict(person_id="P1", case_id="C1"))
    insert(
        con,
        "judgements",
        dict(
            judgement_id="J-1",
            case_id="C1",
            person_id="P1",
            unit_code="BTR-MCB",
            instance="first",
            pronounced_date="2025-06-10",
            verdict="convicted",
        ),
    )
    build("2025-06-30", only=MODELS)
    assert {x["unit_code"] for x in windows(con).values()} == {"BTR-MCB"}
    build("2025-08-01", only=MODELS)
    w = windows(con)
    assert (w[("J-1", "same_level")]["unit_code"], w[("J-1", "superior")]["unit_code"]) == (
        "BTR-MCB",
        "VLG-R2",
    )


def test_checks_catch_a_broken_mart(con, build, judgements):
    roll_windows_off(con)
    build("2023-09-20", only=MODELS)
    con.execute("update marts.protest_windows set status = 'overdue' where judgement_id = 'J-2'")
    con.execute(
        "update marts.protest_windows set closes_on = date '2023-09-11' "
        "where judgement_id = 'J-1' and \"window\" = 'superior'"
    )
    con.execute(
        "delete from marts.protest_windows where judgement_id = 'J-1' and \"window\" = 'same_level'"
    )
    failures = run_checks(con, "2023-09-20")
    assert failures["status_is_consistent"] == 2
    assert failures["closes_on_follows_the_roll"] == 1
    assert failures["two_windows_per_judgement"] == 1


def test_a_new_rule_version_applies_to_judgements_pronounced_from_its_valid_from(con, build,
                                                                                 judgements):
    """Rule versions are chosen in one place (int_deadline_rule_versions): a hypothetical 45-day
    superior window from 01/09/2023 leaves the August judgements on 30 days, both in the
    windows and in the end of the windows in int_judgements_final."""
    con.execute("""
        insert into reference.deadline_rules by name
        select * replace ('protest_window:superior:v2' as rule_id, 45 as length,
                          date '2023-09-01' as valid_from)
        from reference.deadline_rules where rule_id = 'protest_window:superior'
    """)
    insert(con, "judgements", dict(judgement_id="J-4", case_id="C1", person_id="P2",
                                   unit_code="BTR-MCB", instance="first",
                                   pronounced_date="2023-09-05", verdict="convicted"),
           batch="b2")
    build("2023-12-31", only=[*MODELS, "intermediate.int_judgements_final"])
    w = windows(con)
    assert w[("J-1", "superior")]["closes_on"] == D("2023-09-11")  # Sat 09/09 rolled (C5)
    assert w[("J-4", "superior")]["closes_on"] == D("2023-10-20")
    assert w[("J-4", "superior")]["rule_id"] == "protest_window:superior:v2"
    assert w[("J-4", "same_level")]["closes_on"] == D("2023-09-20")
    # P2's final judgement is J-4 now: one row, its windows closing on the 45th day
    closes = con.execute(
        "select judgement_id, windows_close_on from intermediate.int_judgements_final "
        "where person_id = 'P2'").fetchall()
    assert closes == [("J-4", D("2023-10-20"))]
