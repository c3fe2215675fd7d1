"""Publishing the read-only snapshot: what it holds, atomic replacement under a reader, and a
failed run leaving the last good snapshot byte-identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import paths, publish, reference
from pipelines.contract import create_raw_tables
from pipelines.reference.load import load_reference
from pipelines.resources import CasewatchSettings, Warehouse

AS_OF = dt.date(2025, 12, 31)


def _warehouse(path: Path, version: int = 1) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    con.execute("create or replace table reference.staff (prosecutor_id varchar, "
                "unit_code varchar, display_name varchar)")
    con.execute("insert into reference.staff values ('KSV-01', 'VLG-R3', 'Trần Văn Kiểm Sát')")
    create_raw_tables(con)
    con.execute("insert into raw.persons (person_id, case_id, full_name, updated_at, is_deleted) "
                "values ('P-1', 'C-1', 'Lê Thị Riêng Tư', now(), false)")
    _marts(con, version)
    return con


def _marts(con: duckdb.DuckDBPyConnection, version: int) -> None:
    con.execute("create schema if not exists staging")
    con.execute("create or replace table staging.scratch as select 1 as x")
    con.execute(
        "create or replace table marts.deadlines as "
        "select 'investigation:C-' || i || ':0' as clock_id, ? as version "
        "from range(?) t(i)",
        [version, 10 * version],
    )
    con.execute("comment on table marts.deadlines is 'Every statutory clock'")
    con.execute("comment on column marts.deadlines.clock_id is 'clock id (mã thời hạn)'")
    con.execute("comment on column marts.deadlines.version is 'test version'")
    con.execute("create or replace table marts.validation_results (run_id varchar, "
                "passed boolean)")
    con.execute("insert into marts.validation_results values ('r1', true)")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_snapshot_holds_marts_and_reference_never_raw(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "pub" / "casewatch.duckdb"
    result = publish.publish(con, published, run_id="run-1", as_of=AS_OF,
                             required_marts=["deadlines", "validation_results"])
    con.close()
    assert result.marts == ["marts.deadlines", "marts.validation_results"]
    assert not published.with_name(published.name + ".next").exists()
    with duckdb.connect(str(published), read_only=True) as ro:
        schemas = {r[0] for r in ro.execute(
            "select distinct schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"marts", "reference", "meta"}
        (n,) = ro.execute("select count(*) from marts.deadlines").fetchall()[0]
        assert n == 10
        comments = dict(ro.execute(
            "select column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = 'deadlines'").fetchall())
        assert comments == {"clock_id": "clock id (mã thời hạn)", "version": "test version"}
        (table_comment,) = ro.execute(
            "select comment from duckdb_tables() where table_name = 'deadlines'").fetchall()[0]
        assert table_comment == "Every statutory clock"
        staff_cols = [r[0] for r in ro.execute("describe reference.staff").fetchall()]
        assert "display_name" not in staff_cols and "prosecutor_id" in staff_cols
        assert ro.execute("select run_id, as_of from meta.snapshot").fetchall() == [
            ("run-1", AS_OF)]
        (codes,) = ro.execute("select count(*) from reference.codes").fetchall()[0]
        assert codes > 100
    everything = published.read_bytes()
    assert "Lê Thị Riêng Tư".encode() not in everything
    assert "Trần Văn Kiểm Sát".encode() not in everything
    parquet = sorted(p.name for p in (published.parent / "parquet").iterdir())
    assert parquet == ["deadlines.parquet", "validation_results.parquet"]
    (n,) = duckdb.sql(
        f"select count(*) from '{published.parent / 'parquet' / 'deadlines.parquet'}'"
    ).fetchall()[0]
    assert n == 10


def test_undocumented_columns_are_named(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    assert publish.undocumented_columns(con) == [
        "marts.validation_results", "marts.validation_results.run_id",
        "marts.validation_results.passed",
    ]
    con.close()


def test_a_missing_mart_publishes_nothing(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "pub" / "casewatch.duckdb"
    publish.publish(con, published, run_id="run-1", as_of=AS_OF,
                    required_marts=["deadlines", "validation_results"])
    before = _tree(published.parent)
    _marts(con, 2)
    with pytest.raises(RuntimeError, match="marts.indicator_values"):
        publish.publish(con, published, run_id="run-2", as_of=AS_OF,
                        required_marts=["deadlines", "indicator_values"])
    con.close()
    assert _tree(published.parent) == before


READER = textwrap.dedent(
    """
    import sys, duckdb
    path = sys.argv[1]
    con = duckdb.connect(path, read_only=True)
    def count(c):
        return c.execute("select count(*) from marts.deadlines").fetchall()[0][0]
    print("open", count(con), flush=True)
    sys.stdin.readline()                       # the publish happens now
    print("same-connection", count(con), flush=True)
    con.close()
    con = duckdb.connect(path, read_only=True)  # reconnect after the nightly run
    print("reconnected", count(con), flush=True)
    con.close()
    """
)


def test_publish_succeeds_while_a_reader_holds_the_snapshot(tmp_path) -> None:
    con = _warehouse(tmp_path / "w.duckdb", version=1)
    published = tmp_path / "pub" / "casewatch.duckdb"
    publish.publish(con, published, run_id="run-1", as_of=AS_OF,
                    required_marts=["deadlines", "validation_results"])
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().split() == ["open", "10"]
        _marts(con, 3)
        publish.publish(con, published, run_id="run-2", as_of=AS_OF,
                        required_marts=["deadlines", "validation_results"])
        reader.stdin.write("go\n")
        reader.stdin.flush()
        # The open connection keeps the old snapshot; a new one sees the new data.
        assert reader.stdout.readline().split() == ["same-connection", "10"]
        assert reader.stdout.readline().split() == ["reconnected", "30"]
        assert reader.wait() == 0, reader.stderr.read()
    finally:
        if reader.poll() is None:
            reader.kill()
        con.close()


# ------------------------------------------------------------------------------------------
# In Dagster: the snapshot runs only when every upstream asset and blocking check succeeded


def _defs(tmp_path: Path, *, fail_asset: bool = False, fail_check: bool = False,
          rows: int = 5) -> tuple[dg.Definitions, CasewatchSettings]:
    settings = CasewatchSettings(
        landing_dir=str(tmp_path / "landing"),
        warehouse_path=str(tmp_path / "warehouse.duckdb"),
        out_dir=str(tmp_path / "out"),
        published_path=str(tmp_path / "published" / "casewatch.duckdb"),
        as_of=AS_OF.isoformat(),
    )

    @dg.asset(key=["marts", "deadlines"], deps=[k for a in reference.ASSETS for k in a.keys])
    def deadlines(warehouse: Warehouse) -> None:
        with warehouse.connect() as con:
            con.execute("create or replace table marts.deadlines as "
                        "select i as clock_no from range(?) t(i)", [rows])

    @dg.asset(key=["marts", "indicator_values"], deps=[deadlines])
    def indicator_values(warehouse: Warehouse) -> None:
        if fail_asset:
            raise RuntimeError("the indicator engine broke half-way")
        with warehouse.connect() as con:
            con.execute("create or replace table marts.indicator_values as select ? as n",
                        [rows])
            con.execute("create or replace table marts.validation_results as "
                        "select 'r' as run_id")

    @dg.asset_check(asset=deadlines, blocking=True)
    def deadlines_are_sound() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=not fail_check)

    snapshot = publish.build_snapshot_asset(
        ["deadlines", "indicator_values", "validation_results"])
    defs = dg.Definitions(
        assets=[*reference.ASSETS, deadlines, indicator_values, snapshot],
        asset_checks=[deadlines_are_sound],
        jobs=[dg.define_asset_job("nightly", selection=dg.AssetSelection.all(),
                                  executor_def=dg.in_process_executor)],
        resources={"settings": settings,
                   "warehouse": Warehouse(path=settings.warehouse_path)},
    )
    return defs, settings


def _run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("nightly").execute_in_process(raise_on_error=False)


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {"/".join(e.asset_key.path) for e in result.get_asset_materialization_events()}


def test_a_failed_run_leaves_the_last_good_snapshot_byte_identical(tmp_path) -> None:
    defs, settings = _defs(tmp_path, rows=5)
    assert _run(defs).success
    published = Path(settings.published_path)
    before = _tree(published.parent)
    assert "casewatch.duckdb" in before and "parquet/deadlines.parquet" in before

    # An upstream asset raises half-way: the snapshot is not even attempted.
    defs, _ = _defs(tmp_path, rows=7, fail_asset=True)
    result = _run(defs)
    assert not result.success
    assert "marts/deadlines" in _materialized(result)
    assert "published/snapshot" not in _materialized(result)
    assert _tree(published.parent) == before

    # A blocking check fails: Dagster skips everything downstream, the snapshot included.
    defs, _ = _defs(tmp_path, rows=8, fail_check=True)
    result = _run(defs)
    assert not result.success
    assert "published/snapshot" not in _materialized(result)
    assert _tree(published.parent) == before

    # The next good run publishes.
    defs, _ = _defs(tmp_path, rows=9)
    result = _run(defs)
    assert result.success and "published/snapshot" in _materialized(result)
    assert _tree(published.parent) != before
    with duckdb.connect(str(published), read_only=True) as ro:
        assert ro.execute("select count(*) from marts.deadlines").fetchall() == [(9,)]
        (run_id,) = ro.execute("select run_id from meta.snapshot").fetchall()[0]
        assert run_id == result.run_id


def test_the_snapshot_depends_on_every_mart_of_the_project() -> None:
    from pipelines.definitions import build_defs

    graph = build_defs().resolve_asset_graph()
    snapshot = dg.AssetKey(["published", "snapshot"])
    upstream = {k for k in graph.get(snapshot).parent_keys}
    marts = {dg.AssetKey(["marts", m]) for m in publish.mart_names()}
    assert dg.AssetKey(["marts", "validation_results"]) in marts
    assert marts <= upstream
    assert graph.get(snapshot).group_name == "publish"
    pages = graph.get(dg.AssetKey(["dashboards", "pages"]))
    assert snapshot in pages.parent_keys and pages.group_name == "dashboards"
