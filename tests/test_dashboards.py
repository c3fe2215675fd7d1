"""The dashboard pages, rendered from small given marts (contract columns only).

Static checks read the HTML; browser checks open every page in headless Chromium (one browser
for the module): no console error, no request other than file:/data:, headings and numbers as
in the marts, both languages, screenshots in test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import duckdb
import pytest
from given import build_triage
from given_scorecards import given_scorecard_marts

from pipelines import dbt_compiled, paths
from pipelines.contract import create_raw_tables
from pipelines.dashboards import pages as dash
from pipelines.reference.load import load_reference

AS_OF = dt.date(2025, 12, 31)
RUN_ID = "run-test-0001"
SECRET_NAME = "Nguyễn Thị Bí Mật"
SECRET_NATIONAL_ID = "079912345678"
ARTIFACTS = paths.ROOT / "test-artifacts" / "dashboards"


# ------------------------------------------------------------------------------------------
# Given marts: the contract columns of outputs.md, a few rows each


def given_marts(con: duckdb.DuckDBPyConnection, overdue_clocks: int = 3) -> None:
    """Create every mart the dashboards read, with small known content."""
    con.execute("create schema if not exists marts")
    con.execute(
        """
        create or replace table marts.deadlines (
            clock_id varchar, clock varchar, subject_type varchar, subject_id varchar,
            case_id varchar, person_id varchar, judgement_id varchar, unit_code varchar,
            prosecutor_id varchar, crime_category varchar, started_on date, due_on_nominal date,
            due_on date, is_provisional boolean, closed_on date, closed_by varchar,
            status varchar, days_late integer, days_remaining integer, is_due_soon boolean,
            rule_id varchar, legal_basis varchar, explanation varchar, explanation_en varchar,
            as_of date)
        """
    )
    rows = [
        # clock, subject, case, person, judgement, unit, prosecutor, started, due, closed, status
        ("investigation", "case", "C-001", "C-001", None, None, "VLG-R3", "KSV-01",
         "2025-03-01", "2025-07-01", "2025-06-20", "on_time"),
        ("investigation", "case", "C-002", "C-002", None, None, "VLG-R3", "KSV-01",
         "2025-02-01", "2025-06-02", "2025-06-10", "late"),
        ("prosecution_decision", "case", "C-003", "C-003", None, None, "VLG-R4", "KSV-02",
         "2025-12-20", "2026-01-09", None, "open"),
        ("report_resolution", "report", "R-001", None, None, None, "VLG-R4", "KSV-02",
         "2025-10-01", "2025-10-21", "2025-10-15", "suspended"),
        ("custody", "person", "P-001", "C-004", "P-001", None, "VLG-R3", "KSV-01",
         "2025-12-28", "2025-12-31", "2025-12-30", "on_time"),
        ("detention", "person", "P-002", "C-004", "P-002", None, "VLG-R3", "KSV-01",
         "2025-09-01", "2025-12-01", None, "overdue"),
        ("issue_execution_decision", "judgement", "J-001", "C-005", "P-003", "J-001", "VLG-R4",
         "KSV-02", "2025-12-20", "2026-01-05", None, "open"),
    ]
    for i in range(overdue_clocks):
        rows.append(("investigation", "case", f"C-9{i:03d}", f"C-9{i:03d}", None, None,
                     "VLG-R3" if i % 2 else "VLG-R4", "KSV-03" if i % 2 else None,
                     "2025-01-01", "2025-05-01", None, "overdue"))
    for (clock, stype, subj, case, person, judgement, unit, pros, start, due, closed,
         status) in rows:
        start_d, due_d = dt.date.fromisoformat(start), dt.date.fromisoformat(due)
        closed_d = dt.date.fromisoformat(closed) if closed else None
        days_late = ((closed_d - due_d).days if status == "late"
                     else (AS_OF - due_d).days if status == "overdue" else 0)
        remaining = (due_d - AS_OF).days if status == "open" else None
        start_ref = "0" if stype in ("case", "report", "judgement") else "O-" + subj
        con.execute(
            "insert into marts.deadlines values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'serious', ?, ?, ?, "
            "false, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [f"{clock}:{subj}:{start_ref}", clock, stype, subj, case, person, judgement, unit,
             pros, start_d, due_d, due_d, closed_d, "E-1" if closed_d else None, status,
             days_late, remaining, remaining is not None and remaining <= 10,
             f"{clock}:base", "BLTTHS 2015 Art. 172(1)",
             f"bắt đầu {start_d:%d/%m/%Y} → hạn {due_d:%d/%m/%Y}",
             f"started {start_d:%d/%m/%Y} → due {due_d:%d/%m/%Y}", AS_OF],
        )
    con.execute(
        """
        create or replace table marts.deadline_watchlist as
        select row_number() over (order by due_on, clock_id) as urgency_rank, unit_code,
               prosecutor_id, clock_id, clock, subject_id, due_on, status, days_remaining,
               days_late, explanation, explanation_en
        from marts.deadlines where status = 'overdue' or is_due_soon
        """
    )
    con.execute(
        """
        create or replace table marts.deadline_findings as
        select * from (values
            ('F-1', 'illegal_order', 'error', 'detention:P-002:O-P-002', 'person', 'P-002',
             'C-004', 'VLG-R3', 'order longer than the limit', 'BLTTHS 2015 Art. 173'),
            ('F-2', 'late_extension', 'warn', 'investigation:C-002:0', 'case', 'C-002',
             'C-002', 'VLG-R3', 'extension after the deadline', 'BLTTHS 2015 Art. 172'))
            t(finding_id, rule, severity, clock_id, subject_type, subject_id, case_id,
              unit_code, detail, legal_basis)
        """
    )
    con.execute(
        """
        create or replace table marts.protest_windows as
        select * from (values
            ('J-001', 'same_level', 'VLG-R4', date '2025-11-01', date '2025-11-16', 'expired'),
            ('J-001', 'superior', 'VLG-R4', date '2025-11-01', date '2025-12-01', 'used'))
            t(judgement_id, "window", unit_code, opens_on, closes_on, status)
        """
    )
    # Indicator values: one rate with a target, one count; month, statistical year, campaign;
    # both hierarchies (BTR until June 2025, then VLG as it was; VLG throughout as it is).
    con.execute(
        """
        create or replace table marts.indicator_values (
            indicator_code varchar, stage varchar, hierarchy varchar, unit_code varchar,
            period_kind varchar, period_start date, period_end date, numerator double,
            denominator double, value double, target_value double, target_comparator varchar,
            target_source varchar, target_is_confirmed boolean, target_status varchar,
            definition_version varchar)
        """
    )
    for h in ("as_was", "as_is"):
        for month in range(1, 13):
            start = dt.date(2025, month, 1)
            end = (dt.date(2025, month + 1, 1) if month < 12 else dt.date(2026, 1, 1)) \
                - dt.timedelta(days=1)
            unit = "VLG" if h == "as_is" or month >= 7 else "BTR"
            num, den = 80 + month, 100
            con.execute(
                "insert into marts.indicator_values values ('report_resolution_rate', 'all', "
                "?, ?, 'month', ?, ?, ?, ?, ?, 0.9, '>=', 'Nghị quyết 96/2019/QH14', false, ?, "
                "'1')",
                [h, unit, start, end, num, den, num / den,
                 "met" if num / den >= 0.9 else "missed"],
            )
            con.execute(
                "insert into marts.indicator_values values ('wrongful_prosecution_count', "
                "'all', ?, ?, 'month', ?, ?, ?, null, ?, 0, '<=', 'Luật Tổ chức VKSND', true, "
                "?, '1')",
                [h, unit, start, end, 1 if month == 3 else 0, 1 if month == 3 else 0,
                 "missed" if month == 3 else "met"],
            )
        for kind, start, end, value, status in (
            ("statistical_year", "2024-12-01", "2025-11-30", 0.8734, "missed"),
            ("campaign", "2020-01-01", "2025-12-31", 0.9123, "met"),
        ):
            con.execute(
                "insert into marts.indicator_values values ('report_resolution_rate', 'all', "
                "?, 'VLG', ?, ?, ?, 900, 1000, ?, 0.9, '>=', 'Nghị quyết 96/2019/QH14', false, "
                "?, '1')",
                [h, kind, start, end, value, status],
            )
            con.execute(
                "insert into marts.indicator_values values ('wrongful_prosecution_count', "
                "'all', ?, 'VLG', ?, ?, ?, 1, null, 1, 0, '<=', 'Luật Tổ chức VKSND', true, "
                "'missed', '1')",
                [h, kind, start, end],
            )
            con.execute(
                "insert into marts.indicator_values values ('clearance_rate', 'investigation', "
                "?, 'VLG', ?, ?, ?, 95, 100, 0.95, 1.0, '>=', 'CEPEJ', false, 'missed', '1')",
                [h, kind, start, end],
            )
        for unit in ("VLG-R3", "VLG-R4"):
            con.execute(
                "insert into marts.indicator_values values ('report_resolution_rate', 'all', "
                "?, ?, 'campaign', date '2020-01-01', date '2025-12-31', 45, 50, 0.9, 0.9, '>=', "
                "'Nghị quyết 96/2019/QH14', false, 'met', '1')",
                [h, unit],
            )
    con.execute(
        """
        create or replace table marts.campaign_scorecard as
        select unit_code, hierarchy, period_kind, period_start,
               case indicator_code when 'report_resolution_rate' then 'hai_chan_2'
                    else 'ba_mui_1' end as pillar,
               indicator_code, value, target_value, target_is_confirmed,
               target_status as status,
               'case_data' as source
        from marts.indicator_values where stage = 'all'
        union all
        select 'VLG', h, 'campaign', date '2020-01-01', 'hai_chan_1', 'party_cell_rating_score',
               95, null, null, 'no_target', 'manual'
        from (values ('as_was'), ('as_is')) t(h)
        """
    )
    con.execute(
        """
        create or replace table marts.wrongful_prosecutions as
        select * from (values ('P-777', 'C-777', 'VLG-R3', 'no_crime_event',
                               date '2025-03-10')) t(person_id, case_id, unit_code, rule, dated_on)
        """
    )
    con.execute(
        """
        create or replace table marts.missed_crime_signals as
        select * from (values ('E-501', 'C-501', 'VLG-R4', 'court_return_other_offender',
                               date '2025-05-02')) t(event_id, case_id, unit_code, signal,
                                                     event_date)
        """
    )
    con.execute(
        """
        create or replace table marts.exemplary_candidates as
        select * from (values
            ('VLG-R3', date '2024-12-01', date '2025-11-30', 'SY2025', 'KSV-01', 50, 49, 0.98,
             0, 0, 1, true),
            ('VLG-R4', date '2024-12-01', date '2025-11-30', 'SY2025', 'KSV-02', 40, 38, 0.95,
             0, 0, 1, true),
            ('VLG-R4', date '2024-12-01', date '2025-11-30', 'SY2025', 'KSV-09', 40, 20, 0.5,
             1, 0, 2, false))
            t(unit_code, period_start, period_end, period_name, prosecutor_id, closed_clocks,
              on_time_clocks, on_time_rate, wrongful_prosecution_count, court_return_count,
              rank_in_unit, is_candidate)
        """
    )
    given_scorecard_marts(con)
    con.execute(
        """
        create or replace table marts.batch_ledger as
        select * from (values
            ('B1', 'cases.csv', 'cases', 'loaded', null, 10, 8, 2, 0.2, 'ab', now()),
            ('B1', 'crime_reports.csv', 'crime_reports', 'loaded', null, 5, 5, 0, 0.0, 'cd',
             now()),
            ('B2', 'persons.csv', 'persons', 'refused',
             'manifest_mismatch: file persons.csv does not match _manifest.json', null, null, null,
             null, 'ef', now()))
            t(batch_id, file_name, table_name, status, refusal_reason, rows_landed,
              rows_accepted, rows_quarantined, data_quality_rate, sha256, loaded_at)
        """
    )
    con.execute(
        """
        create or replace table marts.quarantine as
        select * from (values
            ('B1', 'cases.csv', 3, 'instituted_date', 'unparseable', 'cases', 'C-100', 'VLG-R3',
             'error', 'Ngày không hợp lệ', 'Unparseable date', '31/02/2025', 'open', null),
            ('B1', 'cases.csv', 4, 'crime_category', 'unknown_code', 'cases', 'C-101', 'VLG-R3',
             'error', 'Mã không có', 'Unknown code', 'xyz', 'open', null),
            ('B1', 'cases.csv', 4, 'unit_code', 'missing_required', 'cases', 'C-101', 'VLG-R3',
             'error', 'Thiếu', 'Missing', '', 'open', null))
            t(batch_id, file_name, row_number, column_name, rule, table_name, record_id,
              unit_code, severity, message_vi, message_en, raw_value, status, resolved_by_batch)
        """
    )
    con.execute(
        """
        create or replace table marts.data_findings as
        select * from (values
            ('D-1', 'reference_pending', 'case_events', 'E-9', 'VLG-R3', 'case C-404 unknown',
             'B1', 'open'))
            t(finding_id, rule, table_name, record_id, unit_code, detail, first_seen_batch,
              status)
        """
    )
    con.execute(
        """
        create or replace table marts.validation_results as
        select * from (values
            ('run-test-0001', now(), 'marts.deadlines', 'grain_is_unique', 'sql', 'error', true,
             0, 'duplicate keys'),
            ('run-test-0001', now(), 'marts.deadlines', 'due_after_start', 'sql', 'warn', false,
             2, 'due_on before started_on'))
            t(run_id, checked_at, asset, check_name, tool, severity, passed, failing_count,
              detail)
        """
    )
    # Raw rows (accepted versions) with a unit: the per-unit quarantine denominator; and a
    # person with personal data that must never reach a page.
    for i in range(8):
        con.execute(
            "insert into raw.cases (case_id, unit_code, instituted_date, updated_at, is_deleted) "
            "values (?, 'VLG-R3', date '2025-03-01', timestamp '2025-03-02 08:00', false)",
            [f"C-{i:03d}"],
        )
    con.execute(
        "insert into raw.persons (person_id, case_id, full_name, national_id, birth_date, "
        "updated_at, is_deleted) values ('P-001', 'C-004', ?, ?, date '1990-01-02', "
        "timestamp '2025-03-02 08:00', false)",
        [SECRET_NAME, SECRET_NATIONAL_ID],
    )
    build_quarantine_rates(con)
    build_triage(con, AS_OF)


def build_quarantine_rates(con: duckdb.DuckDBPyConnection) -> None:
    """marts.quarantine_rates from the given quarantine and raw rows, by the model's own SQL."""
    dbt_compiled.build_model(con, dbt_compiled.load().by_table()["marts.quarantine_rates"])


def _warehouse(path: Path, **kw) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    create_raw_tables(con)
    given_marts(con, **kw)
    return con


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    """Pages rendered once for the module from the given marts."""
    base = tmp_path_factory.mktemp("site")
    con = _warehouse(base / "warehouse.duckdb")
    written = dash.render_pages(con, base / "out", run_id=RUN_ID, as_of=AS_OF)
    yield {"con": con, "pages": written, "out": base / "out"}
    con.close()


def _html(site: dict, name: str) -> str:
    return site["pages"][name].read_text(encoding="utf-8")


def _row(html: str, table_id: str, text: str) -> str:
    """The <tr> of table `table_id` that contains `text`."""
    table = html[html.index(f'id="{table_id}"'):]
    table = table[: table.index("</table>")]
    at = table.index(text)
    return table[table.rindex("<tr", 0, at): table.index("</tr>", at)]


PAGES = ["index.html", "criminal.html", "custody.html", "execution.html", "worklist.html",
         "interagency.html", "quality.html"]


# ------------------------------------------------------------------------------------------
# Static checks


def test_every_page_is_written_with_as_of_run_id_and_definition_versions(site) -> None:
    assert sorted(site["pages"]) == sorted(PAGES)
    for name in PAGES:
        html = _html(site, name)
        assert "31/12/2025" in html, name
        assert RUN_ID in html, name
        assert 'class="definition-versions">v1<' in html, name
        assert 'href="steward-report.html"' in html, name
        assert 'href="quality.html"' in html, name


def test_pages_are_self_contained_with_the_bundle_once(site) -> None:
    for name in PAGES:
        html = _html(site, name)
        has_charts = 'class="chart"' in html
        assert html.count("window.vegaEmbed=") == (1 if has_charts else 0), name
        assert html.count('<textarea id="dt-bundle"') == (1 if 'class="grid' in html else 0), name
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), name
        assert "actions: false" in html
        assert len(html.encode()) < 3_000_000, name


def test_no_personal_data_on_any_page(site) -> None:
    for name in PAGES:
        html = _html(site, name)
        assert SECRET_NAME not in html, name
        assert SECRET_NATIONAL_ID not in html, name
        assert "02/01/1990" not in html and "1990-01-02" not in html, name


def test_area_clock_counts_match_the_mart(site) -> None:
    con = site["con"]
    html = _html(site, "criminal.html")
    (overdue,) = con.execute(
        "select count(*) from marts.deadlines where clock = 'investigation' "
        "and status = 'overdue'"
    ).fetchall()[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", _row(html, "clock-table", "Thời hạn điều tra<"))
    # total, on time, late, rate, suspended, open, overdue
    assert re.sub("<[^>]+>", "", cells[1]) == str(2 + 3)
    assert re.sub("<[^>]+>", "", cells[2]) == "1"
    assert re.sub("<[^>]+>", "", cells[3]) == "1"
    # one number style in both languages (pipelines.numbers)
    assert cells[4] == "50,0\u00a0%"
    assert re.sub("<[^>]+>", "", cells[7]) == str(overdue)


def test_campaign_page_shows_targets_status_and_both_hierarchies(site) -> None:
    html = _html(site, "index.html")
    assert "Đồng Khởi mới" in html
    assert "Hai chân" in html and "Ba mũi" in html
    # the campaign value of the province and its unconfirmed target
    assert "91,2\u00a0%" in html and "91.2%" not in html
    assert "≥ " in html and 'class="unconfirmed"' in html
    assert 'class="badge s-met"' in html and 'class="badge s-missed"' in html
    assert 'class="only-as_was"' in html and 'class="only-as_is"' in html
    assert "Nhập thủ công" in html  # the manual pillar says so
    # the re-organisation: former units with their successors
    assert "BTR-BD" in html and "VLG-R3" in html
    # drill-downs and candidates (ids only)
    assert "P-777" in html and "E-501" in html
    exemplary = html[html.index('id="exemplary-table"'):]
    exemplary = exemplary[: exemplary.index("</table>")]
    assert "KSV-01" in exemplary and "KSV-02" in exemplary and "98,0\u00a0%" in exemplary
    assert "KSV-09" not in exemplary  # ranked, but not a candidate


def test_worklist_lists_overdue_and_due_soon_per_unit_and_prosecutor(site) -> None:
    con = site["con"]
    html = _html(site, "worklist.html")
    (overdue, soon, gaps) = con.execute(
        "select count(*) filter (where status = 'overdue' and triage <> 'suspected_gap'), "
        "count(*) filter (where status <> 'overdue'), "
        "count(*) filter (where triage = 'suspected_gap') from marts.worklist_triage"
    ).fetchall()[0]
    assert gaps > 0 and overdue > 0
    assert re.search(rf'id="total-overdue">{overdue}<', html)
    assert re.search(rf'id="total-due-soon">{soon}<', html)
    assert re.search(rf'id="total-gaps">{gaps}<', html)
    assert 'data-unit="VLG-R3"' in html and 'data-unit="VLG-R4"' in html
    assert "KSV-03" in html and "chưa phân công" in html
    # the long-overdue investigations with no activity are suspected gaps, not red overdue rows
    gap_section = html[html.index('id="gaps"'):html.index('id="summary"')]
    assert gap_section.count('class="badge s-gap"') == gaps
    assert "s-overdue" not in gap_section
    listed = html[html.index('id="list"'):html.index('id="gaps"')]
    assert "C-9000" not in listed and "P-002" in listed  # detention 30 days over: overdue
    assert "bắt đầu 01/12/2025" not in gap_section


def test_quality_page_rolls_the_quarantine_up_per_unit(site) -> None:
    html = _html(site, "quality.html")
    # VLG-R3: 2 quarantined rows (row 4 breaks two rules, counted once) of 2 + 8 landed
    row = _row(html, "unit-quality", "VLG-R3")
    assert "20,00\u00a0%" in row and "20.00" not in row and "⚠" in row
    assert 'id="steward-link"' in html
    assert "does not match" in html


def test_drill_down_tables_are_capped_and_say_so(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb", overdue_clocks=dash.DRILL_ROWS + 25)
    written = dash.render_pages(con, tmp_path / "out", run_id=RUN_ID, as_of=AS_OF)
    html = written["criminal.html"].read_text(encoding="utf-8")
    overdue = html[html.index('id="overdue-table"'):html.index('id="late-table"')]
    assert overdue.count("<tr>") == dash.DRILL_ROWS + 1  # header row
    assert f"Hiển thị {dash.DRILL_ROWS} trên tổng số {dash.DRILL_ROWS + 25} dòng" in html
    assert f"Showing {dash.DRILL_ROWS} of {dash.DRILL_ROWS + 25} rows" in html
    con.close()


def test_pages_stay_small_at_national_scale(tmp_path) -> None:
    """34 provinces, 400 regional units, 60,000 clocks, a long worklist: every page stays
    under 2 MB, the capped tables say so, and the whole worklist is the CSV beside the page."""
    con = _warehouse(tmp_path / "w.duckdb")
    con.execute(
        """
        insert into reference.units by name
        select 'P' || lpad(i::varchar, 2, '0') as unit_code, 'Viện kiểm sát tỉnh ' || i as name_vi,
               'province' as level, null as parent_code, date '2025-07-01' as valid_from,
               null as valid_to, null as successor_code, 'test' as source
        from range(34) t(i)
        union all
        select 'R' || lpad(i::varchar, 3, '0'), 'Viện kiểm sát khu vực ' || i, 'region',
               'P' || lpad((i % 34)::varchar, 2, '0'), date '2025-07-01', null, null, 'test'
        from range(400) t(i)
        """
    )
    con.execute(
        """
        insert into marts.deadlines by name
        select 'investigation:C' || i || ':0' as clock_id,
               (['investigation', 'prosecution_decision', 'custody', 'detention',
                 'issue_execution_decision', 'report_resolution'])[1 + i % 6] as clock,
               'case' as subject_type, 'C' || i as subject_id, 'C' || i as case_id,
               'P' || i as person_id, 'J' || i as judgement_id,
               'R' || lpad((i % 400)::varchar, 3, '0') as unit_code,
               'K' || (i % 2000) as prosecutor_id, date '2025-01-01' + (i % 300)::int as started_on,
               date '2025-03-01' + (i % 300)::int as due_on,
               case when i % 5 = 0 then null else date '2025-03-01' + (i % 280)::int end
                   as closed_on,
               case when i % 5 = 0 then (case when i % 10 = 0 then 'overdue' else 'open' end)
                    when i % 3 = 0 then 'late' else 'on_time' end as status,
               i % 40 as days_late, case when i % 10 = 5 then i % 11 end as days_remaining,
               i % 10 = 5 as is_due_soon,
               'khởi tố ' || i || ' + 4 tháng + gia hạn lần 1 = hạn, ngày nghỉ → ngày làm việc'
                   as explanation,
               'instituted ' || i || ' + 4 months + extension 1 = due, day off → working day'
                   as explanation_en
        from range(60000) t(i)
        """
    )
    con.execute(
        """
        create or replace table marts.deadline_watchlist as
        select row_number() over (order by due_on, clock_id) as urgency_rank, unit_code,
               prosecutor_id, clock_id, clock, subject_id, due_on, status, days_remaining,
               days_late, explanation, explanation_en
        from marts.deadlines where status = 'overdue' or is_due_soon
        """
    )
    build_triage(con, AS_OF)
    con.execute(
        """
        insert into marts.indicator_values by name
        select ind as indicator_code, 'all' as stage, h as hierarchy, u.unit_code,
               'campaign' as period_kind, date '2020-01-01' as period_start,
               date '2025-12-31' as period_end, 9 as numerator, 10 as denominator, 0.9 as value,
               'met' as target_status, '1' as definition_version
        from reference.units u,
             (values ('report_resolution_rate'), ('prosecution_on_time_rate')) t(ind),
             (values ('as_was'), ('as_is')) v(h)
        where u.unit_code similar to '[PR][0-9]+'
        """
    )
    con.execute(
        """
        insert into marts.quarantine by name
        select 'B1' as batch_id, 'cases.csv' as file_name, i as row_number,
               'unit_code' as column_name, 'unknown_code' as rule, 'cases' as table_name,
               'R' || lpad((i % 400)::varchar, 3, '0') as unit_code, 'error' as severity,
               'open' as status
        from range(5000) t(i)
        """
    )
    build_quarantine_rates(con)
    written = dash.render_pages(con, tmp_path / "out", run_id=RUN_ID, as_of=AS_OF)
    for name, path in written.items():
        assert path.stat().st_size < 2_000_000, (name, path.stat().st_size)
    worklist = written["worklist.html"].read_text(encoding="utf-8")
    assert 'id="worklist-cap"' in worklist
    assert 'href="worklist.csv"' in worklist
    full = (tmp_path / "out" / "worklist.csv").read_text(encoding="utf-8").splitlines()
    (listed,) = con.execute("select count(*) from marts.deadline_watchlist").fetchall()[0]
    assert len(full) == listed + 1 and listed > dash.WORKLIST_ROWS  # header + every row
    assert full[0].startswith("urgency_rank,unit_code,prosecutor_id,clock_id")
    (units,) = con.execute(
        "select count(distinct unit_code) from marts.deadlines "
        "where clock in ('investigation', 'prosecution_decision', 'report_resolution')"
    ).fetchall()[0]
    assert units > dash.UNIT_ROWS
    criminal = written["criminal.html"].read_text(encoding="utf-8")
    assert f"Hiển thị {dash.UNIT_ROWS} trên tổng số {units} dòng" in criminal
    con.close()


def test_empty_marts_give_no_data_messages(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    for (table,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'"
    ).fetchall():
        con.execute(f"delete from marts.{table}")
    written = dash.render_pages(con, tmp_path / "out", run_id=RUN_ID, as_of=AS_OF)
    for name, path in written.items():
        html = path.read_text(encoding="utf-8")
        assert 'class="nodata"' in html, name
    assert "Chưa có dữ liệu bảng điểm phong trào." in written["index.html"].read_text()
    assert "Không có thời hạn quá hạn hoặc sắp đến hạn." in written["worklist.html"].read_text()
    con.close()


def test_a_missing_mart_fails_loudly(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    con.execute("drop table marts.deadline_watchlist")
    with pytest.raises(dash.MissingMartError, match="marts.deadline_watchlist"):
        dash.render_pages(con, tmp_path / "out", run_id=RUN_ID, as_of=AS_OF)
    assert not (tmp_path / "out" / "index.html").exists()
    con.close()


# ------------------------------------------------------------------------------------------
# In the browser

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="casewatch-chromium-") as profile:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=chromium_path, args=BROWSER_ARGS, headless=True,
                viewport={"width": 1280, "height": 900}, locale="vi-VN",
            )
            yield context
            context.close()


def _open(browser, path: Path):
    """Open a page; returns (page, console errors, requested URLs)."""
    page = browser.new_page()
    page.set_default_timeout(60_000)  # a ceiling for slow machines, not a timing assertion
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def _charts_rendered(page) -> None:
    expected = page.evaluate("CHARTS.length")
    if expected:
        page.wait_for_function(
            "document.querySelectorAll('figure.chart .vi svg').length >= CHARTS.length"
        )


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_in_both_languages(browser, site, name) -> None:
    page, errors, requests = _open(browser, site["pages"][name])
    try:
        _charts_rendered(page)
        assert errors == [], errors
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        h1 = page.locator("h1")
        vi_title = h1.inner_text()
        assert page.locator(".as-of").first.inner_text() == "31/12/2025"
        assert page.locator(".run-id").first.inner_text() == RUN_ID
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.vi.png"), full_page=True)
        page.click("#lang-toggle")
        assert page.evaluate("document.body.classList.contains('lang-en')")
        assert page.evaluate("document.documentElement.lang") == "en"
        en_title = h1.inner_text()
        assert en_title and en_title != vi_title
        page.screenshot(path=str(ARTIFACTS / f"{name}.en.png"), full_page=True)
        page.click("#lang-toggle")  # back to Vietnamese (the choice is remembered)
        assert h1.inner_text() == vi_title
        assert errors == [], errors
    finally:
        page.close()


@pytest.mark.browser
def test_area_page_numbers_and_language_in_the_browser(browser, site) -> None:
    page, errors, _ = _open(browser, site["pages"]["criminal.html"])
    try:
        _charts_rendered(page)
        assert page.locator("h1").inner_text() == (
            "Kiểm sát giải quyết nguồn tin và vụ án hình sự")
        row = page.locator("#clock-table tr", has_text="Thời hạn điều tra").first
        assert "50,0\u00a0%" in row.inner_text()
        page.click("#lang-toggle")
        row = page.locator("#clock-table tr", has_text="Investigation").first
        assert "50,0\u00a0%" in row.inner_text()  # one number style in both languages
        assert page.locator("h1").inner_text() == (
            "Supervision of crime reports and criminal cases")
        page.click("#lang-toggle")
        assert errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_hierarchy_switch_shows_units_as_they_were(browser, site) -> None:
    page, errors, _ = _open(browser, site["pages"]["index.html"])
    try:
        _charts_rendered(page)
        as_was = page.locator("#scorecard .only-as_was")
        as_is = page.locator("#scorecard .only-as_is")
        assert as_is.is_visible() and not as_was.is_visible()
        page.click("button[data-hierarchy=as_was]")
        assert as_was.is_visible() and not as_is.is_visible()
        assert page.locator("#trend .only-as_was svg").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "index.as_was.png"), full_page=True)
        assert errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_print_layout_hides_controls(browser, site) -> None:
    page, _, _ = _open(browser, site["pages"]["worklist.html"])
    try:
        page.emulate_media(media="print")
        assert not page.locator("header.page nav").is_visible()
        assert not page.locator("#lang-toggle").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(ARTIFACTS / "worklist.pdf"), format="A4")
        assert (ARTIFACTS / "worklist.pdf").stat().st_size > 1000
    finally:
        page.close()


def test_quality_page_describes_each_check_for_humans(site) -> None:
    html = _html(site, "quality.html")
    failing = html[html.index('id="checks-failing"'):]
    failing = failing[: failing.index("</table>")]
    # what it protects, in a sentence, with its result; the technical name only in a tooltip
    assert 'title="sql · marts.deadlines · due_after_start — due_on before started_on"' in failing
    assert 'Bảng <code translate="no">deadlines</code>: quy tắc kiểm tra' in failing
    assert "! Cảnh báo: 2 dòng" in failing
    visible = re.sub(r'title="[^"]*"', "", failing)
    assert "due_on before started_on" not in visible
    passing = html[html.index('id="checks-passing"'):]
    passing = passing[: passing.index("</table>")]
    assert ('Mỗi dòng của bảng <code translate="no">deadlines</code> là duy nhất theo khóa'
            in passing) and "✓ Đạt" in passing
    assert ">grain_is_unique<" not in passing


def test_one_number_style_in_both_languages() -> None:
    from pipelines.dashboards.i18n import fmt_int, fmt_pct
    from pipelines.numbers import format_int, format_pct

    assert format_int(1311) == "1.311" and format_int(50736) == "50.736"
    assert format_pct(0.003, 2) == "0,30\u00a0%"
    assert fmt_int(1311).vi == fmt_int(1311).en == "1.311"
    assert fmt_pct(0.003, 2).vi == fmt_pct(0.003, 2).en == "0,30\u00a0%"


@pytest.mark.browser
def test_no_table_overflows_a_1366_px_screen(browser, site) -> None:
    for name, path in site["pages"].items():
        page, errors, _ = _open(browser, path)
        try:
            page.set_viewport_size({"width": 1366, "height": 900})
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            wide = page.evaluate("""() => [...document.querySelectorAll('table')].filter(t =>
                t.getBoundingClientRect().right > window.innerWidth + 1
                || t.scrollWidth > t.parentElement.clientWidth + 1)
                .map(t => t.id || t.className)""")
            assert wide == [], f"{name}: {wide}"
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366, name
            assert errors == [], name
        finally:
            page.close()
