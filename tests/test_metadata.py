"""Snapshot metadata: every schema, table and column published carries a comment, and none
holds an unrendered parameter (`$as_of`, jinja). The whole-run check is in
tests/test_analyst_guide.py; these build a tiny warehouse and publish it."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines import paths, publish
from pipelines.contract import create_raw_tables
from pipelines.reference.load import load_reference

AS_OF = dt.date(2025, 12, 31)


def _warehouse(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for schema in ("raw", "reference", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    con.execute("create or replace table reference.staff (prosecutor_id varchar, "
                "unit_code varchar, valid_from date, valid_to date, display_name varchar)")
    create_raw_tables(con)
    con.execute("create table marts.deadlines as select 'c1' as clock_id, 'open' as status")
    con.execute("comment on table marts.deadlines is 'Every statutory clock as of the as-of date'")
    con.execute("comment on column marts.deadlines.clock_id is 'clock id (mã thời hạn)'")
    con.execute("comment on column marts.deadlines.status is 'clock_status code (trạng thái)'")
    return con


def _publish(tmp_path, con) -> duckdb.DuckDBPyConnection:
    target = tmp_path / "published" / "casewatch.duckdb"
    publish.publish(con, target, run_id="r1", as_of=AS_OF, required_marts=["deadlines"])
    return duckdb.connect(str(target), read_only=True)


def test_reference_tables_and_schemas_are_documented(tmp_path) -> None:
    snap = _publish(tmp_path, _warehouse(tmp_path / "w.duckdb"))
    assert publish.comment_problems(snap) == []
    (units,) = snap.execute("select comment from duckdb_tables() where schema_name = "
                            "'reference' and table_name = 'units'").fetchone()
    assert units.startswith("Đơn vị (units)")
    schemas = dict(snap.execute("select schema_name, comment from meta.schemas").fetchall())
    assert set(schemas) == {"marts", "reference", "meta"} and all(schemas.values())
    # staff names are withheld, and their column needs no comment
    assert "display_name" not in {r[0] for r in snap.execute("describe reference.staff").fetchall()}


@pytest.mark.parametrize(("sql", "expected"), [
    ("comment on table marts.deadlines is 'clocks as of $as_of'",
     "marts.deadlines: unrendered parameter"),
    ("comment on column marts.deadlines.status is 'status as of {{ as_of() }}'",
     "marts.deadlines.status: unrendered parameter"),
    ("comment on column marts.deadlines.status is ''", "marts.deadlines.status: no comment"),
    ("create table reference.undocumented as select 1 as x",
     "reference.undocumented: no comment"),
])
def test_a_missing_or_templated_comment_is_reported(tmp_path, sql, expected) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    con.execute(sql)
    problems = publish.comment_problems(_publish(tmp_path, con))
    assert any(p.startswith(expected) for p in problems), problems
