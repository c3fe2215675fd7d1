"""Pages, contract 1.1: the procuracy's own deadlines as their own group ("Thời hạn của Viện
kiểm sát"), first on the worklist and on the criminal and custody pages, and the findings with
their drill-down (subject, case, order, date, legal basis in Vietnamese citation form). The
marts are built by the SQL models from landed rows."""

from __future__ import annotations

import datetime as dt
import re

from given import insert

from pipelines.check_log import _ensure_table
from pipelines.dashboards import pages as dash
from pipelines.dashboards.citation import citation, vi_citation
from pipelines.dashboards.i18n import Bi

AS_OF = dt.date(2025, 12, 31)


def given(con) -> None:
    insert(con, "cases", dict(case_id="C1", unit_code="BTR-TP", prosecutor_id="KSV-1",
                              instituted_date="2025-10-01", penal_code_article=173,
                              crime_category="less_serious"))
    insert(con, "persons", dict(person_id="P1", case_id="C1"), dict(person_id="P2", case_id="C1"))
    insert(con, "case_events",
           # the procuracy received P1's charge on Mon 29/12: approve_charge due Thu 01/01 →
           # a holiday → Fri 02/01/2026, open
           dict(event_id="E-ch", event_type="person_charged", subject_type="person",
                subject_id="P1", case_id="C1", event_date="2025-12-28", issuing_body="cqdt"),
           dict(event_id="E-rec", event_type="charge_received_by_vks", subject_type="person",
                subject_id="P1", case_id="C1", event_date="2025-12-29", issuing_body="vks"),
           # a premature suspension of the investigation (due 01/12/2025)
           dict(event_id="E-sus", event_type="investigation_suspended", subject_type="case",
                subject_id="C1", case_id="C1", event_date="2025-11-20", issuing_body="cqdt",
                suspension_ground="awaiting_expertise"))
    # P2: a detention order the procuracy received on 20/12 and has not decided: overdue;
    # its first order is also over the 60-day cap of a less serious case
    insert(con, "detention_orders",
           dict(order_id="O-9", person_id="P2", case_id="C1", unit_code="BTR-TP",
                facility_code="TTG-1", measure="detention", stage="investigation",
                extension_no=0, start_at="2025-10-05 08:00", stated_end_date="2025-12-10",
                vks_received_at="2025-12-20 10:00"))


def test_own_deadlines_come_first_and_findings_drill_down(con, build, tmp_path):
    given(con)
    build(AS_OF)
    mine = con.execute("select clock_id, status from marts.deadlines where is_vks_own "
                       "order by clock_id").fetchall()
    assert ("approve_charge:P1:E-rec", "open") in mine
    assert ("approve_detention:P2:O-9", "overdue") in mine
    _ensure_table(con)  # marts.validation_results, written by the checks of a nightly run
    pages = dash.render_pages(con, tmp_path / "out", run_id="run-1", as_of=AS_OF)

    worklist = pages["worklist.html"].read_text(encoding="utf-8")
    assert re.search(r'id="own-overdue">1<', worklist)
    # the own group is its own grid, before the list of the other clocks
    assert worklist.index('id="own-table"') < worklist.index('id="worklist-table"')
    own_table = worklist[worklist.index('id="own-table"'):]
    own_table = own_table[:own_table.index("</table>")]
    visible = re.sub(r"<[^>]+>", " ", own_table)
    assert "approve_detention" not in visible  # labels, not codes
    assert "VKS nhận đề nghị 20/12/2025 10:00 + 3 ngày = 23/12/2025" in own_table
    assert "VKS nhận quyết định khởi tố bị can 29/12/2025" in own_table
    assert "khởi tố 01/10/2025" not in own_table, "the investigation is not the procuracy's own"

    for name, expected in (("criminal.html", "VKS nhận quyết định khởi tố bị can 29/12/2025"),
                           ("custody.html", "VKS nhận đề nghị 20/12/2025 10:00")):
        html = pages[name].read_text(encoding="utf-8")
        assert html.index('id="own-deadlines"') < html.index('id="clocks"'), name
        section = html[html.index('id="own-deadlines"'):html.index('id="clocks"')]
        assert expected in section, name

    criminal = pages["criminal.html"].read_text(encoding="utf-8")
    assert 'href="#finding-premature_suspension"' in criminal  # the count links to its list
    drill = criminal[criminal.index('id="finding-premature_suspension"'):]
    drill = drill[:drill.index("</table>")]
    assert "khoản 1 Điều 229 BLTTHS" in drill and "BLTTHS 2015 Art. 229(1)" in drill
    assert "C1" in drill and "20/11/2025" in drill

    custody = pages["custody.html"].read_text(encoding="utf-8")
    assert 'href="#finding-illegal_order"' in custody
    drill = custody[custody.index('id="finding-illegal_order"'):]
    drill = drill[:drill.index("</table>")]
    row = drill[drill.rindex("<tr", 0, drill.index("O-9")):]
    assert "khoản 1 Điều 173 BLTTHS" in row and "05/10/2025" in row and "P2" in row


def test_vietnamese_citation_form():
    assert vi_citation("BLTTHS 2015 Art. 118(2)") == "khoản 2 Điều 118 BLTTHS 2015"
    assert vi_citation("BLTTHS 2015 Art. 172(2)(a)") == "điểm a khoản 2 Điều 172 BLTTHS 2015"
    assert vi_citation("BLTTHS 2015 Art. 278(2) and Art. 277(1)") == (
        "khoản 2 Điều 278 và khoản 1 Điều 277 BLTTHS 2015")
    assert vi_citation("BLTTHS 2015 Art. 277(1), second paragraph") == (
        "đoạn 2 khoản 1 Điều 277 BLTTHS 2015")
    assert vi_citation("Luật THAHS 2019 Arts. 84(2) and 85(1)") == (
        "khoản 2 Điều 84 và khoản 1 Điều 85 Luật THAHS 2019")
    assert vi_citation("BLTTHS 2015 Art. 173") == "Điều 173 BLTTHS 2015"
    assert vi_citation("BLTTHS 2015 Art. 346 (as read)") == "Điều 346 BLTTHS 2015 (theo cách hiểu)"
    assert citation("Resolution 84/2025/UBTVQH15") == Bi("Nghị quyết 84/2025/UBTVQH15",
                                                        "Resolution 84/2025/UBTVQH15")
    assert citation("Luật THAHS 2019 Art. 22(2)") == Bi("khoản 2 Điều 22 Luật THAHS 2019",
                                                       "THAHS Law 2019 Art. 22(2)")
    assert vi_citation("something else") == "something else"
    assert vi_citation(None) == ""
