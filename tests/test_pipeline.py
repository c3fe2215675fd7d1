"""The main job end to end, as `casewatch run` runs it: generated daily batches with defects,
two runs in a row, and what the published snapshot may and may not contain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from snapshot import mart_rows

from pipelines.cli import main
from pipelines.generator import generate

AS_OF = dt.date(2025, 8, 31)
@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(out=out, seed=11, scale="district", start=dt.date(2025, 5, 1), end=AS_OF,
             defect_rate=0.02, batches="daily")
    return out


@pytest.fixture(scope="module")
def two_runs(landing: Path, tmp_path_factory) -> tuple[Path, dict, dict, str]:
    """`casewatch run` twice on the same landing; the published marts after each run."""
    tmp_path = tmp_path_factory.mktemp("run")
    args = ["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb"),
            "--out", str(tmp_path / "out"), "--published", str(tmp_path / "pub" / "cw.duckdb"),
            "--as-of", AS_OF.isoformat()]
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    first = mart_rows(tmp_path / "pub" / "cw.duckdb")
    assert main(args) == 0  # same landing again: nothing new is loaded, nothing changes
    second = mart_rows(tmp_path / "pub" / "cw.duckdb")
    return tmp_path, first, second, printed.getvalue()


@pytest.mark.slow
def test_casewatch_run_twice_gives_the_same_marts(two_runs) -> None:
    tmp_path, first, second, printed = two_runs
    assert "run succeeded" in printed and str(tmp_path / "out" / "index.html") in printed
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], f"marts.{table} changed on a re-run"

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        # Row accounting: every loaded file balances; refused batches load nothing.
        unbalanced = con.execute(
            "select count(*) from marts.batch_ledger where status = 'loaded' "
            "and rows_landed <> rows_accepted + rows_quarantined").fetchall()[0][0]
        assert unbalanced == 0
        assert con.execute("select count(*) from marts.batch_ledger where status = 'refused'"
                           ).fetchall()[0][0] >= 1
        assert con.execute("select count(*) from marts.quarantine").fetchall()[0][0] > 0
        assert con.execute("select count(*) from marts.deadlines").fetchall()[0][0] > 0
        # The re-run did not add ledger rows (the ledger keeps the first load).
        dupes = con.execute("select count(*) from (select batch_id, file_name from "
                            "marts.batch_ledger group by all having count(*) > 1)").fetchall()
        assert dupes == [(0,)]
    finally:
        con.close()


@pytest.mark.slow
def test_personal_data_never_reaches_the_published_snapshot(two_runs) -> None:
    tmp_path = two_runs[0]
    published = tmp_path / "pub" / "cw.duckdb"
    wh = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        secrets = {v for (v,) in wh.execute(
            "select full_name from raw.persons where full_name is not null union "
            "select national_id from raw.persons where national_id is not null").fetchall()}
    finally:
        wh.close()
    assert secrets, "the generator should write names and ID numbers into the raw layer"
    pub = duckdb.connect(str(published), read_only=True)
    try:
        schemas = {r[0] for r in pub.execute("select distinct schema_name from duckdb_tables()"
                                             ).fetchall()}
        assert "raw" not in schemas
        columns = pub.execute("select schema_name, table_name, column_name from duckdb_columns() "
                              "where data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            assert column not in ("full_name", "national_id", "birth_date")
            hits = pub.execute(
                f'select count(*) from {schema}.{table} where "{column}" in '
                f"(select unnest(?::varchar[]))", [sorted(secrets)]).fetchall()[0][0]
            assert hits == 0, f"personal data in {schema}.{table}.{column}"
    finally:
        pub.close()
    for page in (tmp_path / "out").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not any(s in text for s in secrets), f"personal data on {page.name}"


def test_run_refuses_a_missing_landing_folder(tmp_path: Path, capsys) -> None:
    assert main(["run", "--landing", str(tmp_path / "nowhere")]) == 2
    assert "landing folder not found" in capsys.readouterr().err
