"""Vietnamese is Vietnamese: every page, in each language, shows labels, not codes, and no word
of the other language in its visible text.

The detector (`pipelines.dashboards.language`) is built from the reference data: the code lists
and the Vietnamese and English labels. Here it is shown to catch what it must (unit tests and a
page made to fail), then run in headless Chromium on every page: the pages rendered from the
given marts of test_dashboards, and every HTML file a whole `casewatch run` writes (top-level
pages, per-unit bundles and the steward report, whose values as landed, column and file names
are marked as technical names).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_dashboards import AS_OF, RUN_ID, _warehouse, browser  # noqa: F401 (fixture)

from pipelines import paths
from pipelines.dashboards import pages as dash
from pipelines.dashboards.citation import citation
from pipelines.dashboards.i18n import Bi
from pipelines.dashboards.labels import period_label
from pipelines.dashboards.language import VISIBLE_TEXT_JS, Vocabulary, problems


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.from_reference(paths.REFERENCE_DIR)


def _tokens(text: str, lang: str, vocabulary: Vocabulary) -> set[tuple[str, str]]:
    return {(p.kind, p.token) for p in problems(text, lang, vocabulary, "page.html")}


# ------------------------------------------------------------------------------------------
# The detector


def test_the_detector_is_built_from_the_code_lists_and_labels(vocabulary) -> None:
    assert {"terminated_after_charge_approval", "not_a_crime", "open", "warn", "met"} <= (
        vocabulary.codes)
    assert "đạt" in vocabulary.vi_words and "met" in vocabulary.en_words
    assert "the" in vocabulary.english_only and "theo" in vocabulary.vietnamese_only
    assert "BTR-BD" in vocabulary.allowed and "BLTTHS" in vocabulary.allowed


def test_raw_codes_are_caught_in_both_views(vocabulary) -> None:
    vi = "Căn cứ terminated_after_charge_approval, kết quả not_a_crime; mức độ warn, error; " \
         "tình trạng open; Năm thống kê SY2025"
    found = _tokens(vi, "vi", vocabulary)
    for token in ("terminated_after_charge_approval", "not_a_crime", "warn", "open", "SY2025"):
        assert ("raw code", token) in found, token
    en = "Rule terminated_after_charge_approval, severity warn, year SY2025, quarter 2025-Q1"
    found = _tokens(en, "en", vocabulary)
    for token in ("terminated_after_charge_approval", "warn", "SY2025", "2025-Q1"):
        assert ("raw code", token) in found, token
    assert ("raw code", "Open") not in _tokens("Status: Open", "en", vocabulary)


def test_english_in_the_vietnamese_view_is_caught(vocabulary) -> None:
    found = _tokens("Đơn vị: Tất cảAll · BLTTHS 2015 Art. 147(1) (as read) · "
                    "Resolution 84/2025/UBTVQH15 · the limit expired", "vi", vocabulary)
    for word in ("All", "Art", "read", "Resolution", "the", "limit"):
        assert ("English", word) in found, word
    assert ("raw code", "expired") in found  # a window_status code, and no Vietnamese word


def test_vietnamese_in_the_english_view_is_caught(vocabulary) -> None:
    found = _tokens("Unit: Tất cả · khoản 1 Điều 147 theo luật", "en", vocabulary)
    for word in ("Tất", "khoản", "Điều", "theo"):
        assert ("Vietnamese", word) in found, word


def test_clean_text_and_allowed_tokens_pass(vocabulary) -> None:
    vi = ("Năm thống kê 2025 (01/12/2024–30/11/2025): khoản 1 Điều 147 BLTTHS 2015; "
          "điểm a khoản 2 Điều 172 BLTTHS 2015; Nghị quyết 84/2025/UBTVQH15; "
          "BTR-BD · Viện kiểm sát nhân dân huyện Bình Đại; vụ án VA0070000173, KSV-01; In")
    assert problems(vi, "vi", vocabulary) == []
    en = ("Statistical year 2025 (01/12/2024–30/11/2025): BLTTHS 2015 Art. 147(1); "
          "THAHS Law 2019 Art. 22(2); Resolution 84/2025/UBTVQH15; "
          "BTR-BD · Viện kiểm sát nhân dân huyện Bình Đại; Bến Tre is merged into Vĩnh Long")
    assert problems(en, "en", vocabulary) == []


def test_periods_and_legal_bases_read_as_the_issue_asks() -> None:
    assert period_label("statistical_year", dt.date(2024, 12, 1), dt.date(2025, 11, 30)) == Bi(
        "Năm thống kê 2025 (01/12/2024–30/11/2025)",
        "Statistical year 2025 (01/12/2024–30/11/2025)")
    assert period_label("month", dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == Bi(
        "Tháng 03/2025", "March 2025")
    assert period_label("quarter", dt.date(2025, 1, 1), dt.date(2025, 3, 31)).vi == (
        "Quý I/2025 (01/01/2025–31/03/2025)")
    assert citation("BLTTHS 2015 Art. 147(1)").vi == "khoản 1 Điều 147 BLTTHS 2015"
    assert citation("Luật THAHS 2019 Art. 22(2)").vi == "khoản 2 Điều 22 Luật THAHS 2019"
    assert citation("Resolution 84/2025/UBTVQH15").vi == "Nghị quyết 84/2025/UBTVQH15"


def test_a_findings_detail_shows_the_models_vietnamese_and_a_clean_english(vocabulary) -> None:
    import duckdb

    from pipelines.dashboards.finding_text import finding_detail
    from pipelines.dashboards.labels import Labels
    from pipelines.reference.load import load_reference

    con = duckdb.connect()
    load_reference(con, paths.REFERENCE_DIR)
    labels = Labels(con)
    detail = ("detention order LTG0090000744 05/05/2025–29/07/2025: 86 days + 9 custody days = "
              "95 days, over the 90-day cap (detention_order:investigation:very_serious:0)")
    detail_vi = ("lệnh tạm giam LTG0090000744 05/05/2025–29/07/2025: 86 ngày + 9 ngày tạm giữ = "
                 "95 ngày, quá giới hạn 90 ngày")
    text = finding_detail(detail, detail_vi, "illegal_order", labels)
    assert text.vi == detail_vi
    assert text.en == ("detention order LTG0090000744 05/05/2025–29/07/2025: 86 days + 9 "
                       "custody days = 95 days, over the 90-day cap")  # no rule id
    assert problems(text.vi, "vi", vocabulary) == []
    assert problems(text.en, "en", vocabulary) == []
    older = finding_detail(detail, None, "illegal_order", labels)  # built before detail_vi
    assert older.vi == labels.code("finding_rule", "illegal_order").vi  # never English
    con.close()


# ------------------------------------------------------------------------------------------
# In the browser


def _set_language(page, lang: str) -> None:
    for _ in range(2):
        if page.evaluate("document.documentElement.lang") == lang:
            return
        page.click("#lang-toggle")
    assert page.evaluate("document.documentElement.lang") == lang


def _page_problems(browser, path: Path, name: str, vocabulary: Vocabulary) -> list[str]:  # noqa: F811
    page = browser.new_page()
    page.set_default_timeout(60_000)  # a ceiling for slow machines, not a timing assertion
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        if page.evaluate("typeof CHARTS !== 'undefined' && CHARTS.length > 0"):
            page.wait_for_function(
                "document.querySelectorAll('figure.chart .vi svg').length >= CHARTS.length")
        out = []
        for lang in ("vi", "en"):
            _set_language(page, lang)
            text = page.evaluate(VISIBLE_TEXT_JS)
            assert text.strip(), f"{name} [{lang}]: no visible text"
            out += [str(p) for p in problems(text, lang, vocabulary, name)]
        return out
    finally:
        page.close()


FAILING_PAGE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><style>
body:not(.lang-en) .en, body.lang-en .vi { display: none; }</style></head><body>
<button id="lang-toggle" translate="no" onclick="var en = !document.body.classList.contains(
'lang-en'); document.body.classList.toggle('lang-en', en);
document.documentElement.lang = en ? 'en' : 'vi'">English</button>
<p><span class="vi" lang="vi">Căn cứ</span><span class="en" lang="en">Rule</span>:
terminated_after_charge_approval</p>
<p><span class="vi" lang="vi">Tình trạng: đang mở Resolution</span>
<span class="en" lang="en">Status: open (Điều 147)</span></p>
<p class="en">hidden in the Vietnamese view</p>
<code translate="no">case_events.csv</code>
</body></html>"""


@pytest.mark.browser
def test_a_page_with_a_raw_code_or_the_other_language_fails(browser, tmp_path,  # noqa: F811
                                                            vocabulary) -> None:
    path = tmp_path / "bad.html"
    path.write_text(FAILING_PAGE, encoding="utf-8")
    found = _page_problems(browser, path, "bad.html", vocabulary)
    assert "bad.html [vi] raw code 'terminated_after_charge_approval'" in "\n".join(found)
    assert any(f.startswith("bad.html [vi] English 'Resolution'") for f in found), found
    assert any(f.startswith("bad.html [en] Vietnamese 'Điều'") for f in found), found
    assert any(f.startswith("bad.html [en] raw code 'terminated_after") for f in found), found
    # hidden text of the other view and technical names marked translate="no" are not read
    assert not any(t in f for f in found for t in ("'hidden'", "'case_events", "'English'")), found


@pytest.fixture(scope="module")
def given_site(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("language")
    con = _warehouse(base / "warehouse.duckdb")
    written = dash.render_pages(con, base / "out", run_id=RUN_ID, as_of=AS_OF)
    con.close()
    return written


@pytest.mark.browser
def test_every_page_speaks_one_language(browser, given_site, vocabulary) -> None:  # noqa: F811
    found = []
    for name, path in sorted(given_site.items()):
        found += _page_problems(browser, path, name, vocabulary)
    assert found == [], "\n".join(found)


@pytest.fixture(scope="module")
def run_site(tmp_path_factory) -> Path:
    from snapshot import generated_site

    return generated_site(tmp_path_factory.mktemp("language-run"), seed=7,
                          start=dt.date(2025, 7, 1), as_of=dt.date(2025, 12, 31)) / "out"


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_of_a_whole_run_speaks_one_language(browser, run_site,  # noqa: F811
                                                        vocabulary) -> None:
    files = sorted(run_site.rglob("*.html"))
    assert any("units" in p.parts for p in files), "the per-unit bundles must be checked"
    assert run_site / "steward-report.html" in files
    found = []
    for path in files:
        found += _page_problems(browser, path, path.relative_to(run_site).as_posix(), vocabulary)
    assert found == [], "\n".join(found[:200])
