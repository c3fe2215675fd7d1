"""Custody (tạm giữ) and detention (tạm giam) clocks and their findings, given/expect style:
rows go into raw.* tables, the SQL models are built, and the clocks are read back."""

from __future__ import annotations

import datetime as dt

import pytest
from given import CLOCK_COLUMNS, insert

MODELS = ["intermediate.int_clocks_custody", "intermediate.int_deadline_findings_custody"]
D = dt.date.fromisoformat


def case(con, case_id="C1", category="serious", unit="BTR-TP", persons=("P1",)) -> None:
    insert(
        con,
        "cases",
        dict(
            case_id=case_id,
            unit_code=unit,
            prosecutor_id="KSV-1",
            instituted_date="2022-01-01",
            penal_code_article=173,
            crime_category=category,
        ),
    )
    insert(con, "persons", *[dict(person_id=p, case_id=case_id) for p in persons])


def order(
    order_id,
    start_at,
    end,
    *,
    measure="detention",
    stage="investigation",
    ext=0,
    person="P1",
    case_id="C1",
    unit="BTR-TP",
    requested=None,
) -> dict:
    return dict(
        order_id=order_id,
        person_id=person,
        case_id=case_id,
        unit_code=unit,
        facility_code="TTG-1",
        measure=measure,
        stage=stage,
        extension_no=ext,
        start_at=start_at,
        stated_end_date=end,
        requested_date=requested,
    )


def custody(order_id, start_at, end, **kw) -> dict:
    return order(order_id, start_at, end, measure="custody", **kw)


def movement(movement_id, kind, at, person="P1") -> dict:
    return dict(
        movement_id=movement_id,
        person_id=person,
        facility_code="TTG-1",
        movement_type=kind,
        movement_at=at,
    )


def clocks(con) -> dict[str, dict]:
    rel = con.sql("select * from intermediate.int_clocks_custody order by clock_id")
    return {
        r["clock_id"]: r
        for r in (dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall())
    }


def findings(con) -> dict[str, dict]:
    rel = con.sql("select * from intermediate.int_deadline_findings_custody order by finding_id")
    return {
        r["finding_id"]: r
        for r in (dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall())
    }


def test_layout_is_the_contract(con, build):
    case(con)
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-04-29"))
    build("2022-03-10", only=MODELS)
    cols = [r[0] for r in con.execute("describe intermediate.int_clocks_custody").fetchall()]
    assert cols == CLOCK_COLUMNS
    cols = [
        r[0] for r in con.execute("describe intermediate.int_deadline_findings_custody").fetchall()
    ]
    assert cols == [
        "finding_id",
        "rule",
        "severity",
        "clock_id",
        "subject_type",
        "subject_id",
        "case_id",
        "unit_code",
        "detail",
        "detail_vi",
        "legal_basis",
        "dated_on",
        "order_id",
    ]


def test_w2_detention_two_months_from_first_march(con, build):
    """W2: 2 months of 30 days from Tue 01/03/2022, start day counted: the order ends 29/04/2022."""
    case(con)
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-04-29"))
    build("2022-04-10", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["clock"], c["subject_type"], c["subject_id"], c["case_id"]) == (
        "detention",
        "person",
        "P1",
        "C1",
    )
    assert c["started_on"] == D("2022-03-01")
    assert c["due_on_nominal"] == c["due_on"] == D("2022-04-29")
    assert (c["status"], c["days_remaining"], c["days_late"]) == ("open", 19, 0)
    assert c["closed_on"] is None and c["closed_by"] is None
    assert c["rule_id"] == "detention:investigation:serious"
    assert c["legal_basis"] == "BLTTHS 2015 Art. 173"
    assert (c["crime_category"], c["prosecutor_id"], c["unit_code"]) == (
        "serious",
        "KSV-1",
        "BTR-TP",
    )
    assert "lệnh tạm giam đến hết ngày 29/04/2022 (lệnh O-1)" in c["explanation"]
    assert "detention order O-1 ends 29/04/2022" in c["explanation_en"]
    assert c["is_provisional"] is False
    assert findings(con) == {}


def test_w2_serious_investigation_maximum_is_five_months_with_custody_credited(con, build):
    """5 months × 30 = 150 days from 01/03/2022, start day counted, ends 28/07/2022; custody
    days before it count toward it (Art. 118(4))."""
    case(con)
    insert(
        con,
        "detention_orders",
        # 3 months (90 days) and the one extension of 2 months (60 days): each order within
        # its own cap (contract 1.1 C3)
        order("O-1", "2022-03-01 08:00", "2022-05-29"),
        order("O-2", "2022-05-30 00:00", "2022-07-28", ext=1, requested="2022-05-15"),
    )
    build("2022-06-10", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert c["due_on"] == D("2022-07-28")
    assert "(lệnh O-2, gia hạn lần 1)" in c["explanation"]
    assert "detention order O-2 (extension 1) ends 28/07/2022" in c["explanation_en"]
    assert findings(con) == {}, "exactly at the 150-day maximum is legal"

    # three days of custody before it (26–28/02/2022) push the stage to 153 days
    insert(
        con,
        "detention_orders",
        custody("T-1", "2022-02-26 09:00", "2022-02-28", case_id=None),
        batch="b2",
    )
    build("2022-06-10", only=MODELS)
    f = findings(con)["illegal_order:detention:P1:O-1"]
    assert (f["rule"], f["severity"], f["clock_id"]) == (
        "illegal_order",
        "error",
        "detention:P1:O-1",
    )
    assert "150 days + 3 custody days = 153 days" in f["detail"]
    assert f["legal_basis"] == "BLTTHS 2015 Art. 173"
    custody_clock = clocks(con)["custody:P1:T-1"]
    assert custody_clock["case_id"] == "C1", "custody without a case chains into the case"
    assert (custody_clock["closed_on"], custody_clock["closed_by"], custody_clock["status"]) == (
        D("2022-02-28"),
        "O-1",
        "on_time",
    )


def test_detention_limit_follows_category_in_force(con, build):
    case(con, category="less_serious")
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-06-28"))
    build("2022-03-10", only=MODELS)
    assert "illegal_order:detention:P1:O-1" in findings(con), "120 days > 3 months for less serious"
    insert(
        con,
        "case_events",
        dict(
            event_id="E-1",
            event_type="charge_changed",
            subject_type="case",
            subject_id="C1",
            event_date="2022-03-05",
            crime_category="very_serious",
            issuing_body="cqdt",
        ),
    )
    build("2022-03-10", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["crime_category"], c["rule_id"]) == (
        "very_serious",
        "detention:investigation:very_serious",
    )
    assert findings(con) == {}


@pytest.mark.parametrize(("end", "illegal"), [("2023-03-09", False), ("2023-03-10", True)])
def test_w7_custody_72_hours_from_2230(con, build, end, illegal):
    """22:30 Mon 06/03/2023 + 72 h = 22:30 Thu 09/03: an order to 09/03 is legal, 10/03 is not."""
    insert(con, "detention_orders", custody("T-1", "2023-03-06 22:30", end, case_id=None))
    build("2023-03-08", only=MODELS)
    c = clocks(con)["custody:P1:T-1"]
    assert (c["case_id"], c["rule_id"], c["due_on"]) == (None, "custody:order", D(end))
    assert "lệnh tạm giữ đến hết ngày" in c["explanation"]
    f = findings(con)
    assert ("illegal_order:custody:P1:T-1:T-1" in f) is illegal
    if illegal:
        assert f["illegal_order:custody:P1:T-1:T-1"]["severity"] == "error"
        assert "72-hour limit (09/03/2023)" in f["illegal_order:custody:P1:T-1:T-1"]["detail"]
        assert f["illegal_order:custody:P1:T-1:T-1"]["legal_basis"] == "BLTTHS 2015 Art. 118(1)-(2)"


def test_custody_detention_next_stage_without_gap_is_one_chain(con, build):
    """Custody → detention (investigation) → detention (prosecution): each link starts the day
    after the previous end date; three clocks, each closed on time by the next link."""
    case(con)
    insert(
        con,
        "detention_orders",
        custody("T-1", "2022-02-26 09:00", "2022-02-28"),
        order("O-1", "2022-03-01 00:00", "2022-04-29"),
        order("O-2", "2022-04-30 00:00", "2022-05-19", stage="prosecution"),
    )
    build("2022-05-10", only=MODELS)
    c = clocks(con)
    assert sorted(c) == ["custody:P1:T-1", "detention:P1:O-1", "detention:P1:O-2"]
    assert (c["custody:P1:T-1"]["closed_on"], c["custody:P1:T-1"]["closed_by"]) == (
        D("2022-02-28"),
        "O-1",
    )
    assert (c["detention:P1:O-1"]["closed_on"], c["detention:P1:O-1"]["closed_by"]) == (
        D("2022-04-29"),
        "O-2",
    )
    assert {x["status"] for x in [c["custody:P1:T-1"], c["detention:P1:O-1"]]} == {"on_time"}
    assert c["detention:P1:O-2"]["status"] == "open"
    assert c["detention:P1:O-2"]["rule_id"] == "detention:prosecution:serious"
    assert "truy tố" in c["detention:P1:O-2"]["explanation"]
    assert findings(con) == {}


def test_next_link_starting_early_closes_at_its_start(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        custody("T-1", "2022-02-26 09:00", "2022-02-28"),
        order("O-1", "2022-02-27 15:00", "2022-04-26"),
    )
    build("2022-03-10", only=MODELS)
    t = clocks(con)["custody:P1:T-1"]
    assert (t["closed_on"], t["closed_by"], t["status"]) == (D("2022-02-27"), "O-1", "on_time")


def test_real_gap_makes_separate_clocks_and_held_without_order(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 00:00", "2022-04-29"),
        order("O-2", "2022-05-06 00:00", "2022-05-25", stage="prosecution"),
    )
    build("2022-05-10", only=MODELS)
    c = clocks(con)
    first = c["detention:P1:O-1"]
    assert (first["closed_on"], first["closed_by"]) == (D("2022-05-05"), "O-2")
    assert (first["status"], first["days_late"]) == ("late", 6)
    assert c["detention:P1:O-2"]["started_on"] == D("2022-05-06")
    f = findings(con)
    assert set(f) == {"held_without_order:detention:P1:O-1"}
    h = f["held_without_order:detention:P1:O-1"]
    assert (h["severity"], h["subject_id"], h["case_id"]) == ("error", "P1", "C1")
    assert "ended 29/04/2022" in h["detail"] and "until 05/05/2022 (O-2)" in h["detail"]


def test_extension_continuing_after_end_plus_one_day_still_chains(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 00:00", "2022-04-29"),
        order("O-2", "2022-04-30 10:00", "2022-06-28", ext=1, requested="2022-04-01"),
        order("O-3", "2022-06-30 10:00", "2022-07-20", ext=2, requested="2022-06-01"),
    )
    build("2022-07-01", only=MODELS)
    c = clocks(con)
    assert set(c) == {"detention:P1:O-1", "detention:P1:O-3"}, "30/06 is two days after 28/06"
    assert c["detention:P1:O-1"]["due_on"] == D("2022-06-28")
    assert (c["detention:P1:O-1"]["status"], c["detention:P1:O-1"]["closed_on"]) == (
        "late",
        D("2022-06-29"),
    )


def test_release_closes_the_running_clock(con, build):
    case(con)
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-04-29"))
    insert(
        con,
        "detention_movements",
        movement("M-0", "intake", "2022-03-01 08:00"),
        movement("M-1", "transfer_out", "2022-03-20 08:00"),
        movement("M-2", "transfer_in", "2022-03-20 15:00"),
        movement("M-3", "release", "2022-04-20 16:45"),
    )
    build("2022-06-01", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["closed_on"], c["closed_by"], c["status"], c["days_late"]) == (
        D("2022-04-20"),
        "M-3",
        "on_time",
        0,
    )
    assert c["days_remaining"] is None
    assert findings(con) == {}


def test_release_before_the_clock_started_does_not_close_it(con, build):
    case(con)
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-04-29"))
    insert(con, "detention_movements", movement("M-1", "release", "2022-03-01 07:59"))
    build("2022-05-09", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["status"], c["days_late"], c["closed_on"]) == ("overdue", 10, None)


def test_escape_after_the_end_date_is_late(con, build):
    case(con)
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-04-29"))
    insert(con, "detention_movements", movement("M-1", "escape", "2022-05-02 03:00"))
    build("2022-06-01", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["closed_on"], c["closed_by"], c["status"], c["days_late"]) == (
        D("2022-05-02"),
        "M-1",
        "late",
        3,
    )
    assert (
        "until 02/05/2022 (M-1), 3 days"
        in findings(con)["held_without_order:detention:P1:O-1"]["detail"]
    )


def test_a_link_wins_over_an_earlier_movement(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 08:00", "2022-04-29"),
        order("O-2", "2022-04-30 08:00", "2022-05-19", stage="prosecution"),
    )
    insert(con, "detention_movements", movement("M-1", "release", "2022-04-10 08:00"))
    build("2022-05-10", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["closed_on"], c["closed_by"]) == (D("2022-04-29"), "O-2")


def test_sent_to_prison_closes_the_persons_clock_in_the_case(con, build):
    case(con)
    case(con, case_id="C2")
    insert(
        con,
        "detention_orders",
        order("O-1", "2023-08-10 10:00", "2023-09-23", stage="post_sentence"),
        order("O-9", "2023-08-01 10:00", "2023-09-29", case_id="C2"),
    )
    insert(
        con,
        "judgements",
        dict(
            judgement_id="J-1",
            case_id="C1",
            person_id="P1",
            unit_code="BTR-TP",
            instance="first",
            pronounced_date="2023-08-10",
            verdict="convicted",
            sentence_type="prison",
            at_liberty=False,
        ),
    )
    insert(
        con,
        "execution_events",
        dict(
            event_id="X-1",
            judgement_id="J-1",
            person_id="P1",
            event_type="sent_to_prison",
            event_date="2023-09-25",
        ),
    )
    build("2023-10-10", only=MODELS)
    c = clocks(con)
    post = c["detention:P1:O-1"]
    assert (post["closed_on"], post["closed_by"], post["status"], post["days_late"]) == (
        D("2023-09-25"),
        "X-1",
        "late",
        2,
    )
    assert post["rule_id"] == "detention:post_sentence"
    other = c["detention:P1:O-9"]
    assert (other["closed_on"], other["status"]) == (None, "overdue"), "another case is not closed"


@pytest.mark.parametrize(
    ("with_movement", "with_prison", "expected"),
    [(True, True, "M-1"), (False, True, "X-1"), (False, False, "O-2")],
)
def test_same_day_ties_movement_then_prison_then_next_order(
    con, build, with_movement, with_prison, expected
):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2023-08-10 10:00", "2023-09-20", stage="post_sentence"),
        order("O-2", "2023-09-26 10:00", "2023-10-20", stage="appeal"),
    )
    if with_movement:
        insert(con, "detention_movements", movement("M-1", "release", "2023-09-25 23:00"))
    if with_prison:
        insert(
            con,
            "judgements",
            dict(
                judgement_id="J-1",
                case_id="C1",
                person_id="P1",
                unit_code="BTR-TP",
                instance="first",
                pronounced_date="2023-08-10",
                verdict="convicted",
            ),
        )
        insert(
            con,
            "execution_events",
            dict(
                event_id="X-1",
                judgement_id="J-1",
                person_id="P1",
                event_type="sent_to_prison",
                event_date="2023-09-25",
            ),
        )
    build("2023-10-01", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["closed_on"], c["closed_by"], c["days_late"]) == (D("2023-09-25"), expected, 5)


def test_overdue_detention_at_as_of(con, build):
    case(con)
    insert(con, "detention_orders", order("O-1", "2022-03-01 08:00", "2022-04-29"))
    build("2022-05-04", only=MODELS)
    c = clocks(con)["detention:P1:O-1"]
    assert (c["status"], c["days_late"], c["days_remaining"], c["closed_on"]) == (
        "overdue",
        5,
        None,
        None,
    )
    h = findings(con)["held_without_order:detention:P1:O-1"]
    assert "still held at 04/05/2022" in h["detail"]
    build("2022-04-29", only=MODELS)
    assert (
        clocks(con)["detention:P1:O-1"]["status"],
        clocks(con)["detention:P1:O-1"]["days_remaining"],
    ) == ("open", 0)


def test_order_without_case_chains_with_the_next_order_whatever_its_case(con, build):
    case(con, case_id="C7")
    insert(
        con,
        "detention_orders",
        custody("T-1", "2022-02-26 09:00", "2022-02-28", case_id=None),
        custody("T-2", "2022-03-01 09:00", "2022-03-03", case_id=None, ext=1),
        order("O-1", "2022-03-04 08:00", "2022-05-02", case_id="C7"),
        # unchained custody with no case: its own clock without a case
        custody("T-9", "2021-05-01 09:00", "2021-05-03", case_id=None),
    )
    insert(con, "detention_movements", movement("M-1", "release", "2021-05-03 17:00"))
    build("2022-03-10", only=MODELS)
    c = clocks(con)
    assert set(c) == {"custody:P1:T-1", "detention:P1:O-1", "custody:P1:T-9"}
    assert c["custody:P1:T-1"]["case_id"] == "C7"
    assert (c["custody:P1:T-1"]["due_on"], c["custody:P1:T-1"]["closed_by"]) == (
        D("2022-03-03"),
        "O-1",
    )
    assert "(lệnh T-2, gia hạn lần 1)" in c["custody:P1:T-1"]["explanation"]
    assert c["custody:P1:T-9"]["case_id"] is None
    assert c["custody:P1:T-9"]["prosecutor_id"] is None
    assert (c["custody:P1:T-9"]["status"], c["custody:P1:T-9"]["closed_by"]) == ("on_time", "M-1")


def test_records_after_as_of_are_ignored(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 08:00", "2022-04-29"),
        order("O-2", "2022-04-30 08:00", "2022-05-29", ext=1),
        order("O-3", "2022-06-01 08:00", "2022-06-29", stage="prosecution"),
    )
    insert(con, "detention_movements", movement("M-1", "release", "2022-04-29 10:00"))
    build("2022-04-28", only=MODELS)
    c = clocks(con)
    assert set(c) == {"detention:P1:O-1"}
    assert (c["detention:P1:O-1"]["due_on"], c["detention:P1:O-1"]["status"]) == (
        D("2022-04-29"),
        "open",
    )
    assert c["detention:P1:O-1"]["days_remaining"] == 1


def test_pending_and_deleted_orders_make_no_clock(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 08:00", "2022-04-29", person="P-unknown"),
        order("O-2", "2022-03-01 08:00", "2022-04-29"),
    )
    insert(
        con,
        "detention_orders",
        {
            **order("O-2", "2022-03-01 08:00", "2022-04-29"),
            "updated_at": "2020-02-01 00:00:00",
            "is_deleted": True,
        },
        batch="b2",
    )
    build("2022-03-10", only=MODELS)
    assert clocks(con) == {}


def test_unit_is_mapped_to_its_successor_after_valid_to(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2025-06-01 08:00", "2025-07-15"),
        order("O-2", "2025-07-16 08:00", "2025-07-30", ext=1, unit="BTR-CL"),
    )
    build("2025-06-30", only=MODELS)
    assert clocks(con)["detention:P1:O-1"]["unit_code"] == "BTR-TP"
    build("2025-07-01", only=MODELS)
    assert clocks(con)["detention:P1:O-1"]["unit_code"] == "VLG-R1"
    build("2025-07-20", only=MODELS)  # the first order's unit, not the extension's (VLG-R2)
    assert clocks(con)["detention:P1:O-1"]["unit_code"] == "VLG-R1"


def test_deadline_in_an_unreviewed_year_is_provisional(con, build):
    case(con)
    insert(con, "detention_orders", order("O-1", "2025-12-01 08:00", "2026-01-29"))
    build("2025-12-10", only=MODELS)
    assert clocks(con)["detention:P1:O-1"]["is_provisional"] is True


@pytest.mark.parametrize(
    ("requested", "severity"), [("2022-04-19", None), ("2022-04-20", "warn"), (None, "unknown")]
)
def test_detention_extension_request_ten_days_ahead(con, build, requested, severity):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 08:00", "2022-04-29"),
        order("O-2", "2022-04-30 00:00", "2022-06-28", ext=1, requested=requested),
    )
    build("2022-05-10", only=MODELS)
    f = findings(con)
    if severity is None:
        assert f == {}
    else:
        x = f["extension_request_late:O-2"]
        assert (x["rule"], x["severity"], x["clock_id"]) == (
            "extension_request_late",
            severity,
            "detention:P1:O-1",
        )
        assert x["legal_basis"] == "BLTTHS 2015 Art. 173(2)"
        assert "due by 19/04/2022" in x["detail"]


def test_prosecution_stage_extension_is_not_an_investigation_request(con, build):
    case(con)
    insert(
        con,
        "detention_orders",
        order("O-1", "2022-03-01 08:00", "2022-03-20", stage="prosecution"),
        order("O-2", "2022-03-21 00:00", "2022-03-30", stage="prosecution", ext=1),
    )
    build("2022-03-25", only=MODELS)
    assert findings(con) == {}


def test_intake_without_a_covering_order(con, build):
    case(con)
    insert(con, "detention_orders", custody("T-1", "2023-03-07 09:00", "2023-03-09"))
    insert(
        con,
        "detention_movements",
        movement("M-1", "intake", "2023-03-06 22:30"),  # custody decided within 12 hours
        movement("M-2", "intake", "2023-03-20 10:00"),
    )
    build("2023-03-08", only=MODELS)
    assert findings(con) == {}
    build("2023-03-25", only=MODELS)
    f = findings(con)
    assert "held_without_order:M-1" not in f
    x = f["held_without_order:M-2"]
    assert (x["clock_id"], x["subject_id"], x["unit_code"]) == (None, "P1", "BTR-TP")


def test_custody_run_beyond_nine_days(con, build):
    insert(
        con,
        "detention_orders",
        custody("T-1", "2023-03-06 10:00", "2023-03-09", case_id=None),
        custody("T-2", "2023-03-10 00:00", "2023-03-12", case_id=None, ext=1),
        custody("T-3", "2023-03-13 00:00", "2023-03-15", case_id=None, ext=2),
        custody("T-4", "2023-03-16 00:00", "2023-03-18", case_id=None, ext=3),
    )
    build("2023-03-17", only=MODELS)
    f = findings(con)
    assert set(f) == {"illegal_order:custody:P1:T-1"}
    assert "9-day maximum (15/03/2023)" in f["illegal_order:custody:P1:T-1"]["detail"]
