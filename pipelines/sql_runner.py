"""The home-made SQL model runner: one `.sql` file = one DuckDB table = one Dagster asset.

Layout (`sql/`):

- `sql/<schema>/<table>.sql` for schema in staging, intermediate, marts: a single SELECT
  (CTE style). It is materialised as `create or replace table <schema>.<table> as ...`.
- `sql/checks/<schema>/<table>/<invariant>.sql`: a SELECT returning the rows that break the
  invariant; the check passes when it returns none.

A model's header (its leading `--` comment lines) documents it:

    -- One row per statutory clock.          <- description (becomes COMMENT ON TABLE)
    -- grain: clock_id                       <- uniqueness check `grain_is_unique`
    -- column due_on: deadline after roll    <- COMMENT ON COLUMN

Check headers may say `-- severity: warn` (default `error`) and `-- blocking: false`
(default true for error severity).

Dependencies are derived from the schema-qualified names the SQL mentions, never typed twice.
Parameters are DuckDB named parameters (`$as_of`), bound from the run settings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb

from pipelines.paths import SQL_DIR

MODEL_SCHEMAS = ("staging", "intermediate", "marts")
SOURCE_SCHEMAS = ("raw", "reference")
_REF_RE = re.compile(r"\b(raw|reference|staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
_PARAM_RE = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT_LINE_RE = re.compile(r"--[^\n]*")


def _strip_comments(sql: str) -> str:
    return _COMMENT_LINE_RE.sub("", sql)


def _header(sql: str) -> list[str]:
    lines = []
    for line in sql.splitlines():
        s = line.strip()
        if not s:
            if lines:
                break
            continue
        if not s.startswith("--"):
            break
        lines.append(s[2:].strip())
    return lines


@dataclass(frozen=True)
class SqlModel:
    schema: str
    name: str
    path: Path
    sql: str
    description: str
    grain: tuple[str, ...]
    column_docs: Mapping[str, str]
    deps: frozenset[tuple[str, str]]
    params: frozenset[str]

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class SqlCheck:
    schema: str
    table: str
    name: str
    path: Path
    sql: str
    description: str
    severity: str = "error"
    blocking: bool = True
    deps: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    params: frozenset[str] = field(default_factory=frozenset)

    @property
    def target(self) -> tuple[str, str]:
        return (self.schema, self.table)


def _parse_model(schema: str, path: Path) -> SqlModel:
    sql = path.read_text(encoding="utf-8")
    header = _header(sql)
    description, grain, columns = [], (), {}
    for line in header:
        low = line.lower()
        if low.startswith("grain:"):
            grain = tuple(c.strip() for c in line.split(":", 1)[1].split(",") if c.strip())
        elif low.startswith("column "):
            col, _, text = line[len("column ") :].partition(":")
            columns[col.strip()] = text.strip()
        else:
            description.append(line)
    body = _strip_comments(sql)
    refs = {m for m in _REF_RE.findall(body)} - {(schema, path.stem)}
    return SqlModel(
        schema=schema,
        name=path.stem,
        path=path,
        sql=sql,
        description=" ".join(d for d in description if d).strip(),
        grain=grain,
        column_docs=columns,
        deps=frozenset(refs),
        params=frozenset(_PARAM_RE.findall(body)),
    )


def _parse_check(schema: str, table: str, path: Path) -> SqlCheck:
    sql = path.read_text(encoding="utf-8")
    description, severity, blocking = [], "error", None
    for line in _header(sql):
        low = line.lower()
        if low.startswith("severity:"):
            severity = low.split(":", 1)[1].strip()
        elif low.startswith("blocking:"):
            blocking = low.split(":", 1)[1].strip() in ("true", "yes", "1")
        else:
            description.append(line)
    body = _strip_comments(sql)
    return SqlCheck(
        schema=schema,
        table=table,
        name=path.stem,
        path=path,
        sql=sql,
        description=" ".join(description).strip(),
        severity=severity,
        blocking=(severity == "error") if blocking is None else blocking,
        deps=frozenset(_REF_RE.findall(body)),
        params=frozenset(_PARAM_RE.findall(body)),
    )


def discover_models(sql_dir: Path = SQL_DIR) -> dict[tuple[str, str], SqlModel]:
    models = {}
    for schema in MODEL_SCHEMAS:
        for path in sorted((sql_dir / schema).glob("*.sql")):
            model = _parse_model(schema, path)
            models[model.key] = model
    return models


def discover_checks(sql_dir: Path = SQL_DIR) -> list[SqlCheck]:
    checks = []
    for path in sorted((sql_dir / "checks").glob("*/*/*.sql")):
        checks.append(_parse_check(path.parent.parent.name, path.parent.name, path))
    return checks


def topological_order(models: Mapping[tuple[str, str], SqlModel]) -> list[SqlModel]:
    graph = {k: {d for d in m.deps if d in models} for k, m in models.items()}
    return [models[k] for k in TopologicalSorter(graph).static_order()]


def bind(params: Iterable[str], values: Mapping[str, Any]) -> dict[str, Any]:
    missing = [p for p in params if p not in values]
    if missing:
        raise KeyError(f"SQL parameter(s) without a value: {', '.join(sorted(missing))}")
    return {p: values[p] for p in params}


def default_params(as_of: dt.date, run_id: str = "local") -> dict[str, Any]:
    return {"as_of": as_of, "run_id": run_id}


def build_model(con: duckdb.DuckDBPyConnection, model: SqlModel, values: Mapping[str, Any]) -> int:
    """Materialise one model; returns its row count."""
    con.execute(f"create schema if not exists {model.schema}")
    body = model.sql.rstrip().rstrip(";")
    con.execute(f"create or replace table {model.table} as\n{body}\n", bind(model.params, values))
    comment = model.description.replace("'", "''")
    if comment:
        con.execute(f"comment on table {model.table} is '{comment}'")
    cols = {r[0] for r in con.execute(f"describe {model.table}").fetchall()}
    for col, text in model.column_docs.items():
        if col in cols:
            con.execute(
                f"comment on column {model.table}.{col} is '{text.replace(chr(39), chr(39) * 2)}'"
            )
    (count,) = con.execute(f"select count(*) from {model.table}").fetchall()[0]
    return int(count)


def upstream(
    models: Mapping[tuple[str, str], SqlModel], tables: Iterable[str]
) -> set[tuple[str, str]]:
    """The named models (`schema.name`) and every model they read, directly or not."""
    seen: set[tuple[str, str]] = set()
    stack = [tuple(t.split(".", 1)) for t in tables]
    while stack:
        key = stack.pop()
        if key in seen or key not in models:
            continue
        seen.add(key)  # type: ignore[arg-type]
        stack.extend(models[key].deps)  # type: ignore[index]
    return seen


def run_models(
    con: duckdb.DuckDBPyConnection,
    values: Mapping[str, Any],
    sql_dir: Path = SQL_DIR,
    only: Iterable[str] | None = None,
) -> dict[str, int]:
    """Build models in dependency order without Dagster (SQL unit tests, benchmarks).

    `only` restricts to the named tables (`schema.name`) and everything upstream of them.
    """
    models = discover_models(sql_dir)
    order = topological_order(models)
    if only is not None:
        wanted = upstream(models, only)
        order = [m for m in order if m.key in wanted]
    return {m.table: build_model(con, m, values) for m in order}


def grain_violations(con: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    cols = ", ".join(model.grain)
    (n,) = con.execute(
        f"select count(*) from (select {cols} from {model.table} group by all having count(*) > 1)"
    ).fetchall()[0]
    return int(n)


def check_failures(
    con: duckdb.DuckDBPyConnection, check: SqlCheck, values: Mapping[str, Any], sample: int = 5
) -> tuple[int, list[tuple]]:
    body = check.sql.rstrip().rstrip(";")
    params = bind(check.params, values)
    (n,) = con.execute(f"select count(*) from (\n{body}\n)", params).fetchall()[0]
    rows = con.execute(f"select * from (\n{body}\n) limit {sample}", params).fetchall() if n else []
    return int(n), rows
