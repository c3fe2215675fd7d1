"""Run the dbt models' compiled SQL on a DuckDB connection, without starting dbt per call.

The nightly run builds the models with one `dbt build` (`pipelines.dbt_assets`). The SQL
given/expect tests and the benchmark build a few models many times on their own connections,
where starting dbt each time (about 10 s) would dominate. They use this module instead:

- the project is compiled once (`dbt compile` into `sql/target/harness/`, redone only when a
  project file changed);
- the compiled SQL holds no run parameter: `{{ as_of() }}` compiles to the DuckDB macro call
  `run_param_as_of()`, which `build()` defines on the connection, so one compilation serves
  every as-of date;
- relations compile to `"schema"."table"`, so the SQL runs on any connection that has the
  `raw` and `reference` schemas.

`build()` materialises the chosen models and everything upstream in dependency order, exactly
as dbt's table materialisation does (`create table ... as <compiled SQL>`, then the comments
of `persist_docs`); `check_failures()`
runs a check (a dbt test) the same way dbt does and counts the rows it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb

from pipelines import dbt_project
from pipelines.paths import SQL_DIR

HARNESS_TARGET = "target/harness"


@dataclass(frozen=True)
class CompiledModel:
    unique_id: str
    schema: str
    name: str
    sql: str
    depends_on: frozenset[str]
    grain: tuple[str, ...]
    deps: frozenset[tuple[str, str]]  # (schema, table) of the models it reads
    description: str = ""
    column_docs: Mapping[str, str] = field(default_factory=dict)
    materialized: str = "table"  # or "view"

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class CompiledCheck:
    unique_id: str
    name: str
    schema: str
    table: str
    sql: str
    severity: str
    description: str

    @property
    def target(self) -> tuple[str, str]:
        return (self.schema, self.table)

    @property
    def blocking(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class CompiledProject:
    models: Mapping[str, CompiledModel]  # by unique_id
    checks: tuple[CompiledCheck, ...]

    def by_table(self) -> dict[str, CompiledModel]:
        return {m.table: m for m in self.models.values()}

    def order(self, only: Iterable[str] | None = None) -> list[CompiledModel]:
        """Models in dependency order; `only` (`schema.table` names) keeps those and their
        upstream."""
        wanted = set(self.models)
        if only is not None:
            tables = self.by_table()
            unknown = [t for t in only if t not in tables]
            if unknown:
                raise KeyError(f"not a model: {', '.join(unknown)}")
            wanted, stack = set(), [tables[t].unique_id for t in only]
            while stack:
                uid = stack.pop()
                if uid not in wanted:
                    wanted.add(uid)
                    stack.extend(self.models[uid].depends_on)
        graph = {uid: set(self.models[uid].depends_on) for uid in wanted}
        return [self.models[uid] for uid in TopologicalSorter(graph).static_order()]

    def upstream(self, tables: Iterable[str]) -> set[str]:
        return {m.table for m in self.order(tables)}


def _compile(sql_dir: Path) -> Path:
    target = sql_dir / HARNESS_TARGET
    manifest = target / "manifest.json"
    if dbt_project.is_stale(manifest, sql_dir):
        # `:memory:`: compiling needs a connection, not the warehouse.
        dbt_project.run_dbt(
            ["compile", "--quiet", "--target-path", HARNESS_TARGET],
            sql_dir,
            env={**dbt_project.dbt_env(), "CASEWATCH_WAREHOUSE": ":memory:"},
        )
    return manifest


_LOADED: dict[tuple[str, float], CompiledProject] = {}


def load(sql_dir: Path = SQL_DIR) -> CompiledProject:
    """The compiled project (compiling first when a project file changed)."""
    path = _compile(sql_dir)
    key = (str(path), path.stat().st_mtime)
    if key not in _LOADED:
        _LOADED[key] = _read(dbt_project.load_manifest(path))
    return _LOADED[key]


def _read(manifest: Mapping[str, Any]) -> CompiledProject:
    nodes = dbt_project.model_nodes(manifest)
    models = {
        uid: CompiledModel(
            unique_id=uid,
            schema=n["schema"],
            name=n["name"],
            sql=n["compiled_code"],
            depends_on=frozenset(d for d in n["depends_on"]["nodes"] if d in nodes),
            grain=tuple(dbt_project.grain(manifest, uid)),
            deps=frozenset(
                (nodes[d]["schema"], nodes[d]["name"])
                for d in n["depends_on"]["nodes"]
                if d in nodes
            ),
            description=n.get("description", ""),
            column_docs={c: v.get("description", "") for c, v in n["columns"].items()},
            materialized=n["config"]["materialized"],
        )
        for uid, n in nodes.items()
    }
    checks = []
    for uid, n in manifest["nodes"].items():
        if n["resource_type"] != "test":
            continue
        attached = n.get("attached_node") or _dagster_ref(manifest, n)
        target = nodes[attached]
        checks.append(
            CompiledCheck(
                unique_id=uid,
                name=n["name"],
                schema=target["schema"],
                table=target["name"],
                sql=n["compiled_code"],
                severity=n["config"].get("severity", "error").lower(),
                description=dbt_project.check_description(manifest, uid),
            )
        )
    return CompiledProject(models=models, checks=tuple(sorted(checks, key=lambda c: c.unique_id)))


def _dagster_ref(manifest: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    name = node["config"]["meta"]["dagster"]["ref"]["name"]
    return f"model.{dbt_project.PROJECT_NAME}.{name}"


def discover_models() -> dict[tuple[str, str], CompiledModel]:
    """Every model by (schema, table)."""
    return {m.key: m for m in load().models.values()}


def topological_order(selected: Mapping[tuple[str, str], CompiledModel]) -> list[CompiledModel]:
    """The given models in dependency order."""
    graph = {k: {d for d in m.deps if d in selected} for k, m in selected.items()}
    return [selected[k] for k in TopologicalSorter(graph).static_order()]


def checks(table: str | None = None) -> list[CompiledCheck]:
    """The checks (dbt tests), all or those on one table (its name without the schema)."""
    return [c for c in load().checks if table is None or c.table == table]


def set_run_vars(con: duckdb.DuckDBPyConnection, as_of: dt.date | str, run_id: str = "local"):
    """Define the run parameters on `con` as dbt's on-run-start hook does in the warehouse
    (`sql/macros/run_vars.sql`)."""
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    con.execute(f"create or replace macro run_param_as_of() as date '{as_of.isoformat()}'")
    con.execute(f"create or replace macro run_param_run_id() as {_quote(run_id)}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_model(con: duckdb.DuckDBPyConnection, model: CompiledModel) -> int:
    """Materialise one model (a table, or a view) with its comments (dbt's persist_docs)."""
    con.execute(f"create schema if not exists {model.schema}")
    if model.materialized == "view":
        con.execute(f"create or replace view {model.table} as (\n{model.sql}\n)")
    else:
        con.execute(f"create or replace table {model.table} as (\n{model.sql}\n)")
    kind = "view" if model.materialized == "view" else "table"
    if model.description:
        con.execute(f"comment on {kind} {model.table} is {_quote(model.description)}")
    for column, text in model.column_docs.items():
        if text:
            con.execute(f"comment on column {model.table}.{column} is {_quote(text)}")
    (count,) = con.execute(f"select count(*) from {model.table}").fetchall()[0]
    return int(count)


def build(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date | str,
    only: Iterable[str] | None = None,
    run_id: str = "local",
    project: CompiledProject | None = None,
) -> dict[str, int]:
    """Materialise the models (`only`: these `schema.table` and their upstream) on `con`
    for `as_of`; returns row counts by table."""
    project = project or load()
    set_run_vars(con, as_of, run_id)
    return {m.table: build_model(con, m) for m in project.order(only)}


def check_failures(
    con: duckdb.DuckDBPyConnection,
    check: CompiledCheck,
    as_of: dt.date | str | None = None,
    sample: int = 5,
) -> tuple[int, list[tuple]]:
    """Rows a check returns (it passes with none) and a few of them, for `as_of` (default: the
    run variables already set on `con` by `build`)."""
    if as_of is not None:
        set_run_vars(con, as_of)
    (n,) = con.execute(f"select count(*) from (\n{check.sql}\n)").fetchall()[0]
    rows = con.execute(f"select * from (\n{check.sql}\n) limit {sample}").fetchall() if n else []
    return int(n), rows


def grain_violations(con: duckdb.DuckDBPyConnection, model: CompiledModel) -> int:
    """Keys of a model's grain held by more than one row."""
    cols = ", ".join(model.grain)
    (n,) = con.execute(
        f"select count(*) from (select {cols} from {model.table} group by all having count(*) > 1)"
    ).fetchall()[0]
    return int(n)
