"""The dbt project in sql/: models keyed by layer, documented with their grain, and the
compiled-SQL harness the given/expect tests use (pipelines.dbt_compiled)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import dbt_compiled, dbt_project, paths


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    """A two-model project with the real dbt_project.yml, profile and macros."""
    root = tmp_path_factory.mktemp("toy")
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(paths.SQL_DIR / name, root / name)
    shutil.copytree(paths.SQL_DIR / "macros", root / "macros")
    _write(root, "models/sources.yml",
           "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n"
           "      - name: things\n")
    _write(root, "models/staging/stg_things.sql", "select * from {{ source('raw', 'things') }}\n")
    _write(root, "models/staging/stg_things.yml",
           "version: 2\nmodels:\n  - name: stg_things\n    description: Things as landed.\n"
           "    data_tests:\n      - grain_is_unique:\n          name: grain_is_unique\n"
           "          arguments:\n            columns: [thing_id]\n")
    _write(root, "models/marts/thing_counts.sql",
           "with t as (select * from {{ ref('stg_things') }} where seen_on <= {{ as_of() }})\n"
           "select kind, count(*) as n from t group by kind\n")
    _write(root, "checks/marts/thing_counts/no_empty_kind.sql",
           "-- Every kind has a name.\n"
           "{{ config(meta={'dagster': {'ref': {'name': 'thing_counts'}}}, severity='warn') }}\n"
           "select * from {{ ref('thing_counts') }} where kind = ''\n")
    return root


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


def test_compiled_sql_holds_no_run_parameter_and_serves_every_as_of(toy, db) -> None:
    project = dbt_compiled.load(toy)
    mart = project.by_table()["marts.thing_counts"]
    assert "run_param_as_of()" in mart.sql and "2024" not in mart.sql
    assert '"staging"."stg_things"' in mart.sql  # no database name: runs on any connection
    assert dbt_compiled.build(db, "2024-12-31", project=project) == {
        "staging.stg_things": 4, "marts.thing_counts": 2}
    assert dict(db.execute("select kind, n from marts.thing_counts").fetchall()) == {"a": 2, "": 1}
    dbt_compiled.build(db, dt.date(2024, 1, 10), project=project)
    assert dict(db.execute("select kind, n from marts.thing_counts").fetchall()) == {"a": 1}


def test_only_builds_the_requested_model_and_its_upstream(toy, db) -> None:
    project = dbt_compiled.load(toy)
    assert list(dbt_compiled.build(db, "2030-01-01", only=["staging.stg_things"],
                                   project=project)) == ["staging.stg_things"]
    with pytest.raises(KeyError, match="marts.nothing"):
        project.order(["marts.nothing"])


def test_grain_and_checks_report_failures(toy, db) -> None:
    project = dbt_compiled.load(toy)
    dbt_compiled.build(db, "2030-01-01", project=project)
    stg = project.by_table()["staging.stg_things"]
    assert stg.grain == ("thing_id",)
    assert dbt_compiled.grain_violations(db, stg) == 0
    db.execute("insert into staging.stg_things values (1, 'dup', '2024-01-01')")
    assert dbt_compiled.grain_violations(db, stg) == 1
    grain, empty_kind = sorted(project.checks, key=lambda c: c.name)
    assert (grain.name, grain.table, grain.blocking) == ("grain_is_unique", "stg_things", True)
    assert dbt_compiled.check_failures(db, grain)[0] == 1
    assert (empty_kind.severity, empty_kind.blocking) == ("warn", False)
    assert empty_kind.description == "Every kind has a name."
    assert dbt_compiled.check_failures(db, empty_kind) == (1, [("", 1)])


def test_a_changed_project_file_makes_the_manifest_stale(toy) -> None:
    dbt_compiled.load(toy)
    manifest = toy / dbt_compiled.HARNESS_TARGET / "manifest.json"
    assert not dbt_project.is_stale(manifest, toy)
    later = manifest.stat().st_mtime + 5
    os.utime(toy / "models/marts/thing_counts.sql", (later, later))
    assert dbt_project.is_stale(manifest, toy)


def _parse(toy: Path, env: dict[str, str], target: Path) -> dict:
    """`dbt parse` into `target`; dbt's account of what it parsed."""
    dbt_project.run_dbt(["parse", "--quiet", "--target-path", str(target)], toy, env=env)
    return json.loads((target / "perf_info.json").read_text(encoding="utf-8"))


def test_a_build_with_the_same_profile_reuses_the_parse_state(toy, tmp_path) -> None:
    """dbt re-parses every file when the profile (the warehouse, DuckDB's memory settings)
    differs from its saved state's; the state is kept per profile, so the next run with the
    same profile parses nothing, and one with another warehouse gets no state at all."""
    nightly = dbt_project.dbt_env(tmp_path / "w.duckdb", memory_limit="2GB", as_of="2025-01-01")
    first = _parse(toy, nightly, tmp_path / "run1")
    assert first["parsed_path_count"] > 0
    assert not dbt_project.restore_parse_state(nightly, tmp_path / "run2", toy)
    dbt_project.keep_parse_state(nightly, tmp_path / "run1", toy)

    # the next night: another as-of date and run id, the same profile
    next_night = {**nightly, "CASEWATCH_AS_OF": "2025-01-02", "CASEWATCH_RUN_ID": "other"}
    assert dbt_project.restore_parse_state(next_night, tmp_path / "run2", toy)
    second = _parse(toy, next_night, tmp_path / "run2")
    assert second["is_partial_parse_enabled"] and second["parsed_path_count"] == 0

    # another warehouse or memory limit is another profile: no state of the first one's
    for other in (dbt_project.dbt_env(tmp_path / "x.duckdb", memory_limit="2GB"),
                  dbt_project.dbt_env(tmp_path / "w.duckdb", memory_limit="4GB")):
        assert dbt_project.parse_state_path(other, toy) != dbt_project.parse_state_path(
            nightly, toy)
        assert not dbt_project.restore_parse_state(other, tmp_path / "run3", toy)


def test_only_the_most_recently_used_parse_states_are_kept(tmp_path) -> None:
    sql_dir, run = tmp_path / "sql", tmp_path / "run"
    run.mkdir()
    (run / dbt_project.PARTIAL_PARSE_FILE).write_bytes(b"state")
    kept = dbt_project.KEPT_PARSE_STATES
    envs = [dbt_project.dbt_env(tmp_path / f"w{i}.duckdb") for i in range(kept + 1)]
    for i, env in enumerate(envs[:kept]):
        dbt_project.keep_parse_state(env, run, sql_dir)
        os.utime(dbt_project.parse_state_path(env, sql_dir), (1000 + i, 1000 + i))
    assert dbt_project.restore_parse_state(envs[0], tmp_path / "used", sql_dir)  # now the newest
    dbt_project.keep_parse_state(envs[kept], run, sql_dir)
    names = {p.name for p in (sql_dir / "target" / "parse_states").iterdir()}
    assert len(names) == kept
    assert dbt_project.parse_state_path(envs[0], sql_dir).name in names
    assert dbt_project.parse_state_path(envs[1], sql_dir).name not in names  # least recent


def test_only_the_newest_build_folders_are_kept(tmp_path) -> None:
    sql_dir = tmp_path / "sql"
    keep = dbt_project.KEPT_BUILD_TARGETS
    folders = []
    for i in range(keep + 3):
        folder = sql_dir / "target" / f"{dbt_project.BUILD_TARGET_PREFIX}run{i}"
        folder.mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1000 + i, 1000 + i))
        folders.append(folder)
    (sql_dir / "target" / "parse_states").mkdir()
    removed = dbt_project.prune_build_targets(sql_dir)
    assert sorted(removed) == sorted(folders[:3])
    assert [f.exists() for f in folders] == [False] * 3 + [True] * keep
    assert (sql_dir / "target" / "parse_states").exists()  # not a build folder


def test_every_model_is_keyed_by_its_layer_and_documented_with_its_grain() -> None:
    manifest = dbt_project.load_manifest()
    nodes = dbt_project.model_nodes(manifest)
    assert len(nodes) > 50
    for uid, node in nodes.items():
        schema = node["schema"]
        assert schema in dbt_project.MODEL_SCHEMAS
        assert node["original_file_path"].startswith(f"models/{schema}/"), uid
        assert node["description"], f"{uid} has no description"
        assert dbt_project.grain(manifest, uid), f"{uid} has no grain_is_unique test"
        assert node["config"]["materialized"] in ("table", "view")
        if schema == "marts":
            assert node["columns"], f"{uid} documents no column"


def test_project_models_are_acyclic_and_read_only_known_relations() -> None:
    models = dbt_compiled.discover_models()
    order = dbt_compiled.topological_order(models)
    assert len(order) == len(models) > 0
    manifest = dbt_project.load_manifest()
    for node in dbt_project.model_nodes(manifest).values():
        for parent in node["depends_on"]["nodes"]:
            kind = parent.split(".")[0]
            assert kind in ("model", "source"), (node["name"], parent)


# No edge of the graph goes back up: raw and reference are read from above, staging reads only
# them, intermediate reads staging and intermediate (never raw), marts read anything below and
# other marts. A model never reads a layer above its own.
RANK = {"raw": 0, "reference": 0, "staging": 1, "intermediate": 2, "marts": 3}
SAME_LAYER_OK = {"intermediate", "marts"}


def _layer(manifest, unique_id: str) -> str:
    if unique_id.startswith("source."):
        return manifest["sources"][unique_id]["source_name"]
    return manifest["nodes"][unique_id]["schema"]


def edge_goes_back_up(child: str, parent: str) -> bool:
    if child == "intermediate" and parent == "raw":
        return True
    if child == parent:
        return child not in SAME_LAYER_OK
    return RANK[parent] > RANK[child]


def test_no_edge_of_the_dbt_graph_goes_back_up() -> None:
    manifest = dbt_project.load_manifest()
    wrong = sorted(
        f"{node['schema']}.{node['name']} reads {parent}"
        for node in dbt_project.model_nodes(manifest).values()
        for parent in node["depends_on"]["nodes"]
        if edge_goes_back_up(node["schema"], _layer(manifest, parent))
    )
    assert wrong == []


def test_the_layer_rule_catches_each_kind_of_wrong_edge() -> None:
    assert edge_goes_back_up("staging", "staging")
    assert edge_goes_back_up("intermediate", "marts")
    assert edge_goes_back_up("intermediate", "raw")
    assert edge_goes_back_up("staging", "intermediate")
    assert not edge_goes_back_up("intermediate", "intermediate")
    assert not edge_goes_back_up("marts", "intermediate")
    assert not edge_goes_back_up("staging", "raw")


def test_every_mart_column_is_documented_and_every_documented_column_exists(con) -> None:
    """Built on an empty warehouse: the YAML documents exactly the columns of each mart (they
    become the DuckDB comments and the column schemas shown in Dagster)."""
    project = dbt_compiled.load()
    dbt_compiled.build(con, "2025-12-31", project=project)
    for model in project.models.values():
        if model.schema != "marts":
            continue
        actual = [r[0] for r in con.execute(f"describe {model.table}").fetchall()]
        assert sorted(model.column_docs) == sorted(actual), model.table


def test_the_unit_tables_of_the_sql_are_the_contract_tables_with_a_unit_code() -> None:
    from pipelines.dashboards.model import UNIT_TABLES

    sql = dbt_compiled.load().by_table()["marts.quarantine_rates"].sql
    assert set(re.findall(r'"raw"\."(\w+)"', sql)) == set(UNIT_TABLES)


def test_nothing_that_renders_a_page_reads_raw_or_staging() -> None:
    """The dashboards and the stewards' report read marts (and reference data) only: the
    analysis is in the dbt models."""
    pattern = re.compile(r"\b(raw|staging|intermediate)\.[a-z_]+\b")
    offending = []
    for folder in ("dashboards", "quality"):
        for path in sorted((paths.ROOT / "pipelines" / folder).glob("*.py")):
            text = path.read_text(encoding="utf-8")
            offending += [f"{path.name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offending == []
