"""The worklist and inter-agency pages in headless Chromium, at desktop and 390 px, from
marts built by the SQL models (`given.worklist_warehouse`): the triage sections, filters,
search, the CSV download of the filtered rows, the drill-down from a finding count to its
list, the cards at 390 px, and no network request. Also: the local staff list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import pytest
from given import worklist_warehouse

from pipelines import paths
from pipelines.dashboards import pages as dash

AS_OF = dt.date(2025, 12, 31)
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("worklist") / "out"
    con = worklist_warehouse(AS_OF)
    pages = dash.render_pages(con, out, run_id="run-wl", as_of=AS_OF)
    yield {"con": con, "pages": pages, "out": out}
    con.close()


@pytest.fixture(scope="module")
def context(chromium_path):
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="casewatch-chromium-") as profile:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=chromium_path, args=BROWSER_ARGS, headless=True,
                viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True,
            )
            yield ctx
            ctx.close()


def _open(context, path: Path, width: int = 1280):
    page = context.new_page()
    page.set_default_timeout(60_000)  # a ceiling for slow machines, not a timing assertion
    page.set_viewport_size({"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    if page.locator("table.grid").count():
        page.wait_for_selector("body[data-grids-ready]")
    return page, errors, requests


def _rows(page, grid: str) -> list[str]:
    """Text of the rows a grid shows (all pages of it) after its filters and search."""
    return page.evaluate(
        f"CASEWATCH_GRIDS['{grid}-table'].rows({{search: 'applied'}}).nodes().toArray()"
        ".map(function (tr) { return tr.innerText; })")


def _marts(con, sql: str) -> list:
    return [r[0] for r in con.execute(sql).fetchall()]


@pytest.mark.parametrize("width", [1280, 390])
def test_triage_sections_in_both_languages(context, site, width) -> None:
    con = site["con"]
    page, errors, requests = _open(context, site["pages"]["worklist.html"], width)
    try:
        for section in ("#today", "#own", "#list", "#gaps"):
            assert page.locator(section).is_visible(), section
        h2 = [page.locator(f"{s} h2").inner_text() for s in ("#today", "#gaps")]
        assert h2 == ["Hôm nay", "Nghi thiếu dữ liệu"]
        today = _rows(page, "today")
        expected = _marts(con, "select subject_id from marts.worklist_triage where is_today "
                               "order by urgency_rank")
        assert [next(s for s in expected if s in row) for row in today] == expected
        assert any("Mới quá hạn" in r for r in today) and any("Đến hạn hôm nay" in r
                                                               for r in today)
        gaps = _rows(page, "gaps")
        gap_subjects = _marts(con, "select subject_id from marts.worklist_triage "
                                   "where triage = 'suspected_gap' order by urgency_rank")
        assert sorted(gap_subjects) == ["C3", "P2"] and len(gaps) == 2
        assert all(s in r for s, r in zip(gap_subjects, gaps, strict=True))
        assert any("Tạm giữ/tạm giam" in r or "trả tự do" in r for r in gaps)
        assert page.locator("#gaps .badge.s-gap").count() == len(gaps)
        assert page.locator("#gaps .badge.s-overdue").count() == 0
        listed = " ".join(_rows(page, "worklist"))
        assert "C3" not in listed and "P2" not in listed  # gaps leave the overdue list
        own = _rows(page, "own")
        assert len(own) == 1 and "VKS xét phê chuẩn quyết định khởi tố bị can" in own[0]
        assert page.locator("#own").bounding_box()["y"] < page.locator("#list").bounding_box()["y"]
        info = page.locator("#list .dt-info").inner_text()
        assert info.startswith("Dòng 1–") and "Showing" not in info
        assert page.locator('#list select[data-filter="unit"] option').first.inner_text() == (
            "— tất cả —")
        page.click("#lang-toggle")
        assert page.locator('#list select[data-filter="unit"] option').first.inner_text() == (
            "— all —")
        assert page.locator("#list .dt-info").inner_text().startswith("Rows 1–")
        assert page.locator("#list .dt-search label").inner_text().strip() == "Search:"
        assert page.locator("#today h2").inner_text() == "Today"
        assert page.locator("#gaps h2").inner_text() == "Suspected missing data"
        page.click("#lang-toggle")
        assert errors == [], errors
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
    finally:
        page.close()


def test_filters_search_and_csv_download_of_the_filtered_rows(context, site) -> None:
    con = site["con"]
    page, errors, requests = _open(context, site["pages"]["worklist.html"])
    try:
        everything = _rows(page, "worklist")
        units = _marts(con, "select distinct unit_code from marts.worklist_triage where not "
                            "is_vks_own and triage <> 'suspected_gap' order by 1")
        assert len(units) == 2 and len(everything) == 3
        unit = units[0]
        page.select_option('#list select[data-filter="unit"]', unit)
        by_unit = _rows(page, "worklist")
        expected = _marts(con, f"select subject_id from marts.worklist_triage where not "
                               f"is_vks_own and triage <> 'suspected_gap' and unit_code = "
                               f"'{unit}' order by urgency_rank")
        assert 0 < len(by_unit) == len(expected) < len(everything)
        with page.expect_download() as done:
            page.click("#list button.buttons-csv")
        text = Path(done.value.path()).read_text(encoding="utf-8-sig")
        rows = [r for r in csv.reader(io.StringIO(text)) if r]
        assert rows[0][:3] == ["Đơn vị", "Kiểm sát viên", "Phân loại"]
        assert [r[4] for r in rows[1:]] == expected  # the filtered rows, most urgent first
        assert not any("Overdue" in c or "Due soon" in c for r in rows for c in r)
        # the date range: only the clocks due on 31/12/2025
        page.select_option('#list select[data-filter="unit"]', "")
        page.fill('#list input[data-date-from]', "2025-12-31")
        page.fill('#list input[data-date-to]', "2025-12-31")
        page.dispatch_event('#list input[data-date-to]', "change")
        assert [r for r in _rows(page, "worklist") if "C4" in r] == _rows(page, "worklist")
        assert len(_rows(page, "worklist")) == 1
        page.fill('#list input[data-date-from]', "")
        page.fill('#list input[data-date-to]', "")
        page.dispatch_event('#list input[data-date-to]', "change")
        # search
        page.fill("#list input[type=search]", "C2")
        found = _rows(page, "worklist")
        assert len(found) == 1 and "C2" in found[0]
        page.fill("#list input[type=search]", "")
        # a prosecutor and a status
        page.select_option('#list select[data-filter="prosecutor"]', "KSV-1")
        assert all("KSV-1" in r for r in _rows(page, "worklist"))
        page.select_option('#list select[data-filter="status"]', "due_today")
        assert _rows(page, "worklist") == []
        page.click("#lang-toggle")  # the English CSV: English labels only
        page.select_option('#list select[data-filter="prosecutor"]', "")
        page.select_option('#list select[data-filter="status"]', "")
        with page.expect_download() as done:
            page.click("#list button.buttons-csv")
        rows = [r for r in csv.reader(io.StringIO(
            Path(done.value.path()).read_text(encoding="utf-8-sig"))) if r]
        assert rows[0][:3] == ["Unit", "Prosecutor", "Triage"] and len(rows) == 4
        page.click("#lang-toggle")
        assert errors == [], errors
        assert all(u.startswith(("file:", "data:", "blob:")) for u in requests), requests
        assert not any(u.startswith(("http:", "https:")) for u in requests), requests
    finally:
        page.close()


def test_cards_at_390_px(context, site) -> None:
    page, errors, _ = _open(context, site["pages"]["worklist.html"], 390)
    try:
        row = page.locator("#worklist-table tbody tr").first
        assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
        cell = row.locator("td").first
        assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"Đơn vị: "'
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.locator("#worklist-table thead").is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []
    finally:
        page.close()


def test_a_finding_count_links_to_its_listed_finding(context, site) -> None:
    con = site["con"]
    (subject, case) = con.execute("select subject_id, case_id from marts.deadline_findings "
                                  "where rule = 'held_without_order'").fetchone()
    page, errors, requests = _open(context, site["pages"]["custody.html"])
    try:
        link = page.locator('#findings a[href="#finding-held_without_order"]')
        assert link.inner_text() == "1"
        link.click()
        assert page.evaluate("location.hash") == "#finding-held_without_order"
        target = page.locator("#finding-held_without_order")
        assert target.is_visible()
        text = target.inner_text()
        assert subject in text and case in text and "04/11/2025" in text  # held since
        assert "Điều 173 BLTTHS" in text and "Art." not in text  # Vietnamese citation form
        assert page.evaluate("document.querySelector('#finding-held_without_order')"
                             ".getBoundingClientRect().top") < 900
        assert errors == [], errors
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
    finally:
        page.close()


def test_interagency_page_lists_per_agency(context, site) -> None:
    con = site["con"]
    html = site["pages"]["interagency.html"].read_text(encoding="utf-8")
    assert 'href="interagency.html"' in site["pages"]["worklist.html"].read_text(encoding="utf-8")
    horizon = con.execute("select value from reference.worklist_settings "
                          "where setting = 'interagency_horizon_days'").fetchone()[0]
    assert re.search(rf'id="horizon"><span class="vi" lang="vi">{horizon} ngày', html)
    page, errors, requests = _open(context, site["pages"]["interagency.html"])
    try:
        rows = _rows(page, "agency-cqdt")
        expected = _marts(con, "select case_id from marts.interagency_deadlines "
                               "where agency = 'cqdt'")
        assert sorted(next(c for c in expected if c in r) for r in rows) == sorted(expected)
        assert page.locator("#agency-cqdt-section h2").inner_text() == "Cơ quan điều tra"
        assert errors == [], errors
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
    finally:
        page.close()


def test_staff_names_beside_codes_only_when_the_local_list_exists(tmp_path, monkeypatch,
                                                                   site) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text("prosecutor_id,full_name,title\nKSV-1,Trần Văn Kiểm,Kiểm sát viên "
                     "sơ cấp\n", encoding="utf-8")
    monkeypatch.setattr(paths, "LOCAL_STAFF", staff)
    pages = dash.render_pages(site["con"], tmp_path / "out", run_id="run-wl", as_of=AS_OF)
    html = pages["worklist.html"].read_text(encoding="utf-8")
    assert "KSV-1 – Trần Văn Kiểm (Kiểm sát viên sơ cấp)" in html
    names = {r[0] for r in site["con"].execute(
        "select column_name from duckdb_columns() where schema_name = 'marts'").fetchall()}
    assert "full_name" not in names
    monkeypatch.setattr(paths, "LOCAL_STAFF", tmp_path / "absent.csv")
    pages = dash.render_pages(site["con"], tmp_path / "out2", run_id="run-wl", as_of=AS_OF)
    assert "Trần Văn Kiểm" not in pages["worklist.html"].read_text(encoding="utf-8")
    staff.write_text("prosecutor_id,full_name\n,Không mã\n", encoding="utf-8")
    monkeypatch.setattr(paths, "LOCAL_STAFF", staff)
    from pipelines.dashboards.staff import StaffListError
    with pytest.raises(StaffListError, match=r"staff.csv, row 2"):
        dash.render_pages(site["con"], tmp_path / "out3", run_id="run-wl", as_of=AS_OF)
