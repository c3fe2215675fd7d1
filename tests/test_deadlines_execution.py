"""Execution clocks (thi hành án hình sự), given/expect style: judgements and execution events go
into raw.* tables, the SQL models are built, and the clocks are read back."""

from __future__ import annotations

import datetime as dt

import pytest
from given import CLOCK_COLUMNS, insert

MODELS = ["intermediate.int_clocks_execution"]
D = dt.date.fromisoformat


@pytest.fixture
def case(con):
    insert(
        con,
        "cases",
        dict(
            case_id="C1",
            unit_code="BTR-CT",
            prosecutor_id="KSV-2",
            instituted_date="2023-01-05",
            penal_code_article=173,
            crime_category="less_serious",
        ),
    )
    insert(con, "persons", dict(person_id="P1", case_id="C1"), dict(person_id="P2", case_id="C1"))


def judgement(
    judgement_id="J-1",
    pronounced="2023-08-10",
    *,
    person="P1",
    instance="first",
    verdict="convicted",
    sentence="prison",
    at_liberty=True,
    effective=None,
) -> dict:
    return dict(
        judgement_id=judgement_id,
        case_id="C1",
        person_id=person,
        unit_code="BTR-CT",
        instance=instance,
        pronounced_date=pronounced,
        effective_date=effective,
        verdict=verdict,
        sentence_type=sentence,
        at_liberty=at_liberty,
    )


def event(event_id, kind, date, judgement_id="J-1", person="P1") -> dict:
    return dict(
        event_id=event_id,
        judgement_id=judgement_id,
        person_id=person,
        event_type=kind,
        event_date=date,
    )


def appeal(event_id, kind, date, judgement_id="J-1") -> dict:
    return dict(
        event_id=event_id,
        event_type=kind,
        subject_type="judgement",
        subject_id=judgement_id,
        case_id="C1",
        event_date=date,
        judgement_id=judgement_id,
        issuing_body="vks",
    )


def clocks(con) -> dict[str, dict]:
    rel = con.sql("select * from intermediate.int_clocks_execution order by clock_id")
    return {
        r["clock_id"]: r
        for r in (dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall())
    }


def test_layout_is_the_contract(con, build, case):
    insert(con, "judgements", judgement())
    build("2023-09-12", only=MODELS)
    cols = [r[0] for r in con.execute("describe intermediate.int_clocks_execution").fetchall()]
    assert cols == CLOCK_COLUMNS


def test_w6_execution_decision_after_the_windows(con, build, case):
    """W6: pronounced Thu 10/08/2023, no appeal or protest, no effective date. The superior
    window ends Sat 09/09/2023, rolled to Mon 11/09/2023 (contract 1.1 C5; 1.0 gave an
    effective Sun 10/09 and a deadline of Mon 18/09) → effective Tue 12/09/2023; 7 days →
    Tue 19/09/2023."""
    insert(con, "judgements", judgement())
    build("2023-09-12", only=MODELS)
    c = clocks(con)
    assert set(c) == {"issue_execution_decision:J-1:0"}
    x = c["issue_execution_decision:J-1:0"]
    assert (
        x["subject_type"],
        x["subject_id"],
        x["judgement_id"],
        x["person_id"],
        x["case_id"],
    ) == ("judgement", "J-1", "J-1", "P1", "C1")
    assert (x["started_on"], x["due_on_nominal"], x["due_on"]) == (
        D("2023-09-12"),
        D("2023-09-19"),
        D("2023-09-19"),
    )
    assert (x["status"], x["days_remaining"]) == ("open", 7)
    assert (x["rule_id"], x["legal_basis"]) == (
        "issue_execution_decision:base",
        "BLTTHS 2015 Art. 364(1)",
    )
    assert (x["unit_code"], x["prosecutor_id"], x["crime_category"]) == (
        "BTR-CT",
        "KSV-2",
        "less_serious",
    )
    assert x["explanation_en"] == ("pronounced 10/08/2023, no appeal or protest, protest windows "
                                   "closed 11/09/2023: effective 12/09/2023 + 7 days = 19/09/2023")
    assert x["explanation"].endswith("hết thời hạn kháng nghị 11/09/2023: có hiệu lực 12/09/2023 "
                                     "+ 7 ngày = 19/09/2023")


def test_w6_no_clock_before_the_windows_close(con, build, case):
    insert(con, "judgements", judgement())
    build("2023-09-09", only=MODELS)
    assert clocks(con) == {}


def test_w6_at_liberty_person_reports_within_seven_days(con, build, case):
    """Served Wed 20/09/2023 → report by Wed 27/09/2023 (Art. 23(4))."""
    insert(con, "judgements", judgement())
    insert(
        con,
        "execution_events",
        event("X-1", "execution_decision", "2023-09-15"),
        event("X-2", "decision_received_by_vks", "2023-09-19"),
        event("X-3", "decision_served", "2023-09-20"),
    )
    build("2023-09-25", only=MODELS)
    c = clocks(con)
    issue = c["issue_execution_decision:J-1:0"]
    assert (issue["closed_on"], issue["closed_by"], issue["status"]) == (
        D("2023-09-15"),
        "X-1",
        "on_time",
    )
    report = c["report_to_serve:J-1:X-3"]
    assert (report["started_on"], report["due_on"], report["status"], report["days_remaining"]) == (
        D("2023-09-20"),
        D("2023-09-27"),
        "open",
        2,
    )
    assert (report["rule_id"], report["legal_basis"]) == (
        "report_to_serve:base",
        "Luật THAHS 2019 Art. 23(4)",
    )
    # absconder: nobody reports, the clock stays open, then overdue
    build("2023-10-02", only=MODELS)
    report = clocks(con)["report_to_serve:J-1:X-3"]
    assert (report["status"], report["days_late"]) == ("overdue", 5)
    # escorted later: closed late
    insert(con, "execution_events", event("X-4", "escorted", "2023-10-01"), batch="b2")
    build("2023-10-02", only=MODELS)
    report = clocks(con)["report_to_serve:J-1:X-3"]
    assert (report["closed_on"], report["closed_by"], report["status"], report["days_late"]) == (
        D("2023-10-01"),
        "X-4",
        "late",
        4,
    )


def test_report_to_serve_only_for_at_liberty_prison_sentences(con, build, case):
    insert(
        con,
        "judgements",
        judgement(at_liberty=False),
        judgement("J-2", person="P2", sentence="suspended"),
    )
    insert(
        con,
        "execution_events",
        event("X-1", "decision_served", "2023-09-20"),
        event("X-2", "decision_served", "2023-09-20", judgement_id="J-2", person="P2"),
    )
    build("2023-09-25", only=MODELS)
    assert not [k for k in clocks(con) if k.startswith("report_to_serve")]


def test_reported_to_serve_closes(con, build, case):
    insert(con, "judgements", judgement())
    insert(
        con,
        "execution_events",
        event("X-3", "decision_served", "2023-09-20"),
        event("X-4", "escorted", "2023-09-25"),
        event("X-5", "reported_to_serve", "2023-09-25"),
    )
    build("2023-10-02", only=MODELS)
    report = clocks(con)["report_to_serve:J-1:X-3"]
    assert (report["closed_on"], report["closed_by"], report["status"]) == (
        D("2023-09-25"),
        "X-5",
        "on_time",
    )


def test_effective_date_starts_the_clock(con, build, case):
    insert(con, "judgements", judgement(effective="2023-08-30"))
    insert(con, "execution_events", event("X-1", "execution_decision", "2023-09-08"))
    build("2023-09-12", only=MODELS)
    x = clocks(con)["issue_execution_decision:J-1:0"]
    assert (x["started_on"], x["due_on"], x["closed_on"], x["status"], x["days_late"]) == (
        D("2023-08-30"),
        D("2023-09-06"),
        D("2023-09-08"),
        "late",
        2,
    )
    assert x["explanation_en"].startswith("judgement effective 30/08/2023 + 7 days = 06/09/2023")


def test_decision_before_the_start_does_not_close(con, build, case):
    insert(con, "judgements", judgement(effective="2023-08-30"))
    insert(con, "execution_events", event("X-1", "execution_decision", "2023-08-29"))
    build("2023-09-12", only=MODELS)
    x = clocks(con)["issue_execution_decision:J-1:0"]
    assert (x["status"], x["days_late"]) == ("overdue", 6)
    assert "dispatch_execution_decision:J-1:X-1" in clocks(con)


@pytest.mark.parametrize(
    "kind", ["appeal_filed", "protest_filed_same_level", "protest_filed_superior"]
)
def test_appellate_judgement_supersedes_the_first_instance(con, build, case, kind):
    insert(con, "judgements", judgement())
    insert(con, "case_events", appeal("E-1", kind, "2023-08-20"))
    build("2023-10-01", only=MODELS)
    assert clocks(con) == {}, "appealed or protested: no clock until the appellate judgement"
    insert(con, "judgements", judgement("J-2", "2023-11-20", instance="appeal"), batch="b2")
    build("2023-11-25", only=MODELS)
    c = clocks(con)
    assert set(c) == {"issue_execution_decision:J-2:0"}
    x = c["issue_execution_decision:J-2:0"]
    assert (x["started_on"], x["due_on_nominal"], x["due_on"]) == (
        D("2023-11-20"),
        D("2023-11-27"),
        D("2023-11-27"),
    )
    # no receipt date in the data: pronouncement stands in for it (contract 1.1 C2)
    assert x["explanation_en"] == (
        "appellate judgement pronounced 20/11/2023 (the first-instance court's receipt date is "
        "unknown) + 7 days = 27/11/2023")
    assert x["rule_id"] == "issue_execution_decision:base:proxy"


def test_appellate_wins_a_tie_and_acquittal_has_no_clock(con, build, case):
    insert(
        con,
        "judgements",
        judgement(effective="2023-08-25"),
        judgement("J-2", "2023-08-10", instance="appeal", verdict="acquitted"),
    )
    insert(con, "execution_events", event("X-1", "execution_decision", "2023-08-28"))
    build("2023-10-01", only=MODELS)
    assert clocks(con) == {}


def test_dispatch_spans_tet_and_closes_by_proxy(con, build, case):
    """Decision Wed 07/02/2024; 08–14/02 are Tết and the weekend → 3rd working day Mon 19/02."""
    insert(con, "judgements", judgement(effective="2024-02-01"))
    insert(
        con,
        "execution_events",
        event("X-1", "execution_decision", "2024-02-07"),
        event("X-2", "decision_received_by_vks", "2024-02-20"),
    )
    build("2024-03-01", only=MODELS)
    x = clocks(con)["dispatch_execution_decision:J-1:X-1"]
    assert (x["started_on"], x["due_on_nominal"], x["due_on"]) == (
        D("2024-02-07"),
        D("2024-02-19"),
        D("2024-02-19"),
    )
    assert (x["closed_on"], x["closed_by"], x["status"], x["days_late"]) == (
        D("2024-02-20"),
        "X-2",
        "late",
        1,
    )
    assert x["rule_id"] == "dispatch_execution_decision:base:proxy"
    assert "07/02/2024 + 3 working days = 19/02/2024" in x["explanation_en"]


def test_summons_count_the_make_up_saturday(con, build, case):
    """Received Thu 02/05/2024; Sat 04/05/2024 is a make-up working day → due Mon 06/05."""
    insert(con, "judgements", judgement(sentence="suspended", effective="2024-04-10"))
    insert(
        con,
        "execution_events",
        event("X-1", "decision_received_by_vks", "2024-04-25"),
        event("X-2", "decision_received_by_thads", "2024-05-02"),
    )
    build("2024-05-03", only=MODELS)
    c = clocks(con)
    assert "summon_suspended_sentence:J-1:X-1" not in c, "the agency's receipt exists: no proxy"
    x = c["summon_suspended_sentence:J-1:X-2"]
    assert (x["due_on_nominal"], x["due_on"], x["rule_id"]) == (
        D("2024-05-06"),
        D("2024-05-06"),
        "summon_suspended_sentence:base",
    )
    assert x["legal_basis"] == "Luật THAHS 2019 Arts. 84(2) and 85(1)"  # contract 1.1 C6
    insert(con, "execution_events", event("X-3", "summoned", "2024-05-06"), batch="b2")
    build("2024-05-10", only=MODELS)
    x = clocks(con)["summon_suspended_sentence:J-1:X-2"]
    assert (x["closed_by"], x["status"]) == ("X-3", "on_time")


def test_summons_fall_back_to_the_procuracy_receipt(con, build, case):
    insert(con, "judgements", judgement(sentence="suspended", effective="2024-04-10"))
    insert(con, "execution_events", event("X-1", "decision_received_by_vks", "2024-05-02"))
    build("2024-05-03", only=MODELS)
    x = clocks(con)["summon_suspended_sentence:J-1:X-1"]
    assert (x["due_on"], x["rule_id"]) == (D("2024-05-06"), "summon_suspended_sentence:base:proxy")
    assert "proxy" in x["explanation_en"]


def test_events_after_as_of_are_ignored(con, build, case):
    insert(con, "judgements", judgement(effective="2024-04-10"))
    insert(
        con,
        "execution_events",
        event("X-1", "execution_decision", "2024-04-20"),
        event("X-2", "decision_served", "2024-04-22"),
    )
    build("2024-04-19", only=MODELS)
    c = clocks(con)
    assert set(c) == {"issue_execution_decision:J-1:0"}
    x = c["issue_execution_decision:J-1:0"]
    assert (x["status"], x["days_late"], x["closed_on"]) == ("overdue", 2, None)


def test_deadline_in_an_unreviewed_year_is_provisional(con, build, case):
    insert(con, "judgements", judgement(effective="2026-03-02"))
    build("2026-03-03", only=MODELS)
    x = clocks(con)["issue_execution_decision:J-1:0"]
    assert (x["due_on"], x["is_provisional"]) == (D("2026-03-09"), True)
