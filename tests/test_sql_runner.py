"""The SQL model runner: discovery, dependency order, parameters, grain and check evaluation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines import sql_runner


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        "staging/stg_things.sql",
        "-- Things as landed.\n-- grain: thing_id\n-- column thing_id: the id (mã)\n"
        "select * from raw.things\n",
    )
    _write(
        tmp_path,
        "marts/thing_counts.sql",
        "-- Things per kind up to the as-of date.\n-- grain: kind\n"
        "with t as (select * from staging.stg_things where seen_on <= $as_of)\n"
        "select kind, count(*) as n from t group by kind\n",
    )
    _write(
        tmp_path,
        "checks/marts/thing_counts/no_empty_kind.sql",
        "-- Every kind has a name.\n-- severity: warn\n"
        "select * from marts.thing_counts where kind = ''\n",
    )
    return tmp_path


@pytest.fixture
def db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.things (thing_id int, kind varchar, seen_on date)")
    con.execute(
        "insert into raw.things values (1, 'a', '2024-01-01'), (2, 'a', '2024-02-01'),"
        " (3, '', '2024-01-15'), (4, 'b', '2025-01-01')"
    )
    return con


def test_discovery_derives_dependencies_and_header_docs(sql_dir: Path) -> None:
    models = sql_runner.discover_models(sql_dir)
    mart = models[("marts", "thing_counts")]
    assert mart.deps == {("staging", "stg_things")}
    assert mart.params == {"as_of"}
    assert mart.grain == ("kind",)
    stg = models[("staging", "stg_things")]
    assert stg.deps == {("raw", "things")}
    assert stg.column_docs == {"thing_id": "the id (mã)"}
    order = [m.table for m in sql_runner.topological_order(models)]
    assert order.index("staging.stg_things") < order.index("marts.thing_counts")


def test_models_build_with_named_parameters_and_comments(sql_dir, db) -> None:
    counts = sql_runner.run_models(db, {"as_of": dt.date(2024, 12, 31)}, sql_dir=sql_dir)
    assert counts == {"staging.stg_things": 4, "marts.thing_counts": 2}
    rows = dict(db.execute("select kind, n from marts.thing_counts").fetchall())
    assert rows == {"a": 2, "": 1}
    comment = db.execute(
        "select comment from duckdb_columns() where table_name = 'stg_things' "
        "and column_name = 'thing_id'"
    ).fetchall()
    assert comment == [("the id (mã)",)]


def test_missing_parameter_is_a_clear_error(sql_dir, db) -> None:
    with pytest.raises(KeyError, match="as_of"):
        sql_runner.run_models(db, {}, sql_dir=sql_dir)


def test_grain_and_checks_report_failures(sql_dir, db) -> None:
    models = sql_runner.discover_models(sql_dir)
    sql_runner.run_models(db, {"as_of": dt.date(2030, 1, 1)}, sql_dir=sql_dir)
    assert sql_runner.grain_violations(db, models[("marts", "thing_counts")]) == 0
    db.execute("insert into staging.stg_things values (1, 'dup', '2024-01-01')")
    assert sql_runner.grain_violations(db, models[("staging", "stg_things")]) == 1
    (check,) = sql_runner.discover_checks(sql_dir)
    assert (check.severity, check.blocking) == ("warn", False)
    failing, sample = sql_runner.check_failures(db, check, {})
    assert failing == 1 and sample == [("", 1)]


def test_only_builds_the_requested_model_and_its_upstream(sql_dir, db) -> None:
    built = sql_runner.run_models(
        db, {"as_of": dt.date(2030, 1, 1)}, sql_dir=sql_dir, only=["staging.stg_things"]
    )
    assert list(built) == ["staging.stg_things"]


def test_project_models_are_discoverable_and_acyclic() -> None:
    models = sql_runner.discover_models()
    order = sql_runner.topological_order(models)
    assert len(order) == len(models) > 0
    for model in models.values():
        unknown = {d for d in model.deps if d[0] in sql_runner.MODEL_SCHEMAS and d not in models}
        assert not unknown, f"{model.table} reads models that do not exist: {unknown}"
