"""The whole nightly graph on generated sample data, seen from the analyst's side: the worked
queries of docs/analyst-guide.md run on the published snapshot, every mart column is
documented, no personal data is published, and the dashboards are built from the same run."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from pipelines import paths, publish
from pipelines.dashboards.i18n import fmt_int
from pipelines.generator import generate
from pipelines.resources import CasewatchSettings
from pipelines.runner import run_nightly

GUIDE = paths.ROOT / "docs" / "analyst-guide.md"
AS_OF = dt.date(2025, 12, 31)
PAGES = ("index.html", "criminal.html", "custody.html", "execution.html", "worklist.html",
         "interagency.html", "quality.html")
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def guide_queries() -> list[str]:
    return SQL_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nightly(tmp_path_factory) -> dict:
    """Generated batches (one district, two years, a few defects) and one whole nightly run."""
    base = tmp_path_factory.mktemp("nightly")
    generate(out=base / "landing", seed=7, scale="district", start=dt.date(2024, 1, 1),
             end=AS_OF, defect_rate=0.002, batches="single")
    settings = CasewatchSettings(
        landing_dir=str(base / "landing"),
        warehouse_path=str(base / "warehouse.duckdb"),
        out_dir=str(base / "out"),
        published_path=str(base / "published" / "casewatch.duckdb"),
        as_of=AS_OF.isoformat(),
    )
    outcome = run_nightly(settings)
    assert outcome.success, (outcome.failed_checks, outcome.failed_steps)
    return {"settings": settings, "outcome": outcome, "published": Path(settings.published_path),
            "out": Path(settings.out_dir), "warehouse": Path(settings.warehouse_path)}


@pytest.fixture
def snapshot(nightly):
    con = duckdb.connect(str(nightly["published"]), read_only=True)
    yield con
    con.close()


def test_the_guide_has_a_dozen_worked_queries() -> None:
    assert len(guide_queries()) >= 12


def test_the_guide_names_every_mart() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for mart in publish.mart_names():
        assert f"marts.{mart}" in text, f"docs/analyst-guide.md does not describe marts.{mart}"


@pytest.mark.slow
@pytest.mark.parametrize("number", range(len(guide_queries())))
def test_worked_query_runs_on_the_snapshot(nightly, snapshot, number, tmp_path,
                                          monkeypatch) -> None:
    sql = guide_queries()[number]
    # Run as the guide says, from an unrelated working folder: paths are relative to the
    # snapshot's folder (file_search_path), never to where the analyst happens to be.
    assert "data/published" not in sql, f"query {number + 1} depends on the working folder"
    monkeypatch.chdir(tmp_path)
    snapshot.execute("set file_search_path = ?", [str(nightly["published"].resolve().parent)])
    rows = snapshot.execute(sql).fetchall()
    if "-- may be empty" not in sql:
        assert rows, f"query {number + 1} returned nothing on the sample data:\n{sql}"


@pytest.mark.slow
def test_every_mart_column_in_the_snapshot_is_documented(snapshot) -> None:
    missing = publish.undocumented_columns(snapshot, "marts")
    assert missing == [], (
        f"{len(missing)} mart tables/columns have no COMMENT (add a `-- column <name>: ...` "
        "header line to the model):\n" + "\n".join(missing)
    )


@pytest.mark.slow
def test_the_snapshot_is_marts_and_reference_of_this_run_only(nightly, snapshot) -> None:
    schemas = {r[0] for r in snapshot.execute(
        "select distinct schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"marts", "reference", "meta"}
    marts = {r[0] for r in snapshot.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert marts == set(publish.mart_names())
    assert snapshot.execute("select run_id, as_of from meta.snapshot").fetchall() == [
        (nightly["outcome"].run_id, AS_OF)]
    parquet = {p.stem for p in (nightly["published"].parent / "parquet").glob("*.parquet")}
    assert parquet == marts


@pytest.mark.slow
def test_no_personal_data_in_the_snapshot_or_the_pages(nightly) -> None:
    with duckdb.connect(str(nightly["warehouse"]), read_only=True) as wh:
        secrets = [
            v for (v,) in wh.execute(
                "select distinct full_name from raw.persons where length(full_name) > 8 "
                "union select distinct national_id from raw.persons where national_id is not null"
            ).fetchall()
        ]
    assert len(secrets) > 20
    blobs = {"snapshot": nightly["published"].read_bytes()}
    blobs.update({p.name: p.read_bytes() for p in (nightly["published"].parent / "parquet")
                  .glob("*.parquet")})
    blobs.update({p.name: p.read_bytes() for p in nightly["out"].glob("*.html")})
    for name, blob in blobs.items():
        leaked = [s for s in secrets if s.encode() in blob]
        assert not leaked, f"{name} holds personal data: {leaked[:3]}"


@pytest.mark.slow
def test_the_run_wrote_every_page_from_the_published_data(nightly, snapshot) -> None:
    run_id = nightly["outcome"].run_id
    for name in PAGES:
        html = (nightly["out"] / name).read_text(encoding="utf-8")
        assert run_id in html and "31/12/2025" in html, name
        assert len(html.encode()) < 3_000_000, name
    (overdue,) = snapshot.execute(  # suspected data gaps are listed apart, not as overdue
        "select count(*) from marts.worklist_triage where status = 'overdue' "
        "and triage <> 'suspected_gap'").fetchall()[0]
    worklist = (nightly["out"] / "worklist.html").read_text(encoding="utf-8")
    assert f'id="total-overdue">{fmt_int(overdue).__html__()}<' in worklist


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_run_failing_mid_way_keeps_the_last_good_snapshot_and_pages(nightly, tmp_path) -> None:
    """Runs last in this module: it breaks the deadline rules so the clock models fail after
    ingestion and staging have run; nothing downstream may be published."""
    published_before = _tree(nightly["published"].parent)
    pages_before = {n: b for n, b in _tree(nightly["out"]).items() if n in PAGES}
    assert len(pages_before) == len(PAGES)
    broken = tmp_path / "reference"
    broken.mkdir()
    for f in paths.REFERENCE_DIR.glob("*.csv"):
        (broken / f.name).write_bytes(f.read_bytes())
    duckdb.execute(
        f"copy (select * exclude (legal_basis) from read_csv('{paths.REFERENCE_DIR}/"
        f"deadline_rules.csv')) to '{broken}/deadline_rules.csv' (header)"
    )
    good = nightly["settings"]
    settings = CasewatchSettings(
        landing_dir=good.landing_dir, warehouse_path=good.warehouse_path, out_dir=good.out_dir,
        published_path=good.published_path, as_of=good.as_of, reference_dir=str(broken),
    )
    outcome = run_nightly(settings)
    assert not outcome.success
    assert outcome.failed_steps, "a model should have failed"
    assert "staging.stg_landing__cases" not in outcome.skipped_assets  # ran before the failure
    assert "published.snapshot" in outcome.skipped_assets
    assert "dashboards.pages" in outcome.skipped_assets
    assert _tree(nightly["published"].parent) == published_before
    # (the steward report is rewritten: it reports the failed run)
    assert {n: b for n, b in _tree(nightly["out"]).items() if n in PAGES} == pages_before


@pytest.mark.slow
def test_every_schema_table_and_column_has_a_rendered_comment(snapshot) -> None:
    problems = publish.comment_problems(snapshot)
    assert problems == [], "\n".join(problems)
    reference = {r[0] for r in snapshot.execute(
        "select table_name from duckdb_tables() where schema_name = 'reference'").fetchall()}
    assert {"units", "codes", "calendar", "source_systems"} <= reference


@pytest.mark.slow
def test_status_glosses_say_whether_the_late_clock_was_resolved(snapshot) -> None:
    (comment,) = snapshot.execute(
        "select comment from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'deadlines' and column_name = 'status'").fetchone()
    assert "quá hạn (đã giải quyết)" in comment and "quá hạn (chưa giải quyết)" in comment
    assert "đã quá hạn" not in comment
    labels = dict(snapshot.execute(
        "select code, label_vi from reference.codes where list = 'clock_status'").fetchall())
    assert labels["late"] == "Quá hạn (đã giải quyết)"
    assert labels["overdue"] == "Quá hạn (chưa giải quyết)"


@pytest.mark.slow
def test_every_status_column_uses_the_codes_of_its_list(snapshot) -> None:
    from pipelines.vocabulary import CODE_COLUMNS, is_status_column

    declared = set(CODE_COLUMNS)
    status_columns = {(t, c) for t, c in snapshot.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts'"
    ).fetchall() if is_status_column(c)}
    assert status_columns <= declared, f"undeclared status columns: {status_columns - declared}"
    codes = {}
    for lst, code, vi, en in snapshot.execute(
            "select list, code, label_vi, label_en from reference.codes").fetchall():
        assert vi and en, f"{lst}.{code} lacks a label"
        codes.setdefault(lst, set()).add(code)
    for (mart, column), lst in CODE_COLUMNS.items():
        values = {v for (v,) in snapshot.execute(
            f"select distinct {column} from marts.{mart} where {column} is not null").fetchall()}
        assert values <= codes[lst], f"marts.{mart}.{column}: {values - codes[lst]} not in {lst}"
    # the same meaning, the same code: the scorecard speaks as indicator_values does, and
    # differs only while a period runs (in_progress: no verdict yet)
    assert snapshot.execute(
        "select count(*) from marts.campaign_scorecard where status <> target_status "
        "and (is_complete or status <> 'in_progress')"
    ).fetchone() == (0,)


@pytest.mark.slow
def test_counts_are_integers(snapshot) -> None:
    types = dict(snapshot.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'indicator_values'").fetchall())
    assert types["numerator"] == "BIGINT" and types["denominator"] == "BIGINT"
    counts = snapshot.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where schema_name = 'marts' and (column_name like 'rows_%' or column_name in "
        "('accepted', 'quarantined', 'landed', 'failing_count', 'days_open', 'days_late', "
        "'days_remaining'))").fetchall()
    assert counts and all(t in ("BIGINT", "INTEGER", "HUGEINT") for _, _, t in counts), counts
