"""Every page stays under 2 MB at any scale, and what a cap leaves out of a page is in a file
beside it.

The warehouse is the given marts of test_dashboards grown to more than a national night: 35
provinces and 700 regional units (twice the 355 of the national data), tens of thousands of
clocks of every clock type with long explanations, every finding rule of every area, every
unit's scorecard with values that differ from unit to unit (nothing for the deck to share),
thousands of prosecutors, gaps, candidates, checks and refused files. Then every row-level
mart is doubled: the pages do not grow, because every table is capped by rows (and the
scorecard deck by bytes), not by the data.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from given import build_triage
from test_dashboards import AS_OF, RUN_ID, _warehouse, build_quarantine_rates

from pipelines.dashboards import pages as dash
from pipelines.dashboards import scorecards

PAGE_BYTES = 2_000_000  # the goal: the largest page at most 2 MB, at every scale
PROVINCES, REGIONS = 35, 700
CLOCKS = 40_000
FINDING_RULES = ("extension_beyond_limit", "extension_request_late", "illegal_order",
                 "late_extension", "held_without_order", "premature_suspension")


def _units(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        insert into reference.units by name
        select 'P' || lpad(i::varchar, 2, '0') as unit_code,
               'Viện kiểm sát nhân dân tỉnh thử nghiệm ' || i as name_vi, 'province' as level,
               null as parent_code, date '2025-07-01' as valid_from, null as valid_to,
               null as successor_code, 'test' as source
        from range({PROVINCES}) t(i)
        union all
        select 'P' || lpad((i % {PROVINCES})::varchar, 2, '0') || '-R' || lpad(i::varchar, 3, '0'),
               'Viện kiểm sát nhân dân khu vực ' || i || ' (tỉnh thử nghiệm '
                   || (i % {PROVINCES}) || ')', 'region',
               'P' || lpad((i % {PROVINCES})::varchar, 2, '0'), date '2025-07-01', null, null,
               'test'
        from range({REGIONS}) t(i)
        """
    )
    con.execute(
        "create or replace table test_units as select unit_code, "
        "row_number() over (order by unit_code) - 1 as idx from reference.units "
        "where unit_code similar to 'P[0-9]+(-R[0-9]+)?'"
    )


def _scorecards(con: duckdb.DuckDBPyConnection) -> None:
    """Every unit's card in both views: three statistical years and the campaign, a value
    of its own for every unit (no row repeats from one unit to the next), some targets not
    confirmed."""
    con.execute(
        """
        create or replace table marts.campaign_scorecard as
        with periods(period_kind, period_start, period_end, is_complete) as (values
            ('statistical_year', date '2023-12-01', date '2024-11-30', true),
            ('statistical_year', date '2024-12-01', date '2025-11-30', true),
            ('statistical_year', date '2025-12-01', date '2026-11-30', false),
            ('campaign', date '2020-01-01', date '2025-12-31', false))
        select u.unit_code, h.hierarchy, p.period_kind, p.period_start, p.period_end,
               i.pillar, i.indicator_code,
               round(0.5 + (hash(u.unit_code, i.indicator_code, p.period_start, h.hierarchy)
                            % 5000) / 10000.0, 4) as value,
               0.9 as target_value, '>=' as target_comparator,
               hash(i.indicator_code) % 3 <> 0 as target_is_confirmed,
               case when hash(u.unit_code, i.indicator_code, p.period_start) % 2 = 0
                    then 'met' else 'missed' end as status,
               p.is_complete, coalesce(i.source, 'case_data') as source,
               null::varchar as manual_units
        from test_units u, periods p, reference.indicators i,
             (values ('as_was'), ('as_is')) h(hierarchy)
        where i.pillar is not null
        """
    )


def _rows(con: duckdb.DuckDBPyConnection, tag: str) -> None:
    """The row-level marts, `tag` making every id new (a second call doubles them)."""
    con.execute(
        f"""
        insert into marts.deadlines by name
        with c as (select clock, row_number() over (order by clock) - 1 as k
                   from reference.clock_owners),
             n as (select count(*) as n from c)
        select c.clock || ':{tag}' || i as clock_id, c.clock, 'case' as subject_type,
               'VA{tag}' || i as subject_id, 'VA{tag}' || i as case_id,
               'BC{tag}' || i as person_id, 'BA{tag}' || i as judgement_id, u.unit_code,
               'KSV' || (i % 3000) as prosecutor_id, 'serious' as crime_category,
               date '2024-06-01' + (i % 500)::int as started_on,
               date '2025-01-01' + (i % 400)::int as due_on_nominal,
               date '2025-01-01' + (i % 400)::int as due_on, false as is_provisional,
               case when i % 10 in (3, 4) then date '2025-01-01' + (i % 400)::int + 5 end
                   as closed_on,
               case i % 10 when 0 then 'overdue' when 1 then 'overdue' when 2 then 'open'
                    when 3 then 'late' when 4 then 'late' else 'on_time' end as status,
               (i % 300) as days_late, case when i % 10 = 2 then i % 10 end as days_remaining,
               i % 10 = 2 as is_due_soon, c.clock || ':base' as rule_id,
               'BLTTHS 2015 Art. 172(1)' as legal_basis,
               'khởi tố ' || i || ' + 3 tháng + gia hạn lần 1 (đến 28/02/2025) + gia hạn lần 2 '
                   || '(đến 28/04/2025) + gia hạn lần 3 (đến 28/06/2025, giới hạn 28/04/2025) '
                   || '= 28/04/2025, ngày nghỉ chuyển sang ngày làm việc kế tiếp'
                   as explanation,
               'instituted ' || i || ' + 3 months + extension 1 (to 28/02/2025) + extension 2 '
                   || '(to 28/04/2025) + extension 3 (to 28/06/2025, limited to 28/04/2025) '
                   || '= 28/04/2025, a day off moved to the next working day'
                   as explanation_en,
               date '{AS_OF}' as as_of
        from range({CLOCKS}) t(i) cross join n
        join c on c.k = i % n.n
        join test_units u on u.idx = (i * 7) % {PROVINCES + REGIONS}
        """
    )
    con.execute(
        f"""
        insert into marts.deadline_findings by name
        select 'F{tag}' || i as finding_id,
               {list(FINDING_RULES)}[1 + (i // 4) % {len(FINDING_RULES)}] as rule,
               case when i % 3 = 0 then 'warn' else 'error' end as severity, d.clock_id,
               'case' as subject_type, d.subject_id, d.case_id, d.unit_code,
               'extension 3 decided 30/06/2025: more extensions than the very serious rules '
                   || 'allow; stated end 13/11/2025 is after the maximum 13/07/2025' as detail,
               'BLTTHS 2015 Art. 172(2)(c)' as legal_basis
        from (select clock_id, subject_id, case_id, unit_code,
                     row_number() over (order by clock_id) as i
              from marts.deadlines where clock_id like '%:{tag}%') d
        where i % 4 = 0
        """
    )
    for table, ids in (("wrongful_prosecutions", "person_id, case_id"),
                       ("missed_crime_signals", "event_id, case_id")):
        first, second = (c.strip() for c in ids.split(","))
        con.execute(
            f"""
            insert into marts.{table} by name
            select * exclude (i) replace ('{tag}' || i as {first}, 'VA{tag}' || i as {second})
            from (select * from marts.{table} limit 1) cross join range(2000) t(i)
            """
        )
    con.execute(
        f"""
        insert into marts.exemplary_candidates by name
        select u.unit_code, date '2024-12-01' as period_start, date '2025-11-30' as period_end,
               'SY2025' as period_name, 'KSV{tag}' || i as prosecutor_id, 50 as closed_clocks,
               49 as on_time_clocks, 0.98 as on_time_rate, 0 as wrongful_prosecution_count,
               0 as court_return_count, 1 + i % 3 as rank_in_unit, true as is_candidate
        from range(3000) t(i) join test_units u on u.idx = i % {PROVINCES + REGIONS}
        """
    )
    con.execute(
        f"""
        insert into marts.prosecutor_scorecard by name
        select u.unit_code, 'KSV{tag}' || i as prosecutor_id, date '2024-12-01' as period_start,
               date '2025-11-30' as period_end, true as is_complete, ind.code as indicator_code,
               0.9 as value, false as is_suppressed, 0.95 as target_value,
               '>=' as target_comparator, 'missed' as status
        from range(3000) t(i) join test_units u on u.idx = i % {PROVINCES + REGIONS},
             (values ('on_time_rate'), ('closed_clocks')) ind(code)
        """
    )
    con.execute(
        f"""
        insert into marts.exemplary_gaps by name
        select s.subject_type, s.subject_type || '{tag}' || i as subject_id, u.unit_code,
               h.hierarchy, 'statistical_year' as period_kind, date '2024-12-01' as period_start,
               date '2025-11-30' as period_end, true as is_complete,
               'report_resolution_rate' as indicator_code, false as is_suppressed,
               0.9 as value, 0.95 as best_value, 'P00' as best_subject_id, 0.05 as gap_to_best,
               false as is_best
        from range(3000) t(i) join test_units u on u.idx = i % {PROVINCES + REGIONS},
             (values ('as_was'), ('as_is')) h(hierarchy),
             (values ('unit'), ('prosecutor')) s(subject_type)
        """
    )
    con.execute(
        f"""
        insert into marts.validation_results by name
        select '{RUN_ID}' as run_id, now() as checked_at, 'marts.deadlines' as asset,
               'check_{tag}_' || i as check_name, 'sql' as tool, 'warn' as severity,
               i % 3 <> 0 as passed, i % 3 as failing_count, 'detail ' || i as detail
        from range(600) t(i)
        """
    )
    con.execute(
        f"""
        insert into marts.batch_ledger by name
        select 'B{tag}' || i as batch_id, 'cases.csv' as file_name, 'cases' as table_name,
               'refused' as status, 'manifest_mismatch: file cases.csv does not match' as
                   refusal_reason
        from range(300) t(i)
        """
    )
    con.execute(
        f"""
        insert into marts.quarantine by name
        select 'B{tag}' as batch_id, 'cases.csv' as file_name, i as row_number,
               'unit_code' as column_name, 'unknown_code' as rule, 'cases' as table_name,
               u.unit_code, 'error' as severity, 'open' as status
        from range(5000) t(i) join test_units u on u.idx = i % {PROVINCES + REGIONS}
        """
    )


def _indicators(con: duckdb.DuckDBPyConnection) -> None:
    """Every unit's whole campaign (the units tables), and four years of months and
    statistical years of the provinces (the trend charts)."""
    con.execute(
        """
        insert into marts.indicator_values by name
        select i.indicator_code, 'all' as stage, h.hierarchy, u.unit_code,
               'campaign' as period_kind, date '2020-01-01' as period_start,
               date '2025-12-31' as period_end, 9 as numerator, 10 as denominator,
               round((hash(u.unit_code, i.indicator_code) % 1000) / 1000.0, 3) as value,
               0.9 as target_value, '>=' as target_comparator,
               case when hash(u.unit_code) % 2 = 0 then 'met' else 'missed' end
                   as target_status, '1' as definition_version
        from test_units u, reference.indicators i, (values ('as_was'), ('as_is')) h(hierarchy)
        union all
        select i.indicator_code, 'all', h.hierarchy, u.unit_code, 'month',
               (date '2022-01-01' + to_months(m))::date,
               (date '2022-01-01' + to_months(m + 1))::date - 1,
               9, 10, 0.9, 0.9, '>=', 'met', '1'
        from test_units u, reference.indicators i, (values ('as_was'), ('as_is')) h(hierarchy),
             range(48) t(m)
        where u.unit_code not like '%-R%'
        """
    )


def _watchlist(con: duckdb.DuckDBPyConnection, tag: str) -> None:
    con.execute(
        f"""
        insert into marts.deadline_watchlist by name
        select (select count(*) from marts.deadline_watchlist)
                   + row_number() over (order by due_on, clock_id) as urgency_rank, unit_code,
               prosecutor_id, clock_id, clock, subject_id, due_on, status, days_remaining,
               days_late, explanation, explanation_en
        from marts.deadlines
        where (status = 'overdue' or is_due_soon) and clock_id like '%:{tag}%'
        """
    )


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("budget")
    con = _warehouse(base / "w.duckdb")
    _units(con)
    _scorecards(con)
    _indicators(con)
    _rows(con, "a")
    _watchlist(con, "a")
    build_triage(con, AS_OF)
    build_quarantine_rates(con)
    written = dash.render_pages(con, base / "out", run_id=RUN_ID, as_of=AS_OF)
    yield {"con": con, "pages": written, "out": base / "out", "base": base}
    con.close()


def _sizes(pages: dict[str, Path]) -> dict[str, int]:
    return {name: path.stat().st_size for name, path in pages.items()}


def test_every_page_stays_under_the_budget_and_does_not_grow_with_the_data(national) -> None:
    first = _sizes(national["pages"])
    assert set(first) == {"index.html", "criminal.html", "custody.html", "execution.html",
                          "worklist.html", "interagency.html", "quality.html"}
    assert max(first.values()) < PAGE_BYTES, first
    # twice the rows in every row-level mart (in a copy of the warehouse): the same pages,
    # a few digits longer
    national["con"].execute("checkpoint")
    copy = national["base"] / "doubled.duckdb"
    shutil.copy(national["base"] / "w.duckdb", copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
        _rows(con, "b")
        _watchlist(con, "b")
        (doubled,) = con.execute("select count(*) from marts.deadlines").fetchone()
        assert doubled > 2 * 0.99 * CLOCKS
        build_triage(con, AS_OF)
        build_quarantine_rates(con)
        second = _sizes(dash.render_pages(con, national["base"] / "out2", run_id=RUN_ID,
                                          as_of=AS_OF))
    finally:
        con.close()
    assert max(second.values()) < PAGE_BYTES, second
    for name, size in first.items():
        assert abs(second[name] - size) < 0.03 * size, (name, size, second[name])


def _links(html: str) -> list[str]:
    return re.findall(r'<a class="full-list[^"]*" href="([^"]+)" download>', html)


def test_every_capped_table_links_the_file_with_all_its_rows(national) -> None:
    out, con = national["out"], national["con"]
    for name, path in national["pages"].items():
        html = path.read_text(encoding="utf-8")
        caps = re.findall(r'<p class="cap"[^>]*>(.*?)</p>', html)
        assert caps, name
        for note in caps:  # every cap note links the file with every row
            (file,) = _links(note)
            assert (out / file).is_file(), (name, file)
        for file in _links(html):  # and so do the scorecard selectors
            assert (out / file).is_file(), (name, file)
    # the file holds every row, the page the first ones, in the same order
    with (out / "criminal-overdue.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    (overdue,) = con.execute(
        "select count(*) from marts.deadlines where status = 'overdue' and list_contains(?, "
        "clock)", [list(dash.AREAS[0].clocks)]).fetchone()
    assert len(rows) == overdue > dash.DRILL_ROWS
    assert {"clock_id", "case_id", "unit_code", "explanation", "legal_basis"} <= set(rows[0])
    html = national["pages"]["criminal.html"].read_text(encoding="utf-8")
    table = html[html.index('id="overdue-table"'):]
    table = table[:table.index("</table>")]
    assert rows[0]["case_id"] in table and rows[dash.DRILL_ROWS - 1]["case_id"] in table
    assert rows[dash.DRILL_ROWS]["case_id"] not in table
    assert f"Hiển thị {dash.DRILL_ROWS} trên tổng số" in html
    # the findings: every finding of the area, every rule
    with (out / "criminal-findings.csv").open(encoding="utf-8-sig", newline="") as f:
        findings = list(csv.DictReader(f))
    assert {r["rule"] for r in findings} == set(FINDING_RULES)
    (area_findings,) = con.execute(
        "select count(*) from marts.deadline_findings f join marts.deadlines d using (clock_id) "
        "where list_contains(?, d.clock)", [list(dash.AREAS[0].clocks)]).fetchone()
    assert len(findings) == area_findings
    # every unit of the view in the units file, where the page shows UNIT_ROWS
    with (out / "index-units-as_is.csv").open(encoding="utf-8-sig", newline="") as f:
        units = list(csv.DictReader(f))
    (campaign_units,) = con.execute(
        "select count(distinct unit_code) from marts.indicator_values where hierarchy = 'as_is' "
        "and period_kind = 'campaign' and stage = 'all'").fetchone()
    assert len(units) == campaign_units > PROVINCES + REGIONS > dash.UNIT_ROWS


def test_the_scorecard_deck_keeps_to_its_budget_and_the_rest_is_in_the_file(national) -> None:
    html = national["pages"]["index.html"].read_text(encoding="utf-8")
    deck = re.search(r'<textarea id="scorecard-deck"[^>]*>([^<]*)</textarea>', html).group(1)
    assert len(deck) <= scorecards.SCORECARD_DECK_BYTES
    # the units differ everywhere: not all fit, the page says how many it holds
    shown = re.search(r"Trang này có bảng điểm của (\d+) trên tổng số ([\d.]+) đơn vị", html)
    assert shown, "the page says it holds only some of the units"
    held, total = int(shown.group(1)), int(shown.group(2).replace(".", ""))
    assert 30 < held < total == PROVINCES + REGIONS
    with (national["out"] / "index-scorecards-as_is.csv").open(
            encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len({r["unit_code"] for r in rows}) == total
    assert {"ended_value", "ended_status", "running_value", "campaign_value",
            "previous_value"} <= set(rows[0])


def test_a_table_no_longer_capped_leaves_no_stale_file(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb", overdue_clocks=dash.DRILL_ROWS + 5)
    out = tmp_path / "out"
    dash.render_pages(con, out, run_id=RUN_ID, as_of=AS_OF)
    assert (out / "criminal-overdue.csv").is_file()
    with (out / "criminal-overdue.csv").open("rb") as f:
        assert f.read(3) == b"\xef\xbb\xbf"  # a spreadsheet reads it as UTF-8
    con.execute("delete from marts.deadlines where clock_id like 'investigation:C-9%'")
    written = dash.render_pages(con, out, run_id=RUN_ID, as_of=AS_OF)
    assert not (out / "criminal-overdue.csv").exists()
    assert "criminal-overdue.csv" not in written["criminal.html"].read_text(encoding="utf-8")
    con.close()


def test_a_landed_formula_is_written_as_text(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb", overdue_clocks=dash.DRILL_ROWS + 5)
    con.execute("update marts.deadlines set subject_id = '=HYPERLINK(\"x\")' "
                "where clock_id = 'investigation:C-9000:0'")
    out = tmp_path / "out"
    dash.render_pages(con, out, run_id=RUN_ID, as_of=AS_OF)
    text = (out / "criminal-overdue.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    con.close()

