"""Criminal-case clocks, given/expect: rows go into raw.*, the SQL models are built, the rows of
marts.deadlines are checked against deadlines computed by hand (domain.md §10 W1–W5 and the
decided edge cases of contract outputs §1.7). Dates in the tests are written DD/MM/YYYY, as a
prosecutor writes them.

`Given` is also used by the property tests (test_deadline_properties.py).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import pytest

DATE_RE = re.compile(r"\d{2}/\d{2}/\d{4}")
DEADLINE_MARTS = [
    "marts.deadlines",
    "marts.deadline_findings",
    "marts.deadline_watchlist",
    "intermediate.int_data_findings__deadlines",
]


def d(text: str) -> dt.date:
    """A date written DD/MM/YYYY."""
    day, month, year = (int(p) for p in text.split("/"))
    return dt.date(year, month, day)


class Given:
    """Landed rows, current versions: every record gets an updated_at and a batch id."""

    def __init__(self, con) -> None:
        self.con = con
        self.row_number = 0

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        self.row_number += 1
        row = {
            "updated_at": dt.datetime(2020, 1, 1, 8, 0),
            "is_deleted": False,
            "_batch_id": "b0001",
            "_file_name": f"{table}.csv",
            "_row_number": self.row_number,
            **row,
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.con.execute(f"insert into raw.{table} ({cols}) values ({marks})", list(row.values()))

    def report(self, report_id: str, received: str, unit: str = "BTR-CT",
               prosecutor: str = "KSV01", **extra: Any) -> None:
        self._insert("crime_reports", {
            "report_id": report_id, "unit_code": unit, "prosecutor_id": prosecutor,
            "source_type": "denunciation", "received_date": d(received), "handling_body": "cqdt",
            **extra,
        })

    def case(self, case_id: str, instituted: str, category: str = "serious", unit: str = "BTR-CT",
             prosecutor: str = "KSV01", report_id: str | None = None, **extra: Any) -> None:
        self._insert("cases", {
            "case_id": case_id, "unit_code": unit, "prosecutor_id": prosecutor,
            "report_id": report_id, "instituted_date": d(instituted), "penal_code_article": 173,
            "crime_category": category, **extra,
        })

    def event(self, event_id: str, event_type: str, subject_id: str, on: str,
              subject_type: str = "case", **extra: Any) -> None:
        for key in ("received_date", "stated_end_date", "requested_date"):
            if isinstance(extra.get(key), str):
                extra[key] = d(extra[key])
        self._insert("case_events", {
            "event_id": event_id, "event_type": event_type, "subject_type": subject_type,
            "subject_id": subject_id, "event_date": d(on),
            "case_id": extra.pop("case_id", subject_id if subject_type == "case" else None),
            "issuing_body": extra.pop("issuing_body", "vks"), **extra,
        })

    def person(self, person_id: str, case_id: str) -> None:
        self._insert("persons", {"person_id": person_id, "case_id": case_id})


@pytest.fixture
def given(con) -> Given:
    return Given(con)


def rows(con, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture
def deadlines(con, build):
    """Build the deadline marts as of a date; returns marts.deadlines keyed by clock_id."""

    def _run(as_of: str) -> dict[str, dict[str, Any]]:
        build(d(as_of), only=DEADLINE_MARTS)
        return {r["clock_id"]: r for r in rows(con, "select * from marts.deadlines")}

    return _run


def findings(con, rule: str | None = None) -> list[dict[str, Any]]:
    sql = "select * from marts.deadline_findings"
    if rule:
        return rows(con, sql + " where rule = ? order by finding_id", [rule])
    return rows(con, sql + " order by finding_id")


def check(clock: dict[str, Any], **expected: Any) -> None:
    """Compare the listed columns; dates may be written DD/MM/YYYY."""
    want = {k: d(v) if isinstance(v, str) and DATE_RE.fullmatch(v) else v
            for k, v in expected.items()}
    got = {k: clock[k] for k in expected}
    assert got == want, clock["explanation_en"]


# --- domain.md §10 worked examples ---------------------------------------------------------------


def test_w1_investigation_serious_one_extension(given, deadlines, con) -> None:
    given.case("VA1", "01/03/2022", "serious")
    given.event("E1", "investigation_extended", "VA1", "20/05/2022", extension_no=1,
                requested_date="20/05/2022")
    clocks = deadlines("01/08/2022")
    w1 = clocks["investigation:VA1:0"]
    check(w1, started_on="01/03/2022", due_on_nominal="01/09/2022", due_on="05/09/2022",
          status="open", days_remaining=35, days_late=0, crime_category="serious",
          rule_id="investigation:serious:1", legal_basis="BLTTHS 2015 Art. 172(2)(b)",
          is_provisional=False, closed_on=None, closed_by=None)
    assert w1["explanation_en"] == (
        "instituted 01/03/2022 + 3 months + extension 1 (3 months) = 01/09/2022, "
        "a day off → 05/09/2022"
    )
    assert w1["explanation"] == (
        "khởi tố 01/03/2022 + 3 tháng + gia hạn lần 1 (3 tháng) = 01/09/2022, "
        "ngày nghỉ → 05/09/2022"
    )
    assert unicodedata.is_normalized("NFC", w1["explanation"])
    # requested on 20/05, before 22/05 (= 01/06/2022 − 10 days): not late
    assert findings(con) == []


def test_w1_without_extension_and_with_a_second_one(given, deadlines, con) -> None:
    given.case("VA1", "01/03/2022", "serious")
    given.case("VA2", "01/03/2022", "serious")
    given.event("E1", "investigation_extended", "VA2", "20/05/2022", requested_date="22/05/2022")
    given.event("E2", "investigation_extended", "VA2", "20/08/2022", requested_date="23/08/2022")
    clocks = deadlines("01/12/2022")
    # base 3 months: Wed 01/06/2022, a working day; overdue as of 01/12/2022
    check(clocks["investigation:VA1:0"], due_on_nominal="01/06/2022", due_on="01/06/2022",
          status="overdue", days_late=183, days_remaining=None,
          rule_id="investigation:serious:0", legal_basis="BLTTHS 2015 Art. 172(1)")
    # second extension chained from the nominal 01/09/2022 (not from 05/09): Tue 01/11/2022
    check(clocks["investigation:VA2:0"], due_on_nominal="01/11/2022", due_on="01/11/2022",
          status="overdue", days_late=30, rule_id="investigation:serious:2")
    assert clocks["investigation:VA2:0"]["explanation_en"] == (
        "instituted 01/03/2022 + 3 months + extension 1 (3 months) + extension 2 (2 months)"
        " = 01/11/2022"
    )
    late_requests = findings(con, "extension_request_late")
    # E1 requested 22/05 = 01/06 − 10 days: in time. E2 requested 23/08 > 01/09 − 10 = 22/08: late
    assert [(f["clock_id"], f["severity"]) for f in late_requests] == [
        ("investigation:VA2:0", "warn")
    ]
    assert "E2" in late_requests[0]["finding_id"]
    assert "22/08/2022" in late_requests[0]["detail"]
    assert late_requests[0]["legal_basis"] == "BLTTHS 2015 Art. 172(2)"


def test_w3_crime_report_prolonged_extended_suspended_resumed(given, deadlines) -> None:
    given.report("NT1", "10/03/2023")
    # the same report, step by step, as of different days
    clocks = deadlines("15/03/2023")
    check(clocks["report_resolution:NT1:0"], started_on="10/03/2023",
          due_on_nominal="30/03/2023", due_on="30/03/2023", status="open", days_remaining=15,
          rule_id="report_resolution:base", legal_basis="BLTTHS 2015 Art. 147(1)")
    assert clocks["report_resolution:NT1:0"]["explanation_en"] == (
        "received 10/03/2023 + 20 days = 30/03/2023")
    assert clocks["report_resolution:NT1:0"]["explanation"] == (
        "tiếp nhận 10/03/2023 + 20 ngày = 30/03/2023")

    given.event("K1", "report_prolonged", "NT1", "25/03/2023", subject_type="report",
                issuing_body="cqdt")
    clocks = deadlines("01/04/2023")
    check(clocks["report_resolution:NT1:0"], due_on_nominal="10/05/2023", due_on="10/05/2023",
          rule_id="report_resolution:prolonged")

    given.event("K2", "report_extended", "NT1", "05/05/2023", subject_type="report")
    given.event("K3", "report_suspended", "NT1", "10/07/2023", subject_type="report",
                issuing_body="cqdt")
    given.event("K4", "report_resumed", "NT1", "15/09/2023", subject_type="report",
                issuing_body="cqdt")
    clocks = deadlines("20/09/2023")
    first = clocks["report_resolution:NT1:0"]
    check(first, due_on_nominal="10/07/2023", due_on="10/07/2023", closed_on="10/07/2023",
          closed_by="K3", status="suspended", days_late=0, days_remaining=None,
          rule_id="report_resolution:extended")
    assert first["explanation_en"] == (
        "received 10/03/2023 + 20 days + prolonged (2 months from receipt)"
        " + procuracy extension (2 months) = 10/07/2023"
    )
    assert first["explanation"] == (
        "tiếp nhận 10/03/2023 + 20 ngày + kéo dài (2 tháng kể từ ngày tiếp nhận)"
        " + Viện kiểm sát gia hạn (2 tháng) = 10/07/2023"
    )
    resumed = clocks["report_resolution_resumed:NT1:K4"]
    check(resumed, started_on="15/09/2023", due_on_nominal="15/10/2023", due_on="16/10/2023",
          status="open", days_remaining=26, rule_id="report_resolution_resumed:base",
          legal_basis="BLTTHS 2015 Arts. 148(2) and 149(1)")
    assert resumed["explanation_en"] == (
        "resumed 15/09/2023 + 1 month = 15/10/2023, a day off → 16/10/2023")
    assert resumed["explanation"] == (
        "phục hồi 15/09/2023 + 1 tháng = 15/10/2023, ngày nghỉ → 16/10/2023")


def test_w4_prosecution_decision_serious(given, deadlines) -> None:
    given.case("VA4", "01/01/2023", "serious")
    given.case("VA5", "01/01/2023", "serious")
    given.event("H4", "file_received_by_vks", "VA4", "05/06/2023")
    given.event("H5", "file_received_by_vks", "VA5", "05/06/2023")
    given.event("G5", "prosecution_extended", "VA5", "20/06/2023")
    clocks = deadlines("20/06/2023")
    # 20 days → Sun 25/06/2023, rolled to Mon 26/06/2023 (lenient reading)
    check(clocks["prosecution_decision:VA4:H4"], started_on="05/06/2023",
          due_on_nominal="25/06/2023", due_on="26/06/2023", status="open", days_remaining=6,
          rule_id="prosecution_decision:serious:0", legal_basis="BLTTHS 2015 Art. 240(1)")
    # + 10 days from the nominal 25/06 → Wed 05/07/2023
    check(clocks["prosecution_decision:VA5:H5"], due_on_nominal="05/07/2023",
          due_on="05/07/2023", rule_id="prosecution_decision:serious:1")
    assert clocks["prosecution_decision:VA5:H5"]["explanation_en"] == (
        "file received by the procuracy 05/06/2023 + 20 days + extension 1 (10 days)"
        " = 05/07/2023"
    )


def test_w5_trial_preparation_very_serious(given, deadlines) -> None:
    given.case("VA6", "01/01/2023", "very_serious")
    given.case("VA7", "01/01/2023", "very_serious")
    given.event("T6", "court_accepted", "VA6", "03/07/2023", issuing_body="toa")
    given.event("T7", "court_accepted", "VA7", "03/07/2023", issuing_body="toa")
    given.event("X7", "trial_prep_extended", "VA7", "25/08/2023", issuing_body="toa")
    clocks = deadlines("01/09/2023")
    # 2 months → Sun 03/09/2023 inside the National Day holiday (01–04/09/2023) → Tue 05/09/2023
    check(clocks["trial_preparation:VA6:T6"], due_on_nominal="03/09/2023", due_on="05/09/2023",
          status="open", days_remaining=4, rule_id="trial_preparation:very_serious:0",
          legal_basis="BLTTHS 2015 Art. 277(1)")
    assert clocks["trial_preparation:VA6:T6"]["explanation_en"] == (
        "accepted by the court 03/07/2023 + 2 months = 03/09/2023, a day off → 05/09/2023")
    # + 30 days counted from the nominal end → Tue 03/10/2023
    check(clocks["trial_preparation:VA7:T7"], due_on_nominal="03/10/2023", due_on="03/10/2023",
          rule_id="trial_preparation:very_serious:1",
          legal_basis="BLTTHS 2015 Art. 277(1), second paragraph")


# --- counting: month ends, days off, make-up Saturdays, provisional years ------------------------


def test_month_end_clamps(given, deadlines) -> None:
    # 31/12 + 2 months: 28/02 in a common year, 29/02 in a leap year (less serious: 2 months)
    given.case("M1", "31/12/2022", "less_serious")
    given.case("M2", "31/12/2023", "less_serious")
    # 31/01 + 1 month (supplementary investigation after a court return, from receipt)
    given.case("M3", "01/06/2022", "serious")
    given.event("R3", "returned_by_court", "M3", "27/01/2023", received_date="31/01/2023",
                is_accepted=True, return_by="trial_panel", issuing_body="toa")
    given.case("M4", "01/06/2023", "serious")
    given.event("R4", "returned_by_court", "M4", "29/01/2024", received_date="31/01/2024",
                is_accepted=True, return_by="presiding_judge", issuing_body="toa")
    clocks = deadlines("01/02/2024")
    check(clocks["investigation:M1:0"], due_on_nominal="28/02/2023", due_on="28/02/2023")
    check(clocks["investigation:M2:0"], due_on_nominal="29/02/2024", due_on="29/02/2024")
    check(clocks["supplementary_investigation_court:M3:R3"], started_on="31/01/2023",
          due_on_nominal="28/02/2023", due_on="28/02/2023", status="overdue",
          rule_id="supplementary_investigation_court:base")
    check(clocks["supplementary_investigation_court:M4:R4"], started_on="31/01/2024",
          due_on_nominal="29/02/2024", due_on="29/02/2024", status="open", days_remaining=28)
    assert clocks["supplementary_investigation_court:M4:R4"]["explanation_en"] == (
        "file returned by the court, received 31/01/2024 + 1 month = 29/02/2024")


def test_deadlines_in_tet_national_day_and_swapped_days(given, deadlines) -> None:
    # Tết 2023: 20–26/01/2023 off → 20 days from 01/01/2023 = Sat 21/01 → Fri 27/01/2023
    given.case("D1", "01/10/2022", "serious")
    given.event("F1", "file_received_by_vks", "D1", "01/01/2023")
    # Tết 2024: 08–14/02/2024 off → 30 days from 10/01/2024 = Fri 09/02 → Thu 15/02/2024
    given.case("D2", "01/10/2023", "less_serious")
    given.event("F2", "court_accepted", "D2", "10/01/2024", issuing_body="toa")
    # National Day 2024: Sat 31/08 – Tue 03/09/2024 → 17/08/2024 + 15 days = Sun 01/09 → Wed 04/09
    given.case("D3", "01/10/2023", "serious")
    given.event("F3", "trial_scheduled", "D3", "17/08/2024", issuing_body="toa")
    # make-up working Saturday 04/05/2024: 20 days from 14/04/2024 lands on it and stays
    given.case("D4", "01/10/2023", "serious")
    given.event("F4", "file_received_by_vks", "D4", "14/04/2024")
    # swapped day off Mon 29/04/2024, then 30/04 and 01/05 → Thu 02/05/2024
    given.case("D5", "01/10/2023", "serious")
    given.event("F5", "file_received_by_vks", "D5", "09/04/2024")
    # 2025: Fri 02/05/2025 is a swapped day off (worked on Sat 26/04/2025)
    given.case("D6", "01/10/2024", "serious")
    given.event("F6", "file_received_by_vks", "D6", "12/04/2025")
    given.event("F6b", "trial_scheduled", "D6", "11/04/2025", issuing_body="toa")
    clocks = deadlines("01/01/2026")
    check(clocks["prosecution_decision:D1:F1"], due_on_nominal="21/01/2023", due_on="27/01/2023")
    check(clocks["trial_preparation:D2:F2"], due_on_nominal="09/02/2024", due_on="15/02/2024")
    check(clocks["hearing_opening:D3:F3"], due_on_nominal="01/09/2024", due_on="04/09/2024")
    check(clocks["prosecution_decision:D4:F4"], due_on_nominal="04/05/2024", due_on="04/05/2024")
    assert "a day off" not in clocks["prosecution_decision:D4:F4"]["explanation_en"]
    check(clocks["prosecution_decision:D5:F5"], due_on_nominal="29/04/2024", due_on="02/05/2024")
    check(clocks["prosecution_decision:D6:F6"], due_on_nominal="02/05/2025", due_on="05/05/2025")
    check(clocks["hearing_opening:D6:F6b"], due_on_nominal="26/04/2025", due_on="26/04/2025")


def test_provisional_deadlines_beyond_reviewed_years(given, deadlines) -> None:
    # 2026 is in the calendar but its swaps are not reviewed; Tết 2026 is 14–22/02/2026
    given.case("P1", "20/10/2025", "serious")
    given.event("Q1", "trial_scheduled", "P1", "01/02/2026", issuing_body="toa")
    given.event("Q2", "trial_scheduled", "P1", "20/12/2025", issuing_body="toa")
    clocks = deadlines("01/02/2026")
    check(clocks["hearing_opening:P1:Q1"], due_on_nominal="16/02/2026", due_on="23/02/2026",
          is_provisional=True)
    assert clocks["hearing_opening:P1:Q1"]["explanation_en"].endswith(
        "a day off → 23/02/2026 (provisional: that year's holiday swaps are not reviewed)")
    assert "(tạm tính" in clocks["hearing_opening:P1:Q1"]["explanation"]
    # 20/12/2025 + 15 days = Sun 04/01/2026 → Mon 05/01/2026: a 2026 deadline, provisional
    check(clocks["hearing_opening:P1:Q2"], due_on_nominal="04/01/2026", due_on="05/01/2026",
          is_provisional=True)
    check(clocks["investigation:P1:0"], due_on_nominal="20/01/2026", due_on="20/01/2026",
          is_provisional=True)


def test_beyond_the_calendar_only_weekends_are_off(given, deadlines) -> None:
    # especially serious, instituted 12/05/2035: base 4 months + 4 extensions of 4 months each,
    # the last beyond the calendar's 2035: Sat 12/01/2037 → Mon 14/01/2037 (weekend only)
    given.case("Z1", "12/05/2035", "especially_serious")
    for k, on in enumerate(["01/09/2035", "01/01/2036", "01/05/2036", "01/09/2036"], start=1):
        given.event(f"Z1E{k}", "investigation_extended", "Z1", on, requested_date=on)
    clocks = deadlines("01/10/2036")
    check(clocks["investigation:Z1:0"], due_on_nominal="12/01/2037", due_on="12/01/2037",
          is_provisional=True, rule_id="investigation:especially_serious:4")
    assert dt.date(2037, 1, 12).isoweekday() == 1  # a Monday: nothing to roll


def test_weekend_roll_outside_the_calendar(given, deadlines) -> None:
    given.case("Z2", "10/10/2035", "serious")
    # 10/10/2035 + 3 months = Thu 10/01/2036; extended to Sat 05/04/2036 (stated) → Mon 07/04
    given.event("Z2E", "investigation_extended", "Z2", "02/01/2036",
                stated_end_date="05/04/2036", requested_date="20/12/2035")
    clocks = deadlines("01/02/2036")
    check(clocks["investigation:Z2:0"], due_on_nominal="05/04/2036", due_on="07/04/2036",
          is_provisional=True)


# --- extensions -----------------------------------------------------------------------------------


def test_chained_extensions_with_month_end_clamps(given, deadlines, con) -> None:
    # serious investigation from 30/11/2023: 29/02/2024 → 29/05/2024 → 29/07/2024 (stepped; not
    # 30/07/2024 = 30/11/2023 + 8 months)
    given.case("C1", "30/11/2023", "serious")
    given.case("C2", "30/11/2023", "serious")
    given.case("C3", "30/11/2023", "serious")
    for case_id in ("C1", "C2", "C3"):
        given.event(f"{case_id}x1", "investigation_extended", case_id, "10/02/2024",
                    extension_no=1, requested_date="10/02/2024")
    given.event("C2x2", "investigation_extended", "C2", "10/05/2024", extension_no=2,
                requested_date="10/05/2024")
    given.event("C3x2", "investigation_extended", "C3", "10/05/2024", extension_no=2,
                requested_date="10/05/2024", stated_end_date="30/07/2024")
    clocks = deadlines("01/06/2024")
    check(clocks["investigation:C1:0"], due_on_nominal="29/05/2024", due_on="29/05/2024",
          status="overdue", days_late=3)
    check(clocks["investigation:C2:0"], due_on_nominal="29/07/2024", due_on="29/07/2024",
          status="open", rule_id="investigation:serious:2")
    assert clocks["investigation:C2:0"]["explanation_en"] == (
        "instituted 30/11/2023 + 3 months + extension 1 (3 months) + extension 2 (2 months)"
        " = 29/07/2024"
    )
    # a stated end date past the cap and the cumulative maximum is cut back to 29/07/2024
    check(clocks["investigation:C3:0"], due_on_nominal="29/07/2024", due_on="29/07/2024")
    assert clocks["investigation:C3:0"]["explanation_en"].endswith(
        "+ extension 2 (to 30/07/2024, limited to 29/07/2024) = 29/07/2024")
    assert "(đến 30/07/2024, giới hạn 29/07/2024)" in clocks["investigation:C3:0"]["explanation"]
    beyond = findings(con, "extension_beyond_limit")
    assert [(f["clock_id"], f["severity"]) for f in beyond] == [("investigation:C3:0", "error")]
    assert "30/07/2024" in beyond[0]["detail"] and "29/07/2024" in beyond[0]["detail"]
    assert beyond[0]["legal_basis"] == "BLTTHS 2015 Art. 172(2)(b)"


def test_stated_end_dates_within_and_below_the_limits(given, deadlines, con) -> None:
    given.case("S1", "01/03/2022", "serious")
    given.case("S2", "01/03/2022", "serious")
    # within the cap: the stated date is the deadline
    given.event("S1x", "investigation_extended", "S1", "20/05/2022", stated_end_date="15/08/2022",
                requested_date="20/05/2022")
    # earlier than the previous nominal date (01/06/2022): it shortens the deadline
    given.event("S2x", "investigation_extended", "S2", "20/05/2022", stated_end_date="27/05/2022",
                requested_date="20/05/2022")
    clocks = deadlines("01/05/2022")
    # extensions dated after as_of are ignored
    check(clocks["investigation:S1:0"], due_on_nominal="01/06/2022", due_on="01/06/2022")
    clocks = deadlines("01/06/2022")
    check(clocks["investigation:S1:0"], due_on_nominal="15/08/2022", due_on="15/08/2022")
    assert clocks["investigation:S1:0"]["explanation_en"] == (
        "instituted 01/03/2022 + 3 months + extension 1 (to 15/08/2022) = 15/08/2022")
    check(clocks["investigation:S2:0"], due_on_nominal="27/05/2022", due_on="27/05/2022",
          status="overdue", days_late=5)
    assert findings(con) == []


def test_late_extension_still_applies(given, deadlines, con) -> None:
    given.case("L1", "01/03/2022", "serious")
    # base deadline Wed 01/06/2022; extension decided on 03/06/2022, after it
    given.event("L1x", "investigation_extended", "L1", "03/06/2022", requested_date="20/05/2022")
    clocks = deadlines("10/06/2022")
    check(clocks["investigation:L1:0"], due_on_nominal="01/09/2022", due_on="05/09/2022",
          status="open")
    late = findings(con, "late_extension")
    assert [(f["finding_id"], f["severity"], f["unit_code"]) for f in late] == [
        ("late_extension:investigation:L1:0:L1x", "warn", "BTR-CT")]
    assert "03/06/2022" in late[0]["detail"] and "01/06/2022" in late[0]["detail"]


def test_extension_decided_on_the_rolled_deadline_is_not_late(given, deadlines, con) -> None:
    # W1's first extension decided on Mon 05/09/2022 (the rolled deadline of 01/09/2022)
    given.case("L2", "01/03/2022", "serious")
    given.event("L2a", "investigation_extended", "L2", "20/05/2022", requested_date="20/05/2022")
    given.event("L2b", "investigation_extended", "L2", "05/09/2022", requested_date="20/08/2022")
    deadlines("10/09/2022")
    assert findings(con, "late_extension") == []


def test_extensions_beyond_the_allowed_number(given, deadlines, con) -> None:
    # less serious: base 2 months + one extension of 2 months = 4 months (01/07/2022)
    given.case("B1", "01/03/2022", "less_serious")
    given.event("B1a", "investigation_extended", "B1", "20/04/2022", requested_date="20/04/2022")
    given.event("B1b", "investigation_extended", "B1", "20/06/2022", requested_date="20/06/2022",
                stated_end_date="01/09/2022")
    # prosecution (serious): one extension of up to 10 days; a second one without a date
    given.case("B2", "01/03/2022", "serious")
    given.event("B2f", "file_received_by_vks", "B2", "01/06/2022")
    given.event("B2a", "prosecution_extended", "B2", "15/06/2022", stated_end_date="25/06/2022")
    given.event("B2b", "prosecution_extended", "B2", "24/06/2022")
    clocks = deadlines("26/06/2022")
    # the second extension has no cap: only the 4-month maximum (01/07/2022) bounds it
    check(clocks["investigation:B1:0"], due_on_nominal="01/07/2022", due_on="01/07/2022",
          rule_id="investigation:less_serious:1")
    assert clocks["investigation:B1:0"]["explanation_en"] == (
        "instituted 01/03/2022 + 2 months + extension 1 (2 months)"
        " + extension 2 (to 01/09/2022, limited to 01/07/2022) = 01/07/2022"
    )
    # 01/06 + 20 days = 21/06; extension 1 to 25/06 (cap 01/07); extension 2 has no cap and no
    # stated date: up to the maximum 01/06 + 20 + 10 days = 01/07/2022
    check(clocks["prosecution_decision:B2:B2f"], due_on_nominal="01/07/2022", due_on="01/07/2022")
    assert clocks["prosecution_decision:B2:B2f"]["explanation_en"] == (
        "file received by the procuracy 01/06/2022 + 20 days + extension 1 (to 25/06/2022)"
        " + extension 2 (beyond the allowed number, up to the maximum) = 01/07/2022"
    )
    beyond = {f["clock_id"]: f for f in findings(con, "extension_beyond_limit")}
    assert set(beyond) == {"investigation:B1:0", "prosecution_decision:B2:B2f"}
    assert "more extensions than the less_serious rules allow" in beyond[
        "investigation:B1:0"]["detail"]
    assert "after the maximum 01/07/2022" in beyond["investigation:B1:0"]["detail"]


def test_especially_serious_investigation_allows_four_extensions(given, deadlines, con) -> None:
    given.case("ES", "15/01/2022", "especially_serious")
    for k, on in enumerate(["01/05/2022", "01/09/2022", "01/01/2023", "01/05/2023", "01/09/2023"],
                           start=1):
        given.event(f"ES{k}", "investigation_extended", "ES", on, requested_date=on)
    clocks = deadlines("01/10/2023")
    # 4 + 4 × 4 months = 20 months: 15/09/2023 (Fri); the fifth extension is beyond the number
    check(clocks["investigation:ES:0"], due_on_nominal="15/09/2023", due_on="15/09/2023",
          status="overdue", rule_id="investigation:especially_serious:4")
    beyond = findings(con, "extension_beyond_limit")
    assert [f["finding_id"] for f in beyond] == ["extension_beyond_limit:investigation:ES:0:ES5"]


def test_report_extension_limits(given, deadlines, con) -> None:
    # prolonged with a date beyond received + 2 months; extended with a date beyond + 2 months;
    # a second procuracy extension is beyond the number and capped at received + 4 months
    given.report("NT2", "10/03/2023")
    given.event("P2a", "report_prolonged", "NT2", "25/03/2023", subject_type="report",
                stated_end_date="20/05/2023", issuing_body="cqdt")
    given.event("P2b", "report_extended", "NT2", "05/05/2023", subject_type="report",
                stated_end_date="15/07/2023")
    given.report("NT3", "10/03/2023")
    given.event("P3a", "report_extended", "NT3", "25/03/2023", subject_type="report")
    given.event("P3b", "report_extended", "NT3", "25/05/2023", subject_type="report",
                stated_end_date="31/07/2023")
    clocks = deadlines("01/06/2023")
    # prolonged: 20/05 limited to 10/05; extended: 15/07 limited to 10/05 + 2 months = 10/07
    check(clocks["report_resolution:NT2:0"], due_on_nominal="10/07/2023", due_on="10/07/2023")
    # 30/03 + 2 months = 30/05; the second extension: only the maximum 10/07/2023 bounds it
    check(clocks["report_resolution:NT3:0"], due_on_nominal="10/07/2023", due_on="10/07/2023",
          rule_id="report_resolution:extended")
    beyond = [(f["clock_id"], f["finding_id"].rsplit(":", 1)[1])
              for f in findings(con, "extension_beyond_limit")]
    assert beyond == [("report_resolution:NT2:0", "P2a"), ("report_resolution:NT2:0", "P2b"),
                      ("report_resolution:NT3:0", "P3b")]


def test_extension_belongs_to_the_clock_running_on_its_date(given, deadlines, con) -> None:
    given.case("A1", "01/03/2022", "serious")
    given.event("A1c", "investigation_concluded", "A1", "15/05/2022", issuing_body="cqdt")
    # on the closing day: still applies (and is counted)
    given.event("A1x", "investigation_extended", "A1", "15/05/2022", requested_date="10/05/2022")
    # after the clock closed: ignored
    given.event("A1y", "investigation_extended", "A1", "20/05/2022", requested_date="10/05/2022")
    # a trial_prep_extended falling in a trial_decision_after_return clock (takes none): ignored
    given.case("A2", "01/01/2022", "serious")
    given.event("A2a", "court_accepted", "A2", "01/06/2022", issuing_body="toa")
    given.event("A2r", "returned_by_court", "A2", "10/06/2022", is_accepted=True,
                return_by="trial_panel", issuing_body="toa")
    given.event("A2f", "file_received_by_vks", "A2", "01/07/2022")
    given.event("A2i", "indicted", "A2", "10/07/2022")
    given.event("A2b", "court_accepted", "A2", "15/07/2022", issuing_body="toa")
    given.event("A2x", "trial_prep_extended", "A2", "20/07/2022", issuing_body="toa")
    clocks = deadlines("25/07/2022")
    check(clocks["investigation:A1:0"], due_on_nominal="01/09/2022", closed_on="15/05/2022",
          closed_by="A1c", status="on_time")
    check(clocks["trial_decision_after_return:A2:A2b"], due_on_nominal="30/07/2022",
          due_on="01/08/2022", rule_id="trial_decision_after_return:base")
    applied = rows(con, "select event_id, clock_id from intermediate.int_clocks_criminal_extensions"
                        " order by event_id")
    assert applied == [{"event_id": "A1x", "clock_id": "investigation:A1:0"}]


# --- re-classification ----------------------------------------------------------------------------


def test_charge_changed_recomputes_the_running_clock(given, deadlines) -> None:
    # serious → very serious while the investigation runs: 4 months from institution
    given.case("R1", "01/03/2022", "serious")
    given.event("R1c", "charge_changed", "R1", "15/04/2022", crime_category="very_serious",
                penal_code_article=174)
    # serious with one extension, then less serious: base 2 months + extension cap 2 months
    given.case("R2", "01/03/2022", "serious")
    given.event("R2x", "investigation_extended", "R2", "20/05/2022", requested_date="05/04/2022")
    given.event("R2c", "charge_changed", "R2", "01/06/2022", crime_category="less_serious")
    # a change after the clock closed does not touch it
    given.case("R3", "01/03/2022", "serious")
    given.event("R3c", "investigation_concluded", "R3", "10/04/2022", issuing_body="cqdt")
    given.event("R3d", "charge_changed", "R3", "15/04/2022", crime_category="very_serious")
    given.event("R3f", "file_received_by_vks", "R3", "20/04/2022")
    clocks = deadlines("15/06/2022")
    check(clocks["investigation:R1:0"], due_on_nominal="01/07/2022", due_on="01/07/2022",
          crime_category="very_serious", rule_id="investigation:very_serious:0")
    check(clocks["investigation:R2:0"], due_on_nominal="01/07/2022", due_on="01/07/2022",
          crime_category="less_serious", rule_id="investigation:less_serious:1")
    check(clocks["investigation:R3:0"], due_on_nominal="01/06/2022", crime_category="serious",
          status="on_time")
    # the prosecution clock runs under the category in force: very serious, 30 days
    check(clocks["prosecution_decision:R3:R3f"], due_on_nominal="20/05/2022",
          crime_category="very_serious", status="overdue")
    # before the change is in force (as of 10/04/2022) the case is still serious
    clocks = deadlines("10/04/2022")
    check(clocks["investigation:R1:0"], due_on_nominal="01/06/2022", crime_category="serious")


# --- suspension, resumption, supplementary investigation -----------------------------------------


def test_investigation_suspended_and_resumed(given, deadlines, con) -> None:
    given.case("V1", "01/03/2022", "serious")
    given.event("V1s", "investigation_suspended", "V1", "01/06/2022", issuing_body="cqdt")
    given.event("V1r", "investigation_resumed", "V1", "01/08/2022", issuing_body="cqdt")
    given.event("V1x", "investigation_extended", "V1", "15/09/2022", requested_date="15/09/2022")
    given.event("V1y", "investigation_extended", "V1", "20/11/2022", requested_date="01/11/2022")
    # a suspension dated after the deadline: late
    given.case("V2", "01/03/2022", "serious")
    given.event("V2s", "investigation_suspended", "V2", "03/06/2022", issuing_body="cqdt")
    # person-level suspension and resumption touch no case clock
    given.case("V3", "01/03/2022", "serious")
    given.person("BC1", "V3")
    given.event("V3s", "investigation_suspended", "BC1", "01/04/2022", subject_type="person",
                case_id="V3", issuing_body="cqdt")
    given.event("V3r", "investigation_resumed", "BC1", "15/04/2022", subject_type="person",
                case_id="V3", issuing_body="cqdt")
    clocks = deadlines("01/12/2022")
    check(clocks["investigation:V1:0"], due_on="01/06/2022", closed_on="01/06/2022",
          closed_by="V1s", status="suspended", days_late=0)
    # resumed: 2 months (Art. 174(1)) from 01/08 = Sat 01/10/2022; one extension ≤ 2 months
    resumed = clocks["resumed_investigation:V1:V1r"]
    check(resumed, started_on="01/08/2022", due_on_nominal="01/12/2022", due_on="01/12/2022",
          status="open", days_remaining=0, rule_id="resumed_investigation:serious:1",
          legal_basis="BLTTHS 2015 Art. 174(1)")
    assert resumed["explanation_en"] == (
        "investigation resumed 01/08/2022 + 2 months + extension 1 (2 months)"
        " + extension 2 (beyond the allowed number, up to the maximum) = 01/12/2022")
    assert [f["finding_id"] for f in findings(con, "extension_beyond_limit")] == [
        "extension_beyond_limit:resumed_investigation:V1:V1r:V1y"]
    check(clocks["investigation:V2:0"], closed_on="03/06/2022", status="late", days_late=2)
    check(clocks["investigation:V3:0"], closed_on=None, status="overdue")
    assert [k for k in clocks if k.endswith(":V3r") or k.startswith("resumed_investigation:V3")] \
        == []


def test_resumed_investigation_without_extension_rolls(given, deadlines) -> None:
    given.case("V4", "01/03/2022", "serious")
    given.event("V4s", "investigation_suspended", "V4", "01/06/2022", issuing_body="cqdt")
    given.event("V4r", "investigation_resumed", "V4", "01/08/2022", issuing_body="cqdt")
    # a suspension on the resumption's own day does not close the resumed clock
    given.event("V4t", "investigation_suspended", "V4", "01/08/2022", issuing_body="cqdt")
    clocks = deadlines("15/08/2022")
    check(clocks["resumed_investigation:V4:V4r"], due_on_nominal="01/10/2022",
          due_on="03/10/2022", status="open", closed_on=None,
          rule_id="resumed_investigation:serious:0")


def test_supplementary_investigations(given, deadlines) -> None:
    given.case("SI", "01/03/2022", "serious")
    given.event("SIc", "investigation_concluded", "SI", "01/06/2022", issuing_body="cqdt")
    given.event("SIf", "file_received_by_vks", "SI", "03/06/2022")
    # VKS returns on 20/06; the investigation body receives the file on 22/06 → 2 months
    given.event("SIr", "returned_by_vks", "SI", "20/06/2022", received_date="22/06/2022")
    given.event("SIg", "file_received_by_vks", "SI", "15/08/2022")
    given.event("SIi", "indicted", "SI", "01/09/2022")
    given.event("SIa", "court_accepted", "SI", "06/09/2022", issuing_body="toa")
    # court return not accepted by the procuracy: no clock; empty is_accepted: not accepted
    given.event("SIn", "returned_by_court", "SI", "20/09/2022", is_accepted=False,
                return_by="presiding_judge", issuing_body="toa")
    given.event("SIe", "returned_by_court", "SI", "21/09/2022", return_by="presiding_judge",
                issuing_body="toa")
    # accepted: 1 month, from the event date when no receipt date is given
    given.event("SIt", "returned_by_court", "SI", "30/09/2022", is_accepted=True,
                return_by="trial_panel", issuing_body="toa")
    clocks = deadlines("15/11/2022")
    check(clocks["supplementary_investigation_vks:SI:SIr"], started_on="22/06/2022",
          due_on_nominal="22/08/2022", due_on="22/08/2022", closed_on="15/08/2022",
          closed_by="SIg", status="on_time", rule_id="supplementary_investigation_vks:base",
          legal_basis="BLTTHS 2015 Art. 174(2)")
    check(clocks["prosecution_decision:SI:SIf"], closed_on="20/06/2022", closed_by="SIr",
          status="on_time")
    # the second prosecution clock runs again from the second receipt
    check(clocks["prosecution_decision:SI:SIg"], due_on_nominal="04/09/2022",
          due_on="05/09/2022", closed_on="01/09/2022", closed_by="SIi", status="on_time")
    # trial preparation closed by the accepted return only
    check(clocks["trial_preparation:SI:SIa"], closed_on="30/09/2022", closed_by="SIt",
          status="on_time")
    check(clocks["supplementary_investigation_court:SI:SIt"], started_on="30/09/2022",
          due_on_nominal="30/10/2022", due_on="31/10/2022", status="overdue", days_late=15)
    assert clocks["supplementary_investigation_court:SI:SIt"]["explanation_en"] == (
        "file returned by the court 30/09/2022 + 1 month = 30/10/2022, a day off → 31/10/2022")
    assert clocks["supplementary_investigation_vks:SI:SIr"]["explanation"] == (
        "nhận hồ sơ Viện kiểm sát trả 22/06/2022 + 2 tháng = 22/08/2022")
    assert not [k for k in clocks if k.endswith(":SIn") or k.endswith(":SIe")]


def test_trial_decision_after_return(given, deadlines) -> None:
    given.case("TD", "01/01/2023", "serious")
    given.event("TDa", "court_accepted", "TD", "01/06/2023", issuing_body="toa")
    given.event("TDr", "returned_by_court", "TD", "20/06/2023", is_accepted=True,
                received_date="22/06/2023", return_by="trial_panel", issuing_body="toa")
    given.event("TDf", "file_received_by_vks", "TD", "10/07/2023")
    given.event("TDi", "indicted", "TD", "20/07/2023")
    given.event("TDb", "court_accepted", "TD", "25/07/2023", issuing_body="toa")
    given.event("TDs", "trial_scheduled", "TD", "15/08/2023", issuing_body="toa")
    # another acceptance with no return since the previous one starts nothing
    given.event("TDc", "court_accepted", "TD", "20/08/2023", issuing_body="toa")
    clocks = deadlines("31/08/2023")
    check(clocks["supplementary_investigation_court:TD:TDr"], started_on="22/06/2023",
          due_on_nominal="22/07/2023", closed_on="10/07/2023", closed_by="TDf", status="on_time")
    # 15 days from 25/07/2023 = Wed 09/08/2023; closed by trial_scheduled on 15/08: late by 6
    after = clocks["trial_decision_after_return:TD:TDb"]
    check(after, started_on="25/07/2023", due_on_nominal="09/08/2023", due_on="09/08/2023",
          closed_on="15/08/2023", closed_by="TDs", status="late", days_late=6,
          rule_id="trial_decision_after_return:base", legal_basis="BLTTHS 2015 Art. 277")
    assert after["explanation_en"] == (
        "accepted again by the court after a return 25/07/2023 + 15 days = 09/08/2023")
    assert "trial_preparation:TD:TDb" not in clocks
    assert not [k for k in clocks if k.endswith(":TDc")]
    check(clocks["hearing_opening:TD:TDs"], due_on_nominal="30/08/2023", due_on="30/08/2023",
          status="overdue", days_late=1)


def test_case_resumed_restarts_the_clock_its_suspension_closed(given, deadlines) -> None:
    given.case("CR", "01/01/2023", "very_serious")
    given.event("CRf", "file_received_by_vks", "CR", "01/06/2023")
    given.event("CRs", "case_suspended_by_vks", "CR", "10/06/2023")
    given.event("CRr", "case_resumed", "CR", "01/09/2023")
    given.event("CRi", "indicted", "CR", "20/09/2023")
    given.event("CRa", "court_accepted", "CR", "25/09/2023", issuing_body="toa")
    given.event("CRt", "case_suspended_by_court", "CR", "01/10/2023", issuing_body="toa")
    given.event("CRu", "case_resumed", "CR", "01/12/2023", issuing_body="toa")
    # resumed and suspended again on the same day: the suspension does not close the new clock
    given.event("CRv", "case_suspended_by_court", "CR", "01/12/2023", issuing_body="toa")
    # no suspension before it: nothing
    given.case("CN", "01/01/2023", "serious")
    given.event("CNr", "case_resumed", "CN", "01/09/2023")
    clocks = deadlines("15/12/2023")
    check(clocks["prosecution_decision:CR:CRf"], due_on_nominal="01/07/2023",
          closed_on="10/06/2023", closed_by="CRs", status="suspended")
    # full limit again from the resumption: 30 days → Sun 01/10/2023 → Mon 02/10/2023
    resumed = clocks["prosecution_decision:CR:CRr"]
    check(resumed, started_on="01/09/2023", due_on_nominal="01/10/2023", due_on="02/10/2023",
          closed_on="20/09/2023", closed_by="CRi", status="on_time")
    assert resumed["explanation_en"].startswith("case resumed 01/09/2023 + 30 days")
    check(clocks["trial_preparation:CR:CRa"], closed_by="CRt", status="suspended")
    check(clocks["trial_preparation:CR:CRu"], started_on="01/12/2023", due_on_nominal="01/02/2024",
          due_on="01/02/2024", closed_on=None, status="open")
    assert not [k for k in clocks if k.startswith("prosecution_decision:CN")
                or k.startswith("trial_preparation:CN")]


def test_two_trial_schedules_make_two_clocks_one_closer_closes_both(given, deadlines) -> None:
    given.case("HO", "01/01/2023", "serious")
    given.event("HO1", "trial_scheduled", "HO", "01/08/2023", issuing_body="toa")
    given.event("HO2", "trial_scheduled", "HO", "05/08/2023", issuing_body="toa")
    given.event("HOo", "hearing_opened", "HO", "18/08/2023", issuing_body="toa")
    clocks = deadlines("31/08/2023")
    check(clocks["hearing_opening:HO:HO1"], due_on_nominal="16/08/2023", closed_on="18/08/2023",
          closed_by="HOo", status="late", days_late=2, legal_basis="BLTTHS 2015 Art. 277")
    check(clocks["hearing_opening:HO:HO2"], due_on_nominal="20/08/2023", due_on="21/08/2023",
          closed_on="18/08/2023", closed_by="HOo", status="on_time")


# --- closers, as-of, versions ---------------------------------------------------------------------


def test_closer_tie_order(given, deadlines) -> None:
    # concluded and suspended on the same day: the conclusion comes first in the contract table
    given.case("TO", "01/03/2022", "serious")
    given.event("TOz", "investigation_suspended", "TO", "20/05/2022", issuing_body="cqdt")
    given.event("TOa", "investigation_concluded", "TO", "20/05/2022", issuing_body="cqdt")
    # two closers of one kind on one day: the lower event_id
    given.case("TP", "01/01/2023", "serious")
    given.event("TPf", "file_received_by_vks", "TP", "01/06/2023")
    given.event("TP2", "indicted", "TP", "10/06/2023")
    given.event("TP1", "indicted", "TP", "10/06/2023")
    # a report resolved on the day a case is instituted from it: report_resolved comes first
    given.report("NT9", "01/03/2023")
    given.event("NT9r", "report_resolved", "NT9", "15/03/2023", subject_type="report",
                outcome="instituted", issuing_body="cqdt")
    given.case("TQ", "15/03/2023", "serious", report_id="NT9")
    clocks = deadlines("30/06/2023")
    check(clocks["investigation:TO:0"], closed_on="20/05/2022", closed_by="TOa", status="on_time")
    check(clocks["prosecution_decision:TP:TPf"], closed_by="TP1")
    check(clocks["report_resolution:NT9:0"], closed_by="NT9r", status="on_time")


def test_report_closed_by_institution(given, deadlines) -> None:
    given.report("NT4", "01/03/2023", unit="BTR-GT", prosecutor="KSV07")
    given.case("VA9", "25/03/2023", "serious", report_id="NT4")
    # a case instituted after as_of does not close the report yet
    given.report("NT5", "01/03/2023")
    given.case("VB9", "25/03/2023", "serious", report_id="NT5")
    # a case whose report is unknown still gets its clocks
    given.case("VC9", "01/03/2023", "serious", report_id="NT404")
    clocks = deadlines("25/03/2023")
    check(clocks["report_resolution:NT4:0"], due_on_nominal="21/03/2023", due_on="21/03/2023",
          closed_on="25/03/2023", closed_by="VA9", status="late", days_late=4,
          unit_code="BTR-GT", prosecutor_id="KSV07", subject_type="report", subject_id="NT4",
          case_id=None, crime_category=None)
    assert "investigation:VC9:0" in clocks
    clocks = deadlines("20/03/2023")
    check(clocks["report_resolution:NT5:0"], closed_on=None, status="open", days_remaining=1)
    assert "investigation:VB9:0" not in clocks


def test_report_suspension_cancelled_counts_from_receipt(given, deadlines) -> None:
    given.report("NT6", "01/02/2023")
    given.event("N6p", "report_prolonged", "NT6", "15/02/2023", subject_type="report",
                issuing_body="cqdt")
    given.event("N6s", "report_suspended", "NT6", "01/04/2023", subject_type="report",
                issuing_body="cqdt")
    given.event("N6c", "report_suspension_cancelled", "NT6", "10/04/2023",
                received_date="14/04/2023", subject_type="report")
    given.event("N6x", "report_resolved", "NT6", "20/05/2023", subject_type="report",
                outcome="not_instituted", issuing_body="cqdt")
    clocks = deadlines("31/05/2023")
    check(clocks["report_resolution:NT6:0"], due_on_nominal="01/04/2023", due_on="03/04/2023",
          closed_on="01/04/2023", status="suspended")
    check(clocks["report_resolution_resumed:NT6:N6c"], started_on="14/04/2023",
          due_on_nominal="14/05/2023", due_on="15/05/2023", closed_on="20/05/2023",
          closed_by="N6x", status="late", days_late=5)
    assert clocks["report_resolution_resumed:NT6:N6c"]["explanation_en"].startswith(
        "suspension cancelled, received 14/04/2023 + 1 month")


def test_events_after_as_of_are_ignored(given, deadlines) -> None:
    given.case("AO", "01/03/2022", "serious")
    given.event("AOx", "investigation_extended", "AO", "25/05/2022", requested_date="20/05/2022")
    given.event("AOc", "investigation_concluded", "AO", "01/06/2022", issuing_body="cqdt")
    given.event("AOf", "file_received_by_vks", "AO", "05/06/2022")
    given.case("AP", "01/06/2022", "serious")
    given.report("NT7", "02/06/2022")
    clocks = deadlines("24/05/2022")
    assert set(clocks) == {"investigation:AO:0"}
    check(clocks["investigation:AO:0"], due_on_nominal="01/06/2022", closed_on=None,
          status="open", days_remaining=8)
    clocks = deadlines("01/06/2022")
    check(clocks["investigation:AO:0"], due_on_nominal="01/09/2022", closed_on="01/06/2022",
          status="on_time")
    assert set(clocks) == {"investigation:AO:0", "investigation:AP:0"}


def test_current_versions_and_retractions(given, deadlines, con) -> None:
    given.case("CV", "01/03/2022", "serious")
    given.event("CVc", "investigation_concluded", "CV", "01/05/2022", issuing_body="cqdt")
    # a later version corrects the date; a retracted extension does not count
    given.event("CVc", "investigation_concluded", "CV", "10/06/2022", issuing_body="cqdt",
                updated_at=dt.datetime(2022, 6, 11, 9, 0), _batch_id="b0002")
    given.event("CVx", "investigation_extended", "CV", "20/05/2022", requested_date="20/05/2022")
    given.event("CVx", "investigation_extended", "CV", "20/05/2022", requested_date="20/05/2022",
                is_deleted=True, updated_at=dt.datetime(2022, 6, 1, 9, 0), _batch_id="b0002")
    # an event about a case that has not arrived is held back
    given.event("UNK", "investigation_concluded", "NOPE", "01/05/2022", issuing_body="cqdt")
    clocks = deadlines("30/06/2022")
    assert set(clocks) == {"investigation:CV:0"}
    check(clocks["investigation:CV:0"], due_on_nominal="01/06/2022", closed_on="10/06/2022",
          status="late", days_late=9)


# --- units ----------------------------------------------------------------------------------------


def test_case_transfer_unit_attribution(given, deadlines) -> None:
    given.case("UT", "01/03/2023", "serious", unit="BTR-CT", prosecutor="KSV03")
    given.event("UTc", "investigation_concluded", "UT", "15/05/2023", issuing_body="cqdt")
    given.event("UTf", "file_received_by_vks", "UT", "16/05/2023")
    given.event("UTt", "case_transferred", "UT", "01/06/2023", to_unit_code="BTR-GT")
    clocks = deadlines("10/06/2023")
    check(clocks["investigation:UT:0"], unit_code="BTR-CT", prosecutor_id="KSV03")
    check(clocks["prosecution_decision:UT:UTf"], unit_code="BTR-GT", status="overdue")


def test_unit_succession_after_the_2025_reorganisation(given, deadlines) -> None:
    given.case("US", "01/04/2025", "serious", unit="BTR-CL")
    given.event("USf", "file_received_by_vks", "US", "01/06/2025")
    given.event("USi", "indicted", "US", "20/06/2025")
    given.event("USa", "court_accepted", "US", "25/06/2025", issuing_body="toa")
    given.case("UU", "01/04/2025", "serious", unit="BTR-BT")
    given.event("UUt", "case_transferred", "UU", "15/07/2025", to_unit_code="VLG-R1")
    given.case("UV", "01/04/2025", "serious", unit="BTR-BT")
    given.event("UVt", "case_transferred", "UV", "15/05/2025", to_unit_code="BTR-GT")
    clocks = deadlines("01/08/2025")
    # closed on 20/06/2025, before BTR-CL's valid_to (30/06/2025): the unit as it was
    check(clocks["prosecution_decision:US:USf"], unit_code="BTR-CL")
    # open on 01/08/2025: BTR-CL's successor
    check(clocks["trial_preparation:US:USa"], unit_code="VLG-R2")
    check(clocks["investigation:UU:0"], unit_code="VLG-R1")
    check(clocks["investigation:UV:0"], unit_code="VLG-R3")
    clocks = deadlines("30/06/2025")
    check(clocks["trial_preparation:US:USa"], unit_code="BTR-CL")


def test_report_units_follow_succession_too(given, deadlines) -> None:
    given.report("NR1", "01/06/2025", unit="BTR-TP", prosecutor="KSV09")
    given.report("NR2", "01/06/2025", unit="BTR-TP")
    given.event("NR2r", "report_resolved", "NR2", "20/06/2025", subject_type="report",
                outcome="not_instituted", issuing_body="cqdt")
    clocks = deadlines("10/07/2025")
    # open (overdue) on 10/07/2025: the successor of BTR-TP; resolved on 20/06/2025: BTR-TP
    # 20 days → Sat 21/06/2025 → Mon 23/06/2025
    check(clocks["report_resolution:NR1:0"], due_on_nominal="21/06/2025", due_on="23/06/2025",
          status="overdue", days_late=17, unit_code="VLG-R1", prosecutor_id="KSV09")
    check(clocks["report_resolution:NR2:0"], status="on_time", unit_code="BTR-TP")


# --- findings -------------------------------------------------------------------------------------


def test_too_many_returns(given, deadlines, con) -> None:
    given.case("TR", "01/01/2022", "serious", unit="BTR-MCB")
    for k, on in enumerate(["01/03/2022", "01/06/2022", "01/09/2022"], start=1):
        given.event(f"TRv{k}", "returned_by_vks", "TR", on)
    for k, on in enumerate(["01/11/2022", "01/12/2022"], start=1):
        given.event(f"TRj{k}", "returned_by_court", "TR", on, is_accepted=True,
                    return_by="presiding_judge", issuing_body="toa")
    given.event("TRp1", "returned_by_court", "TR", "20/12/2022", is_accepted=True,
                return_by="trial_panel", issuing_body="toa")
    given.case("TS", "01/01/2022", "serious")
    given.event("TSv1", "returned_by_vks", "TS", "01/03/2022")
    given.event("TSv2", "returned_by_vks", "TS", "01/06/2022")
    deadlines("31/12/2022")
    found = findings(con, "too_many_returns")
    assert [(f["finding_id"], f["clock_id"], f["severity"], f["unit_code"]) for f in found] == [
        ("too_many_returns:supplementary_investigation_court:TR:TRj2:TRj2",
         "supplementary_investigation_court:TR:TRj2", "error", "BTR-MCB"),
        ("too_many_returns:supplementary_investigation_vks:TR:TRv3:TRv3",
         "supplementary_investigation_vks:TR:TRv3", "error", "BTR-MCB"),
    ]
    assert all(f["legal_basis"] == "BLTTHS 2015 Art. 174(2)" for f in found)
    assert "return 3 on 01/09/2022 by the procuracy: at most 2 allowed" in [
        f["detail"] for f in found]


def test_extension_request_without_a_date_is_unknown(given, deadlines, con) -> None:
    given.case("RQ", "01/03/2022", "serious")
    given.event("RQx", "investigation_extended", "RQ", "20/05/2022")
    # prosecution extensions are not under Art. 172(2)
    given.event("RQf", "file_received_by_vks", "RQ", "01/06/2022")
    given.event("RQp", "prosecution_extended", "RQ", "15/06/2022")
    deadlines("30/06/2022")
    found = findings(con, "extension_request_late")
    assert [(f["clock_id"], f["severity"]) for f in found] == [("investigation:RQ:0", "unknown")]
    assert "22/05/2022" in found[0]["detail"]


def test_extension_number_mismatch_is_a_fact_conflict(given, deadlines, con) -> None:
    given.case("FC", "01/03/2022", "serious", unit="BTR-BD")
    given.event("FCa", "investigation_extended", "FC", "20/05/2022", extension_no=2,
                requested_date="20/05/2022")
    given.event("FCb", "investigation_extended", "FC", "20/08/2022", extension_no=2,
                requested_date="20/08/2022")
    clocks = deadlines("01/09/2022")
    # the engine goes by the order: 3 + 3 + 2 months
    check(clocks["investigation:FC:0"], due_on_nominal="01/11/2022")
    conflicts = rows(con, "select * from intermediate.int_data_findings__deadlines")
    assert [(c["rule"], c["table_name"], c["record_id"], c["unit_code"]) for c in conflicts] == [
        ("fact_conflict", "case_events", "FCa", "BTR-BD")]
    assert "extension_no 2" in conflicts[0]["detail"]


# --- marts ----------------------------------------------------------------------------------------


def test_status_days_and_watchlist(given, deadlines, con) -> None:
    given.case("W1", "01/01/2023", "serious", unit="BTR-TP", prosecutor="KSV01")
    given.event("W1f", "file_received_by_vks", "W1", "01/06/2023")   # due 21/06: overdue
    given.case("W2", "01/01/2023", "serious", unit="BTR-TP", prosecutor="KSV02")
    given.event("W2f", "file_received_by_vks", "W2", "05/06/2023")   # due 26/06: 1 day left
    given.case("W3", "01/01/2023", "serious", unit="BTR-TP")
    given.event("W3f", "file_received_by_vks", "W3", "14/06/2023")   # due 04/07: 9 days left
    given.case("W4", "01/01/2023", "serious", unit="BTR-TP")
    given.event("W4f", "file_received_by_vks", "W4", "20/06/2023")   # due 10/07: 15 days left
    clocks = deadlines("25/06/2023")
    check(clocks["prosecution_decision:W1:W1f"], status="overdue", days_late=4,
          days_remaining=None, is_due_soon=False, as_of=d("25/06/2023"))
    check(clocks["prosecution_decision:W2:W2f"], status="open", days_remaining=1,
          is_due_soon=True)
    check(clocks["prosecution_decision:W3:W3f"], due_on="04/07/2023", days_remaining=9,
          is_due_soon=True)
    check(clocks["prosecution_decision:W4:W4f"], days_remaining=15, is_due_soon=False)
    # investigations instituted 01/01/2023 (due 03/04/2023) are overdue too
    watch = rows(con, "select * from marts.deadline_watchlist order by urgency_rank")
    assert [(w["urgency_rank"], w["clock_id"], w["status"]) for w in watch] == [
        (1, "investigation:W1:0", "overdue"),
        (2, "investigation:W2:0", "overdue"),
        (3, "investigation:W3:0", "overdue"),
        (4, "investigation:W4:0", "overdue"),
        (5, "prosecution_decision:W1:W1f", "overdue"),
        (6, "prosecution_decision:W2:W2f", "open"),
        (7, "prosecution_decision:W3:W3f", "open"),
    ]
    assert watch[5]["prosecutor_id"] == "KSV02" and watch[5]["unit_code"] == "BTR-TP"
    assert watch[4]["days_late"] == 4 and watch[5]["days_remaining"] == 1
    assert watch[5]["explanation_en"].startswith("file received by the procuracy 05/06/2023")


def test_mart_columns_are_documented_and_in_contract_order(given, deadlines, con) -> None:
    deadlines("01/01/2024")
    expected = [
        "clock_id", "clock", "subject_type", "subject_id", "case_id", "person_id", "judgement_id",
        "unit_code", "prosecutor_id", "crime_category", "started_on", "due_on_nominal", "due_on",
        "is_provisional", "closed_on", "closed_by", "status", "days_late", "days_remaining",
    ]
    for table in ("int_clocks_criminal", "int_clocks_custody", "int_clocks_execution"):
        cols = [r[0] for r in con.execute(f"describe intermediate.{table}").fetchall()]
        assert cols == [*expected, "rule_id", "legal_basis", "explanation", "explanation_en"]
    docs = dict(con.execute(
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' and table_name = 'deadlines'").fetchall())
    assert list(docs)[:19] == expected
    assert all(docs.values()), [c for c, text in docs.items() if not text]
    assert "is_due_soon" in docs and "as_of" in docs
    for table in ("deadline_watchlist", "deadline_findings"):
        comments = con.execute(
            "select column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = ?", [table]).fetchall()
        assert comments and all(text for _, text in comments), comments


def test_sql_checks_pass_on_a_busy_case(given, deadlines, con) -> None:
    from pipelines.dbt_compiled import check_failures, checks

    given.report("NT8", "10/03/2023")
    given.event("N8p", "report_prolonged", "NT8", "25/03/2023", subject_type="report",
                issuing_body="cqdt")
    given.case("BZ", "25/04/2023", "very_serious", report_id="NT8")
    given.event("BZx", "investigation_extended", "BZ", "10/08/2023", requested_date="01/08/2023")
    given.event("BZc", "investigation_concluded", "BZ", "01/12/2023", issuing_body="cqdt")
    given.event("BZf", "file_received_by_vks", "BZ", "04/12/2023")
    given.event("BZr", "returned_by_vks", "BZ", "20/12/2023")
    given.event("BZg", "file_received_by_vks", "BZ", "10/02/2024")
    given.event("BZe", "prosecution_extended", "BZ", "05/03/2024")
    given.event("BZi", "indicted", "BZ", "20/03/2024")
    given.event("BZa", "court_accepted", "BZ", "25/03/2024", issuing_body="toa")
    given.event("BZs", "trial_scheduled", "BZ", "20/05/2024", issuing_body="toa")
    clocks = deadlines("01/06/2024")
    assert sorted(clocks) == [
        "hearing_opening:BZ:BZs", "investigation:BZ:0", "prosecution_decision:BZ:BZf",
        "prosecution_decision:BZ:BZg", "report_resolution:NT8:0",
        "supplementary_investigation_vks:BZ:BZr", "trial_preparation:BZ:BZa",
    ]
    on_marts = checks("deadlines") + checks("deadline_findings")
    assert {c.name for c in on_marts} >= {
        "due_not_before_nominal", "rolled_never_due_on_day_off", "status_consistent_with_dates"}
    for c in on_marts:
        failing, sample = check_failures(con, c, d("01/06/2024"))
        assert failing == 0, (c.name, sample)


def test_checks_catch_broken_rows(given, deadlines, con) -> None:
    """The checks are not vacuous: corrupt a mart row and each one fails."""
    from pipelines.dbt_compiled import check_failures, checks

    given.case("BR", "01/03/2022", "serious")
    deadlines("01/08/2022")
    by_name = {c.name: c for c in checks("deadlines")}
    as_of = d("01/08/2022")
    con.execute("update marts.deadlines set due_on = date '2022-05-29'")  # a Sunday, < nominal
    assert check_failures(con, by_name["due_not_before_nominal"], as_of)[0] == 1
    assert check_failures(con, by_name["rolled_never_due_on_day_off"], as_of)[0] == 1
    assert check_failures(con, by_name["status_consistent_with_dates"], as_of)[0] == 1


# --- rules as data --------------------------------------------------------------------------------


def test_rule_versions_apply_by_the_clock_start(given, deadlines, con) -> None:
    """A new version of a rule row applies to clocks starting from its valid_from; the rules
    are read from reference.deadline_rules, not from the SQL (here: hypothetical versions)."""
    con.execute("""
        insert into reference.deadline_rules (rule_id, clock, crime_category, extension_no, length,
            unit, anchor, legal_basis, valid_from, is_confirmed)
        values ('investigation:serious:0:v2', 'investigation', 'serious', 0, 5, 'months', 'start',
                'hypothetical amendment', date '2025-07-01', false),
               ('hearing_opening:v2', 'hearing_opening', '*', 0, 10, 'working_days', 'start',
                'hypothetical amendment', date '2025-07-01', false)
    """)
    given.case("RV1", "30/06/2025", "serious")
    given.case("RV2", "01/07/2025", "serious")
    given.event("RVs", "trial_scheduled", "RV2", "25/08/2025", issuing_body="toa")
    given.event("RVt", "trial_scheduled", "RV1", "30/06/2025", issuing_body="toa")
    clocks = deadlines("01/09/2025")
    check(clocks["investigation:RV1:0"], due_on_nominal="30/09/2025",
          rule_id="investigation:serious:0")
    check(clocks["investigation:RV2:0"], due_on_nominal="01/12/2025",
          rule_id="investigation:serious:0:v2", legal_basis="hypothetical amendment")
    # 10 working days after Mon 25/08/2025, skipping the National Day break (Sat 30/08 – Tue
    # 02/09/2025) and the weekend: 26, 27, 28, 29/08, 03, 04, 05, 08, 09, 10/09 → 10/09/2025
    check(clocks["hearing_opening:RV2:RVs"], due_on_nominal="10/09/2025", due_on="10/09/2025")
    assert clocks["hearing_opening:RV2:RVs"]["explanation_en"] == (
        "trial scheduled 25/08/2025 + 10 working days = 10/09/2025")
    check(clocks["hearing_opening:RV1:RVt"], due_on_nominal="15/07/2025",
          rule_id="hearing_opening:base")
