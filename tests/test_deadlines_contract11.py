"""Contract 1.1 (outputs §1.9): the corrections C1-C5, the procuracy's own clocks and the
premature_suspension findings, given/expect style. Worked examples W8-W16 are reproduced
exactly, explanations included, followed by the boundaries of each correction."""

from __future__ import annotations

import datetime as dt

import pytest
from given import insert

D = dt.date.fromisoformat
MODELS = ["marts.deadlines", "marts.deadline_findings", "marts.protest_windows"]


# ---------------------------------------------------------------------------------- given
def case(con, case_id="C1", category="serious", instituted="2024-01-02", unit="BTR-TP",
         persons=("P1",)) -> None:
    insert(con, "cases", dict(case_id=case_id, unit_code=unit, prosecutor_id="KSV-1",
                              instituted_date=instituted, penal_code_article=173,
                              crime_category=category))
    insert(con, "persons", *[dict(person_id=p, case_id=case_id) for p in persons])


def event(event_id, event_type, event_date, *, subject_type="case", subject_id="C1",
          case_id="C1", body="cqdt", **kw) -> dict:
    return dict(event_id=event_id, event_type=event_type, subject_type=subject_type,
                subject_id=subject_id, case_id=case_id, event_date=event_date,
                issuing_body=body, **kw)


def person_event(event_id, event_type, event_date, person="P1", **kw) -> dict:
    return event(event_id, event_type, event_date, subject_type="person", subject_id=person,
                 **kw)


def order(order_id, start_at, end, *, measure="detention", stage="investigation", ext=0,
          person="P1", case_id="C1", **kw) -> dict:
    return dict(order_id=order_id, person_id=person, case_id=case_id, unit_code="BTR-TP",
                facility_code="TTG-1", measure=measure, stage=stage, extension_no=ext,
                start_at=start_at, stated_end_date=end, **kw)


def judgement(judgement_id, pronounced, *, instance="first", person="P1", case_id="C1",
              **kw) -> dict:
    return {"judgement_id": judgement_id, "case_id": case_id, "person_id": person,
            "unit_code": "BTR-TP", "instance": instance, "pronounced_date": pronounced,
            "verdict": "convicted", "sentence_type": "prison", "sentence_months": 24, **kw}


def rows(con, table: str, key: str) -> dict[str, dict]:
    rel = con.sql(f"select * from {table}")
    return {r[key]: r for r in (dict(zip(rel.columns, row, strict=True))
                                for row in rel.fetchall())}


def clocks(con) -> dict[str, dict]:
    return rows(con, "marts.deadlines", "clock_id")


def findings(con) -> dict[str, dict]:
    return rows(con, "marts.deadline_findings", "finding_id")


def windows(con) -> dict[tuple, dict]:
    rel = con.sql("select * from marts.protest_windows")
    out = {}
    for row in rel.fetchall():
        r = dict(zip(rel.columns, row, strict=True))
        out[(r["judgement_id"], r["window"])] = r
    return out


def illegal(con, clock_id: str) -> dict[str, str]:
    """The illegal_order findings on one clock, finding_id → severity."""
    return {k: v["severity"] for k, v in findings(con).items()
            if v["rule"] == "illegal_order" and v["clock_id"] == clock_id}


# ---------------------------------------------------------------------------------- W8 (C1)
def trial_case(con, extended: bool) -> None:
    case(con, category="very_serious", instituted="2023-09-01")
    insert(con, "case_events", event("E-acc", "court_accepted", "2024-03-01", body="toa"))
    if extended:
        insert(con, "case_events", event("E-ext", "trial_prep_extended", "2024-04-20",
                                         body="toa"))


@pytest.mark.parametrize(("end", "extended", "expected"), [
    ("2024-05-29", True, {}),
    ("2024-05-30", True, {"illegal_order:detention:P1:O-1": "error"}),
    ("2024-05-29", False, {"illegal_order:detention:P1:O-1:after_due": "warn"}),
])
def test_w8_trial_preparation_detention_includes_the_extension(con, build, end, extended,
                                                               expected):
    """W8: accepted Fri 01/03/2024, extended by 30 days → due Fri 31/05/2024. Detention from
    01/03 to 29/05 is 90 days (the C1 limit for very serious): lawful; to 30/05 is 91: an
    illegal order. Without the extension the case is due 02/05 (01/05 is a holiday): the
    90-day detention then only outlasts the case's deadline, a warn."""
    trial_case(con, extended)
    insert(con, "detention_orders", order("O-1", "2024-03-01 09:00", end,
                                          stage="trial_preparation"))
    build("2024-06-10", only=MODELS)
    prep = clocks(con)["trial_preparation:C1:E-acc"]
    assert prep["due_on"] == (D("2024-05-31") if extended else D("2024-05-02"))
    assert illegal(con, "detention:P1:O-1") == expected
    if expected.get("illegal_order:detention:P1:O-1") == "error":
        f = findings(con)["illegal_order:detention:P1:O-1"]
        assert "91 days, over the 90-day limit" in f["detail"]
        assert f["legal_basis"] == "BLTTHS 2015 Art. 278(2) and Art. 277(1)"
        assert f["dated_on"] == D("2024-03-01")
    if not extended:
        f = findings(con)["illegal_order:detention:P1:O-1:after_due"]
        assert "deadline 02/05/2024 (trial_preparation:C1:E-acc)" in f["detail"]
        assert f["detail_vi"].endswith(
            "kết thúc sau thời hạn chuẩn bị xét xử (hết hạn ngày 02/05/2024)")


@pytest.mark.parametrize(("category", "limit"), [
    ("less_serious", 45), ("serious", 60), ("very_serious", 90), ("especially_serious", 120),
])
@pytest.mark.parametrize("over", [False, True])
def test_c1_trial_preparation_cap_by_category(con, build, category, limit, over):
    """C1: 45 / 60 / 90 / 120 days from the stage's first start, start day included; the case
    has its extension, so only the cap speaks. One day under the cap is lawful, one over is not."""
    case(con, category=category, instituted="2023-06-01")
    insert(con, "case_events",
           event("E-acc", "court_accepted", "2024-03-01", body="toa"),
           event("E-ext", "trial_prep_extended", "2024-03-20", body="toa"))
    days = limit + 1 if over else limit - 1
    end = D("2024-03-01") + dt.timedelta(days=days - 1)
    insert(con, "detention_orders", order("O-1", "2024-03-01 09:00", end.isoformat(),
                                          stage="trial_preparation"))
    build("2024-03-05", only=MODELS)
    got = illegal(con, "detention:P1:O-1")
    assert ("illegal_order:detention:P1:O-1" in got) is over
    if over:
        assert got["illegal_order:detention:P1:O-1"] == "error"


def test_c1_uses_the_latest_trial_preparation_clock(con, build):
    """D20: after a court suspension and resumption the stage is compared with the latest
    trial_preparation clock started on or before its end."""
    case(con, category="less_serious", instituted="2023-06-01")
    insert(con, "case_events",
           event("E-acc", "court_accepted", "2024-03-01", body="toa"),
           event("E-sus", "case_suspended_by_court", "2024-03-05", body="toa"),
           event("E-res", "case_resumed", "2024-03-20", body="toa"))
    # the resumed clock runs 30 days from 20/03: 19/04/2024; the stage (45 days) ends 14/04,
    # after the first clock's 31/03
    insert(con, "detention_orders", order("O-1", "2024-03-01 09:00", "2024-04-14",
                                          stage="trial_preparation"))
    build("2024-03-25", only=MODELS)
    assert illegal(con, "detention:P1:O-1") == {}


# ---------------------------------------------------------------------------------- W9 (C2)
@pytest.mark.parametrize(("received", "due", "rule_id"), [
    ("2024-06-24", "2024-07-01", "issue_execution_decision:base"),
    (None, "2024-06-17", "issue_execution_decision:base:proxy"),
])
def test_w9_appellate_execution_clock_counts_from_receipt(con, build, received, due, rule_id):
    """W9: appellate judgement pronounced Mon 10/06/2024, received by the first-instance court
    Mon 24/06/2024: due 01/07/2024. Without the receipt date: 17/06/2024, a :proxy."""
    case(con)
    insert(con, "judgements",
           judgement("J-1", "2024-04-01"),
           judgement("J-2", "2024-06-10", instance="appeal", effective_date="2024-06-10",
                     received_date=received))
    insert(con, "case_events", person_event("E-app", "appeal_filed", "2024-04-05",
                                            judgement_id="J-1", body="toa"))
    build("2024-07-10", only=MODELS)
    c = clocks(con)["issue_execution_decision:J-2:0"]
    assert (c["started_on"], c["due_on"], c["rule_id"]) == (
        D(received or "2024-06-10"), D(due), rule_id)
    if received:
        assert c["explanation"] == (
            "Tòa án cấp sơ thẩm nhận bản án phúc thẩm 24/06/2024 + 7 ngày = 01/07/2024")
        assert c["explanation_en"] == ("appellate judgement received by the first-instance "
                                       "court 24/06/2024 + 7 days = 01/07/2024")
    else:
        assert c["explanation"] == ("bản án phúc thẩm tuyên ngày 10/06/2024 (chưa rõ ngày Tòa án "
                                    "cấp sơ thẩm nhận bản án) + 7 ngày = 17/06/2024")
        assert c["explanation_en"] == ("appellate judgement pronounced 10/06/2024 (the "
                                       "first-instance court's receipt date is unknown) + 7 "
                                       "days = 17/06/2024")
    assert "issue_execution_decision:J-1:0" not in clocks(con)


# ---------------------------------------------------------------------------------- W10 (C3)
@pytest.mark.parametrize(("end", "expected"), [
    ("2024-05-04", {"illegal_order:detention:P1:O-1:O-1": "error"}),
    ("2024-05-03", {}),
])
def test_w10_first_detention_order_within_its_cap(con, build, end, expected):
    """W10: less serious, first investigation detention order from Tue 05/03/2024 08:00: to
    04/05/2024 is 61 days, over the 60-day cap; to 03/05/2024 is 60 days."""
    case(con, category="less_serious")
    insert(con, "detention_orders", order("O-1", "2024-03-05 08:00", end))
    build("2024-03-10", only=MODELS)
    assert illegal(con, "detention:P1:O-1") == expected
    if expected:
        f = findings(con)["illegal_order:detention:P1:O-1:O-1"]
        assert f["detail"] == ("detention order O-1 05/03/2024–04/05/2024: 61 days, over the "
                               "60-day cap (detention_order:investigation:less_serious:0)")
        assert f["detail_vi"] == ("lệnh tạm giam O-1 05/03/2024–04/05/2024: 61 ngày, quá giới "
                                  "hạn 60 ngày")
        assert (f["legal_basis"], f["dated_on"], f["order_id"]) == (
            "BLTTHS 2015 Art. 173(1)", D("2024-03-05"), "O-1")


def test_w10_a_second_extension_in_a_serious_case(con, build):
    """W10: in a serious case a second extension order is illegal whatever its length."""
    case(con, category="serious")
    insert(con, "detention_orders",
           order("O-1", "2024-01-05 08:00", "2024-04-03"),
           order("O-2", "2024-04-04 00:00", "2024-05-03", ext=1),
           order("O-3", "2024-05-04 00:00", "2024-05-10", ext=2))
    build("2024-05-05", only=MODELS)
    got = illegal(con, "detention:P1:O-1")
    assert got == {"illegal_order:detention:P1:O-1:O-3": "error"}
    assert findings(con)["illegal_order:detention:P1:O-1:O-3"]["detail"] == (
        "detention order O-3 is later order 2 of the investigation stage; a serious case "
        "allows 1 (7 days)")
    assert findings(con)["illegal_order:detention:P1:O-1:O-3"]["detail_vi"] == (
        "lệnh tạm giam O-3 là lệnh tiếp theo thứ 2 của giai đoạn điều tra; vụ án tội nghiêm "
        "trọng chỉ cho phép 1 lệnh tiếp theo (7 ngày)")


@pytest.mark.parametrize(("category", "first_cap", "later_cap"), [
    ("less_serious", 60, 30), ("serious", 90, 60), ("very_serious", 120, 90),
    ("especially_serious", 120, 120),
])
@pytest.mark.parametrize("over", [False, True])
def test_c3_caps_by_category(con, build, category, first_cap, later_cap, over):
    """C3: the first order at most 60 / 90 / 120 / 120 days, a later one at most 30 / 60 / 90 /
    120 days after the previous end. One day under each cap is lawful, one day over is not."""
    case(con, category=category)
    delta = 1 if over else -1
    first_end = D("2024-01-05") + dt.timedelta(days=first_cap + delta - 1)
    second_end = first_end + dt.timedelta(days=later_cap + delta)
    insert(con, "detention_orders",
           order("O-1", "2024-01-05 08:00", first_end.isoformat()),
           order("O-2", (first_end + dt.timedelta(days=1)).isoformat() + " 00:00",
                 second_end.isoformat(), ext=1))
    build(first_end + dt.timedelta(days=2), only=MODELS)
    got = illegal(con, "detention:P1:O-1")
    per_order = {k: v for k, v in got.items() if k.count(":") == 4}
    if over:
        assert per_order == {"illegal_order:detention:P1:O-1:O-1": "error",
                             "illegal_order:detention:P1:O-1:O-2": "error"}
    else:
        assert per_order == {}


def test_c3_custody_days_count_toward_the_first_order(con, build):
    """C3 with D4: custody from 06/03 22:30 and detention from 12/03 credit 6 days; a 60-day
    first order in a less serious case then makes 66 days."""
    case(con, category="less_serious")
    insert(con, "detention_orders",
           order("T-1", "2024-03-06 22:30", "2024-03-09", measure="custody"),
           order("T-2", "2024-03-10 00:00", "2024-03-11", measure="custody", ext=1),
           order("O-1", "2024-03-12 08:00", "2024-05-10"))
    build("2024-03-20", only=MODELS)
    f = findings(con)["illegal_order:detention:P1:O-1:O-1"]
    assert "60 days + 6 custody days = 66 days, over the 60-day cap" in f["detail"]


@pytest.mark.parametrize(("length", "severity"), [(120, "warn"), (121, "error")])
def test_c3_third_extension_of_an_especially_serious_detention(con, build, length, severity):
    """D19: the SPP's third extension (Art. 173(4)) is lawful only for a national-security
    crime: up to 120 days a warn, longer an error; a fourth extension is always an error."""
    case(con, category="especially_serious", instituted="2023-01-02")
    ends = [D("2023-01-05") + dt.timedelta(days=119)]
    for _ in range(2):
        ends.append(ends[-1] + dt.timedelta(days=120))
    ends.append(ends[-1] + dt.timedelta(days=length))
    orders = [order("O-1", "2023-01-05 08:00", ends[0].isoformat())]
    for k in range(1, 4):
        orders.append(order(f"O-{k + 1}", (ends[k - 1] + dt.timedelta(days=1)).isoformat()
                            + " 00:00", ends[k].isoformat(), ext=k))
    insert(con, "detention_orders", *orders)
    build(ends[2] + dt.timedelta(days=2), only=MODELS)
    got = illegal(con, "detention:P1:O-1")
    assert got["illegal_order:detention:P1:O-1:O-4"] == severity
    # D17: the stage of 360 + length days is over the 360-day maximum; up to 480 days a warn
    assert got["illegal_order:detention:P1:O-1"] == severity
    assert ("only lawful for a national-security crime" in findings(con)[
        "illegal_order:detention:P1:O-1"]["detail"]) is (severity == "warn")


# ---------------------------------------------------------------------------------- C4
@pytest.mark.parametrize(("category", "limit"), [
    ("less_serious", 90), ("serious", 120), ("very_serious", 150), ("especially_serious", 180),
])
@pytest.mark.parametrize("over", [False, True])
def test_c4_resumed_investigation_detention(con, build, category, limit, over):
    """C4: detention during a resumed investigation, at most its limit with its one extension
    in 30-day months: 90 / 120 / 150 / 180 days."""
    case(con, category=category, instituted="2023-01-02")
    insert(con, "case_events",
           event("E-sus", "investigation_suspended", "2023-06-01",
                 suspension_ground="suspect_unidentified"),
           event("E-res", "investigation_resumed", "2024-01-02"))
    days = limit + 1 if over else limit - 1
    end = D("2024-01-03") + dt.timedelta(days=days - 1)
    insert(con, "detention_orders", order("O-1", "2024-01-03 08:00", end.isoformat(),
                                          stage="resumed_investigation"))
    build("2024-01-10", only=MODELS)
    got = illegal(con, "detention:P1:O-1")
    assert (got.get("illegal_order:detention:P1:O-1") == "error") is over
    rule_id = clocks(con)["detention:P1:O-1"]["rule_id"]
    assert rule_id == f"detention:resumed_investigation:{category}"


@pytest.mark.parametrize(("returned_by", "limit"), [("vks", 60), ("court", 30)])
@pytest.mark.parametrize("over", [False, True])
def test_c4_supplementary_investigation_detention(con, build, returned_by, limit, over):
    """C4 and D9: 60 days after a procuracy return, 30 after an accepted court return; the
    latest return dated on or before the stage's start sets the limit."""
    case(con, category="serious", instituted="2023-01-02")
    if returned_by == "vks":
        ret = event("E-ret", "returned_by_vks", "2024-02-01", body="vks")
    else:
        ret = event("E-ret", "returned_by_court", "2024-02-01", body="toa", is_accepted=True,
                    return_by="trial_panel")
    insert(con, "case_events", ret)
    days = limit + 1 if over else limit - 1
    end = D("2024-02-02") + dt.timedelta(days=days - 1)
    insert(con, "detention_orders", order("O-1", "2024-02-02 08:00", end.isoformat(),
                                          stage="supplementary_investigation"))
    build("2024-02-10", only=MODELS)
    got = illegal(con, "detention:P1:O-1")
    assert (got.get("illegal_order:detention:P1:O-1") == "error") is over
    if over:
        detail = findings(con)["illegal_order:detention:P1:O-1"]["detail"]
        assert f"over the {limit}-day limit" in detail


# ---------------------------------------------------------------------------------- W11, W12
def custody_request(con, received, decided, *, refused=False) -> None:
    case(con)
    decision = {"vks_refused_at" if refused else "vks_approved_at": decided}
    insert(con, "detention_orders",
           order("T-1", "2024-03-08 20:00", "2024-03-11", measure="custody"),
           order("T-2", "2024-03-12 00:00", "2024-03-14", measure="custody", ext=1,
                 vks_received_at=received, **decision))


def test_w11_custody_extension_decided_within_12_hours(con, build):
    """W11: received 10/03/2024 20:00, approved 11/03/2024 09:30: due_at 11/03/2024 08:00,
    late by 1.5 hours, so 1 started day."""
    custody_request(con, "2024-03-10 20:00", "2024-03-11 09:30")
    build("2024-03-20", only=MODELS)
    c = clocks(con)["decide_custody_extension:P1:T-2"]
    assert c["due_at"] == dt.datetime(2024, 3, 11, 8, 0)
    assert c["closed_at"] == dt.datetime(2024, 3, 11, 9, 30)
    assert (c["due_on_nominal"], c["due_on"], c["closed_on"], c["closed_by"]) == (
        D("2024-03-11"), D("2024-03-11"), D("2024-03-11"), "T-2")
    assert (c["status"], c["days_late"]) == ("late", 1)
    assert c["explanation"] == ("VKS nhận đề nghị 10/03/2024 20:00 + 12 giờ = 11/03/2024 08:00 "
                                "(phê chuẩn gia hạn tạm giữ T-2)")
    assert c["explanation_en"] == ("procuracy received the request 10/03/2024 20:00 + 12 hours "
                                   "= 11/03/2024 08:00 (custody extension T-2)")
    assert c["rule_id"] == "decide_custody_extension:base"
    assert c["legal_basis"] == "BLTTHS 2015 Art. 118(2)"


@pytest.mark.parametrize(("decided", "status", "days_late"), [
    ("2024-03-11 08:00", "on_time", 0),  # exactly 12:00 hours
    ("2024-03-11 08:01", "late", 1),  # 12:01 hours
    ("2024-03-12 08:01", "late", 2),  # 36:01 hours: two started days after due_at
])
def test_hour_clock_boundary(con, build, decided, status, days_late):
    custody_request(con, "2024-03-10 20:00", decided)
    build("2024-03-20", only=MODELS)
    c = clocks(con)["decide_custody_extension:P1:T-2"]
    assert (c["status"], c["days_late"]) == (status, days_late)


def test_hour_clock_refusal_closes_and_open_one_turns_overdue(con, build):
    custody_request(con, "2024-03-10 20:00", "2024-03-11 07:00", refused=True)
    build("2024-03-20", only=MODELS)
    assert clocks(con)["decide_custody_extension:P1:T-2"]["status"] == "on_time"


@pytest.mark.parametrize(("as_of", "status", "days_late", "days_remaining"), [
    ("2024-03-11", "open", 0, 0), ("2024-03-12", "overdue", 1, None),
])
def test_hour_clock_open_then_overdue_after_due_on(con, build, as_of, status, days_late,
                                                   days_remaining):
    """D6: an open hour clock is overdue once as_of is past due_on."""
    case(con)
    insert(con, "detention_orders",
           order("T-1", "2024-03-08 20:00", "2024-03-11", measure="custody"),
           order("T-2", "2024-03-12 00:00", "2024-03-14", measure="custody", ext=1,
                 vks_received_at="2024-03-10 20:00"))
    build(as_of, only=MODELS)
    c = clocks(con)["decide_custody_extension:P1:T-2"]
    assert (c["status"], c["days_late"], c["days_remaining"], c["closed_at"]) == (
        status, days_late, days_remaining, None)


def test_w12_approve_detention(con, build):
    """W12: received Fri 08/03/2024 16:00 → due Mon 11/03/2024; approved 12/03/2024 09:00:
    late, 1 day."""
    case(con)
    insert(con, "detention_orders",
           order("O-1", "2024-03-12 10:00", "2024-05-10", vks_received_at="2024-03-08 16:00",
                 vks_approved_at="2024-03-12 09:00"))
    build("2024-03-20", only=MODELS)
    c = clocks(con)["approve_detention:P1:O-1"]
    assert (c["started_on"], c["due_on_nominal"], c["due_on"]) == (
        D("2024-03-08"), D("2024-03-11"), D("2024-03-11"))
    assert (c["status"], c["days_late"], c["closed_by"]) == ("late", 1, "O-1")
    assert (c["due_at"], c["closed_at"]) == (None, None)
    assert c["explanation"] == ("VKS nhận đề nghị 08/03/2024 16:00 + 3 ngày = 11/03/2024 "
                                "(phê chuẩn lệnh tạm giam O-1)")
    assert c["explanation_en"] == ("procuracy received the request 08/03/2024 16:00 + 3 days = "
                                   "11/03/2024 (approval of detention order O-1)")


def test_approval_clocks_need_the_receipt(con, build):
    """No vks_received_at: no clock, never overdue. Extensions and other stages: no clock.
    D8: a clock exists even when the order is received before its start."""
    case(con)
    insert(con, "detention_orders",
           order("O-1", "2024-03-12 10:00", "2024-05-10", vks_approved_at="2024-03-12 09:00"),
           order("O-2", "2024-05-11 00:00", "2024-06-10", ext=1,
                 vks_received_at="2024-05-01 10:00"),
           order("O-3", "2024-07-01 10:00", "2024-07-20", stage="prosecution",
                 vks_received_at="2024-06-30 10:00"))
    build("2024-08-01", only=MODELS)
    assert not [k for k in clocks(con) if k.startswith("approve_detention")]


# ---------------------------------------------------------------------------------- W13
def charged_person(con, received="2024-04-08", approved="2024-04-12", *, event_charge=True):
    case(con)
    if not event_charge:
        con.execute("update raw.persons set charged_date = date '2024-04-04'")
    events = [person_event("E-rec", "charge_received_by_vks", received, body="vks")]
    if event_charge:
        events.append(person_event("E-ch", "person_charged", "2024-04-04"))
    if approved:
        events.append(person_event("E-ap", "charge_approved", approved, body="vks"))
    insert(con, "case_events", *events)


def test_w13_charge_clocks(con, build):
    """W13: charged Thu 04/04/2024, received by the procuracy Mon 08/04/2024:
    send_charge_decision due 05/04, late 3 days; approve_charge due Thu 11/04, approved 12/04:
    late 1 day."""
    charged_person(con)
    build("2024-04-20", only=MODELS)
    c = clocks(con)
    send = c["send_charge_decision:P1:E-ch"]
    assert (send["due_on_nominal"], send["due_on"], send["status"], send["days_late"],
            send["closed_by"], send["due_at"]) == (
        D("2024-04-05"), D("2024-04-05"), "late", 3, "E-rec", None)
    assert send["explanation"] == ("khởi tố bị can 04/04/2024 + 24 giờ = 05/04/2024 "
                                   "(gửi quyết định khởi tố bị can cho VKS)")
    approve = c["approve_charge:P1:E-rec"]
    assert (approve["due_on"], approve["status"], approve["days_late"], approve["closed_by"]) == (
        D("2024-04-11"), "late", 1, "E-ap")
    assert approve["explanation"] == ("VKS nhận quyết định khởi tố bị can 08/04/2024 + 3 ngày "
                                      "= 11/04/2024")
    assert approve["explanation_en"] == ("procuracy received the charge decision 08/04/2024 + "
                                         "3 days = 11/04/2024")
    assert approve["legal_basis"] == "BLTTHS 2015 Art. 179(4)"


def test_w13_charge_from_the_persons_row_and_cancellation(con, build):
    """D7: a charge known only from persons.charged_date has start_ref = case_id; a
    charge_cancelled_by_vks closes approve_charge too."""
    charged_person(con, approved=None, event_charge=False)
    insert(con, "case_events", person_event("E-can", "charge_cancelled_by_vks", "2024-04-10",
                                            body="vks"))
    build("2024-04-20", only=MODELS)
    c = clocks(con)
    assert c["send_charge_decision:P1:C1"]["status"] == "late"
    assert (c["approve_charge:P1:E-rec"]["status"], c["approve_charge:P1:E-rec"]["closed_by"]) == (
        "on_time", "E-can")


def test_d1_charge_clock_only_where_the_unit_delivers_receipts(con, build):
    """D1/D14: a unit that never delivered a charge_received_by_vks has no send_charge_decision
    clocks; one that did, from its earliest charge with a receipt."""
    case(con, persons=("P1", "P2", "P3"))
    insert(con, "case_events",
           person_event("E-0", "person_charged", "2024-03-01", person="P3"),
           person_event("E-1", "person_charged", "2024-04-04"),
           person_event("E-2", "person_charged", "2024-04-10", person="P2"),
           person_event("E-r", "charge_received_by_vks", "2024-04-05", body="vks"))
    case(con, case_id="C2", unit="BTR-BD", persons=("Q1",))
    insert(con, "case_events",
           person_event("E-q", "person_charged", "2024-04-04", person="Q1", case_id="C2"))
    build("2024-04-20", only=MODELS)
    c = clocks(con)
    assert c["send_charge_decision:P1:E-1"]["status"] == "on_time"
    assert c["send_charge_decision:P2:E-2"]["status"] == "overdue"
    assert "send_charge_decision:P3:E-0" not in c  # before the unit's adoption
    assert "send_charge_decision:Q1:E-q" not in c  # a unit still on 1.0


# ---------------------------------------------------------------------------------- W14
@pytest.mark.parametrize(("ground", "severity"), [
    ("suspect_unidentified", "error"), ("awaiting_expertise", "error"),
    ("awaiting_documents", "error"), (None, "warn"), ("serious_illness", None),
    ("force_majeure", None),
])
def test_w14_premature_investigation_suspension(con, build, ground, severity):
    """W14: serious case instituted Tue 02/01/2024, investigation due 02/04/2024; suspended
    15/03/2024. The clock closes as suspended whatever the ground."""
    case(con, category="serious", instituted="2024-01-02")
    insert(con, "case_events", event("E-sus", "investigation_suspended", "2024-03-15",
                                      suspension_ground=ground))
    build("2024-04-20", only=MODELS)
    clock = clocks(con)["investigation:C1:0"]
    assert (clock["due_on"], clock["status"]) == (D("2024-04-02"), "suspended")
    f = findings(con).get("premature_suspension:investigation:C1:0")
    assert (f or {}).get("severity") == severity
    if f:
        assert f["legal_basis"] == "BLTTHS 2015 Art. 229(1)"
        assert f["dated_on"] == D("2024-03-15")
        assert "before the limit expired on 02/04/2024" in f["detail"]
        assert f["detail_vi"].startswith("tạm đình chỉ điều tra ngày 15/03/2024 (")
        assert f["detail_vi"].endswith(
            "), trước khi hết thời hạn ngày 02/04/2024 (thời hạn điều tra, sớm 18 ngày)")


@pytest.mark.parametrize(("suspended", "premature"), [
    ("2024-04-01", True), ("2024-04-02", False), ("2024-04-03", False),
])
def test_suspension_on_the_due_date_is_in_time(con, build, suspended, premature):
    case(con, category="serious", instituted="2024-01-02")
    insert(con, "case_events", event("E-sus", "investigation_suspended", suspended,
                                      suspension_ground="suspect_unidentified"))
    build("2024-04-20", only=MODELS)
    assert ("premature_suspension:investigation:C1:0" in findings(con)) is premature


@pytest.mark.parametrize(("ground", "severity"), [
    ("awaiting_expertise", "error"), ("awaiting_documents", "error"),
    ("suspect_unidentified", "error"), ("serious_illness", "error"),
    ("force_majeure", "warn"), (None, "warn"),
])
def test_premature_report_suspension(con, build, ground, severity):
    """D3: a report suspended before its 20 days: an error for every ground of Art. 148(1),
    a warn for force majeure or no ground."""
    insert(con, "crime_reports", dict(report_id="R1", unit_code="BTR-TP",
                                      source_type="denunciation", received_date="2024-03-01",
                                      handling_body="cqdt"))
    insert(con, "case_events", event("E-sus", "report_suspended", "2024-03-15",
                                      subject_type="report", subject_id="R1", case_id=None,
                                      suspension_ground=ground))
    build("2024-04-20", only=MODELS)
    f = findings(con)["premature_suspension:report_resolution:R1:0"]
    assert (f["severity"], f["legal_basis"]) == (severity, "BLTTHS 2015 Art. 148(1)")


# ---------------------------------------------------------------------------------- W15
def test_w15_send_judgement_to_vks(con, build):
    """W15: pronounced Fri 20/12/2024 → due Mon 30/12/2024; received 02/01/2025: late 3 days.
    It runs for every first-instance judgement of a unit that delivers receipts."""
    case(con)
    insert(con, "judgements", judgement("J-1", "2024-12-20", verdict="acquitted"))
    insert(con, "case_events", event("E-r", "judgement_received_by_vks", "2025-01-02",
                                     subject_type="judgement", subject_id="J-1",
                                     judgement_id="J-1", body="toa"))
    build("2025-01-10", only=MODELS)
    c = clocks(con)["send_judgement_to_vks:J-1:0"]
    assert (c["due_on_nominal"], c["due_on"], c["status"], c["days_late"], c["closed_by"]) == (
        D("2024-12-30"), D("2024-12-30"), "late", 3, "E-r")
    assert c["explanation"] == ("tuyên án sơ thẩm 20/12/2024 + 10 ngày = 30/12/2024 "
                                "(Tòa án gửi bản án cho VKS)")
    assert c["legal_basis"] == "BLTTHS 2015 Art. 262(1)"


def test_send_judgement_needs_a_unit_that_delivers(con, build):
    case(con)
    insert(con, "judgements", judgement("J-1", "2024-12-20"))
    build("2025-03-10", only=MODELS)
    assert not [k for k in clocks(con) if k.startswith("send_judgement_to_vks")]


# ---------------------------------------------------------------------------------- W16 (C5)
def first_instance(con, pronounced) -> None:
    case(con)
    insert(con, "judgements", judgement("J-1", pronounced))


def test_w16_windows_roll_and_the_effective_date_follows(con, build):
    """W16: pronounced Thu 15/08/2024, no appeal or protest: the same-level window ends Fri
    30/08; the superior one ends Sat 14/09, rolled to Mon 16/09; effective 17/09; the
    execution decision is due Tue 24/09/2024 (1.0 gave Mon 23/09)."""
    first_instance(con, "2024-08-15")
    build("2024-09-20", only=MODELS)
    w = windows(con)
    assert w[("J-1", "same_level")]["closes_on"] == D("2024-08-30")
    assert w[("J-1", "superior")]["closes_on"] == D("2024-09-16")
    c = clocks(con)["issue_execution_decision:J-1:0"]
    assert (c["started_on"], c["due_on"]) == (D("2024-09-17"), D("2024-09-24"))
    assert c["explanation"] == ("tuyên án 15/08/2024, không có kháng cáo, kháng nghị, hết thời "
                                "hạn kháng nghị 16/09/2024: có hiệu lực 17/09/2024 + 7 ngày = "
                                "24/09/2024")


def test_w16_same_level_window_ends_on_national_day(con, build):
    """W16: pronounced Mon 19/08/2024: 15 days end Tue 03/09/2024, a National Day holiday,
    rolled to Wed 04/09/2024."""
    first_instance(con, "2024-08-19")
    build("2024-09-20", only=MODELS)
    assert windows(con)[("J-1", "same_level")]["closes_on"] == D("2024-09-04")


def test_window_ending_on_a_make_up_saturday_does_not_roll(con, build):
    """Sat 04/05/2024 is a make-up working day: a window ending on it stays there."""
    first_instance(con, "2024-04-19")
    build("2024-06-20", only=MODELS)
    assert windows(con)[("J-1", "same_level")]["closes_on"] == D("2024-05-04")


def test_protest_after_the_rolled_end_is_late(con, build):
    first_instance(con, "2024-08-15")
    insert(con, "case_events",
           event("E-p1", "protest_filed_superior", "2024-09-16", subject_type="judgement",
                 subject_id="J-1", judgement_id="J-1", body="vks"),
           event("E-p2", "protest_filed_same_level", "2024-08-31", subject_type="judgement",
                 subject_id="J-1", judgement_id="J-1", body="vks"))
    build("2024-09-20", only=MODELS)
    w = windows(con)
    assert (w[("J-1", "superior")]["status"], w[("J-1", "same_level")]["status"]) == (
        "used", "late")


def test_a_late_protest_does_not_stop_the_effective_date(con, build):
    """D12: only an appeal or protest in time keeps the first-instance judgement from effect."""
    first_instance(con, "2024-08-15")
    insert(con, "case_events", event("E-p", "protest_filed_same_level", "2024-09-02",
                                     subject_type="judgement", subject_id="J-1",
                                     judgement_id="J-1", body="vks"))
    build("2024-09-20", only=MODELS)
    assert clocks(con)["issue_execution_decision:J-1:0"]["started_on"] == D("2024-09-17")


def roll_windows(con, on: bool) -> None:
    con.execute("update reference.indicator_conventions set value = ? "
                "where setting = 'roll_windows'", [str(on).lower()])


def test_roll_windows_off_gives_the_10_results(con, build):
    """The alternative convention: windows never rolled, effective 31 days after
    pronouncement; W16 is then due Mon 23/09/2024 as in 1.0, and W6 as in 1.0."""
    roll_windows(con, False)
    first_instance(con, "2024-08-15")
    build("2024-09-20", only=MODELS)
    w = windows(con)
    assert w[("J-1", "superior")]["closes_on"] == D("2024-09-14")
    c = clocks(con)["issue_execution_decision:J-1:0"]
    assert (c["started_on"], c["due_on"]) == (D("2024-09-15"), D("2024-09-23"))


# ------------------------------------------------------------------- 1.0 batch vs 1.1 batch
def test_a_10_and_a_11_batch_give_the_same_clocks_where_10_had_data(con, build):
    """The same records with and without the 1.1 columns and events: every clock the 1.0 batch
    yields is identical; the 1.1 batch only adds the clocks that need its data."""
    import duckdb

    from pipelines import dbt_compiled, paths
    from pipelines.contract import create_raw_tables
    from pipelines.reference.load import load_reference

    def load(c, with_11: bool) -> None:
        case(c, category="serious", instituted="2024-01-02")
        extra = dict(suspension_ground="suspect_unidentified") if with_11 else {}
        insert(c, "case_events",
               event("E-sus", "investigation_suspended", "2024-04-03", **extra),
               person_event("E-ch", "person_charged", "2024-01-05"),
               person_event("E-ap", "charge_approved", "2024-01-08", body="vks"))
        if with_11:
            insert(c, "case_events",
                   person_event("E-rec", "charge_received_by_vks", "2024-01-06", body="vks"))
        order_extra = dict(vks_received_at="2024-01-08 09:00") if with_11 else {}
        insert(c, "detention_orders",
               order("O-1", "2024-01-10 08:00", "2024-04-08", vks_approved_at="2024-01-09 15:00",
                     **order_extra))
        insert(c, "judgements", judgement("J-1", "2024-08-15"),
               judgement("J-2", "2024-10-01", instance="appeal", person="P1",
                         effective_date="2024-10-01"))

    load(con, with_11=False)
    build("2024-12-31", only=MODELS)
    old = clocks(con)
    new_con = duckdb.connect()
    new_con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    load_reference(new_con, paths.REFERENCE_DIR)
    create_raw_tables(new_con)
    load(new_con, with_11=True)
    dbt_compiled.build(new_con, D("2024-12-31"), only=MODELS)
    new = clocks(new_con)
    new_con.close()
    assert set(old) < set(new)
    assert set(new) - set(old) == {"approve_detention:P1:O-1", "approve_charge:P1:E-rec",
                                   "send_charge_decision:P1:E-ch"}
    for clock_id, row in old.items():
        assert new[clock_id] == row, clock_id
    assert not [r for r in old.values() if r["clock"].startswith(("approve", "send", "decide"))]


# ------------------------------------------------------------------- landing: both kinds load
def _csv(path, header: list[str], rows: list[list[str]]) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_10_and_11_batches_both_load(con, tmp_path):
    """A 1.0 batch (no 1.1 columns) loads as before; a 1.1 batch with Vietnamese headers for
    the new columns and the new codes loads them; nothing is quarantined."""
    from pipelines.ingest import ingest_landing

    common = ["Cập nhật lúc"]
    _csv(tmp_path / "b1" / "detention_orders.csv",
         ["order_id", "person_id", "unit_code", "facility_code", "measure", "stage",
          "extension_no", "start_at", "stated_end_date", *common],
         [["O-1", "P1", "BTR-TP", "TTG-1", "detention", "investigation", "0",
           "2024-03-12 10:00", "2024-05-10", "2024-03-12 12:00"]])
    _csv(tmp_path / "b2" / "detention_orders.csv",
         ["order_id", "person_id", "unit_code", "facility_code", "measure", "stage",
          "extension_no", "start_at", "stated_end_date", "VKS nhận hồ sơ đề nghị lúc",
          "VKS không phê chuẩn lúc", *common],
         [["O-2", "P1", "BTR-TP", "TTG-1", "detention", "supplementary_investigation", "0",
           "2024-06-12 10:00", "2024-07-10", "08/06/2024 16:00", "", "2024-06-12 12:00"]])
    _csv(tmp_path / "b2" / "case_events.csv",
         ["event_id", "event_type", "subject_type", "subject_id", "case_id", "event_date",
          "issuing_body", "Căn cứ tạm đình chỉ", *common],
         [["E-1", "investigation_suspended", "case", "C1", "C1", "2024-03-15", "cqdt",
           "suspect_unidentified", "2024-03-15 12:00"],
          ["E-2", "charge_received_by_vks", "person", "P1", "C1", "2024-03-16", "vks", "",
           "2024-03-16 12:00"]])
    _csv(tmp_path / "b2" / "judgements.csv",
         ["judgement_id", "case_id", "person_id", "unit_code", "instance", "pronounced_date",
          "verdict", "Ngày nhận bản án phúc thẩm", *common],
         [["J-2", "C1", "P1", "BTR-TP", "appeal", "10/06/2024", "convicted", "24/06/2024",
           "2024-06-25 12:00"]])
    ingest_landing(con, tmp_path, log=lambda *_: None)
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    assert con.execute(
        "select order_id, stage, vks_received_at from raw.detention_orders order by order_id"
    ).fetchall() == [("O-1", "investigation", None),
                     ("O-2", "supplementary_investigation", dt.datetime(2024, 6, 8, 16, 0))]
    assert con.execute("select suspension_ground from raw.case_events where event_id = 'E-1'"
                       ).fetchone() == ("suspect_unidentified",)
    assert con.execute("select received_date from raw.judgements").fetchone() == (
        D("2024-06-24"),)


def test_a_warehouse_from_before_11_gains_the_new_columns(tmp_path):
    """raw tables created under 1.0 get the 1.1 columns (empty) on the next run."""
    import duckdb

    from pipelines.contract import create_raw_tables

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.judgements (judgement_id varchar, updated_at timestamp)")
    con.execute("insert into raw.judgements values ('J-1', timestamp '2024-01-01 00:00')")
    create_raw_tables(con)
    cols = {r[0] for r in con.execute("describe raw.judgements").fetchall()}
    assert {"received_date", "pronounced_date", "_batch_id"} <= cols
    assert con.execute("select judgement_id, received_date from raw.judgements").fetchall() == [
        ("J-1", None)]
    con.close()


@pytest.mark.parametrize(("category", "allowed"), [
    ("less_serious", 1), ("serious", 1), ("very_serious", 1), ("especially_serious", 2),
])
@pytest.mark.parametrize("extra", [False, True])
def test_c3_extension_count(con, build, category, allowed, extra):
    """C3: at most 1 / 1 / 1 / 2 later orders; one more is an illegal order whatever its
    length (a short, 10-day one here). The especially serious third is D19's warn."""
    case(con, category=category, instituted="2023-01-02")
    count = allowed + (1 if extra else 0)
    orders = [order("O-0", "2023-01-05 08:00", "2023-02-03")]  # 30 days
    end = D("2023-02-03")
    for k in range(1, count + 1):
        start, end = end + dt.timedelta(days=1), end + dt.timedelta(days=10)
        orders.append(order(f"O-{k}", f"{start} 00:00", end.isoformat(), ext=k))
    insert(con, "detention_orders", *orders)
    build(end, only=MODELS)
    per_order = {k: v for k, v in illegal(con, "detention:P1:O-0").items()
                 if k.count(":") == 4}
    if not extra:
        assert per_order == {}
    else:
        severity = "warn" if category == "especially_serious" else "error"
        assert per_order == {f"illegal_order:detention:P1:O-0:O-{count}": severity}


def test_c7_calendar_2026(con, build):
    """C7: Fri 02/01/2026 is off and Sat 10/01/2026 a make-up working day (Official Letter
    12729/VPCP-KGVX, unconfirmed); 24/11/2026 Vietnam Culture Day is kept, unconfirmed; 2026
    deadlines stay provisional."""
    rows = dict(((d, (w, c)) for d, w, c in con.execute(
        "select date, is_working_day, is_confirmed from reference.calendar "
        "where date in ('2026-01-02', '2026-01-10', '2026-11-24', '2026-01-05')").fetchall()))
    assert rows == {D("2026-01-02"): (False, False), D("2026-01-10"): (True, False),
                    D("2026-11-24"): (False, False), D("2026-01-05"): (True, True)}
    insert(con, "crime_reports", dict(report_id="R1", unit_code="VLG-R1",
                                      source_type="denunciation", received_date="2025-12-13",
                                      handling_body="cqdt"))
    build("2025-12-31", only=MODELS)
    c = clocks(con)["report_resolution:R1:0"]
    # 13/12/2025 + 20 days = Fri 02/01/2026, a day off → Mon 05/01/2026, provisional
    assert (c["due_on_nominal"], c["due_on"], c["is_provisional"]) == (
        D("2026-01-02"), D("2026-01-05"), True)
