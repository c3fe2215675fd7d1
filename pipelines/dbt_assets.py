"""The SQL models (the dbt project in `sql/`) as Dagster assets, built by one `dbt build`.

Every model is an asset keyed `[schema, table]` in the group of its layer; `raw` and
`reference` sources map to the Python loaders' assets. dbt tests are asset checks (blocking
when their severity is `error`), and each evaluation is recorded in `marts.validation_results`.
The run passes `as_of`, `run_id` and the warehouse file as dbt vars.
"""


import importlib.metadata
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any
from uuid import uuid4

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging.version import Version

from pipelines import dbt_project
from pipelines.check_log import record_check
from pipelines.resources import CasewatchSettings, Warehouse

# The manifest defines the assets: parse the project when it is missing or older than a file
# of `sql/` (a cheap check when it is fresh; `make setup` prepares it).
dbt_project.ensure_manifest()
DBT_PROJECT = DbtProject(project_dir=dbt_project.SQL_DIR, profiles_dir=dbt_project.SQL_DIR)


class CasewatchTranslator(DagsterDbtTranslator):
    """Keys `[schema, table]`, the layer as group, the description with the grain."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = self.get_resource_props(manifest, unique_id)
        if node["resource_type"] != "model":
            return spec
        grain = dbt_project.grain(manifest, unique_id)
        description = node.get("description") or node["name"]
        if grain:
            description += f"\n\nGrain: {', '.join(grain)}"
        return spec.replace_attributes(
            description=description, kinds={"dbt", "duckdb", "sql"}
        ).merge_attributes(metadata={"sql_file": f"sql/{node['original_file_path']}"})

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=dbt_project.check_description(manifest, unique_id),
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


# code references: each model's .sql file (definitions.py adds the Python source)
TRANSLATOR = CasewatchTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=True)
)


def _checks_by_key(manifest: Mapping[str, Any]) -> dict[tuple[tuple[str, ...], str], dict]:
    """(asset key path, check name) -> severity and detail of the dbt test."""
    out = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        attached = node.get("attached_node") or (
            f"model.{dbt_project.PROJECT_NAME}."
            + node["config"]["meta"]["dagster"]["ref"]["name"]
        )
        target = manifest["nodes"][attached]
        out[((target["schema"], target["name"]), node["name"])] = {
            "severity": node["config"].get("severity", "error").lower(),
            "detail": dbt_project.check_detail(manifest, uid),
        }
    return out


def _table_metadata(con, table: str, docs: Mapping[str, str]) -> dict[str, Any]:
    (rows,) = con.execute(f"select count(*) from {table}").fetchall()[0]
    columns = con.execute(f"describe {table}").fetchall()
    return {
        "dagster/row_count": int(rows),
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(name=c[0], type=str(c[1]), description=docs.get(c[0]))
                for c in columns
            ]
        ),
    }


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    name="sql_models",
)
def sql_models(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    settings: CasewatchSettings,
    warehouse: Warehouse,
) -> Iterator[Any]:
    # The run parameters and the warehouse go to dbt through its environment (profiles.yml,
    # sql/macros/run_vars.sql): a changed --vars would make dbt re-parse the whole project.
    env = dbt_project.dbt_env(
        warehouse.path,
        memory_limit=settings.memory_limit,
        as_of=settings.as_of_date().isoformat(),
        run_id=context.run.run_id,
    )
    Path(warehouse.path).parent.mkdir(parents=True, exist_ok=True)
    # dbt's parse state from the last build with the same profile (see pipelines.dbt_project)
    run_tag = f"{context.run.run_id[:8]}-{uuid4().hex[:7]}"
    target = dbt_project.SQL_DIR / "target" / f"{dbt_project.BUILD_TARGET_PREFIX}{run_tag}"
    dbt_project.restore_parse_state(env, target)
    with _environment(env):
        invocation = dbt.cli(["build"], context=context, raise_on_error=False, target_path=target)
    # DuckDB has one writer: dbt holds the warehouse until it exits, so the events are read to
    # the end before the row counts and check results are written.
    events = list(invocation.stream())
    dbt_project.keep_parse_state(env, target)
    manifest = invocation.manifest
    checks = _checks_by_key(manifest)
    docs = {
        (n["schema"], n["name"]): {c: v.get("description", "") for c, v in n["columns"].items()}
        for n in dbt_project.model_nodes(manifest).values()
    }
    with warehouse.connect() as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = tuple(context.asset_key_for_output(event.output_name).path)
                event = event.with_metadata(
                    {**event.metadata, **_table_metadata(con, ".".join(key), docs.get(key, {}))}
                )
            elif isinstance(event, dg.AssetCheckResult):
                key = tuple(event.asset_key.path)
                info = checks.get((key, event.check_name), {})
                failing = event.metadata.get("dagster_dbt/failed_row_count", 0)
                failing = getattr(failing, "value", failing)
                record_check(
                    con,
                    run_id=context.run.run_id,
                    asset=".".join(key),
                    check_name=event.check_name,
                    tool="sql",
                    severity=info.get("severity", "error"),
                    passed=event.passed,
                    failing_count=int(failing or 0),
                    detail=info.get("detail", ""),
                )
            yield event
    errors = [
        f"{r['unique_id']}: {r.get('message')}"
        for r in invocation.get_artifact("run_results.json")["results"]
        if r["status"] in ("error", "runtime error")
    ]
    dbt_project.prune_build_targets()  # this run's folder is the newest: it stays
    if errors:
        raise dg.Failure(description="dbt build failed:\n" + "\n".join(errors))


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """`DbtCliResource` hands dbt this process's environment; set it for one invocation."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class WarehouseDbt(DbtCliResource):
    """`dbt` on the project, without two start-up costs of dagster-dbt's resource (together
    about 5 s per run on this project):

    - the version comes from the installed dbt-core package (pinned in pyproject.toml) instead
      of a `dbt --version` subprocess;
    - row counts and column schemas are read from the warehouse after the build
      (`sql_models`), so the in-process dbt adapter is not started.
    """

    @cached_property
    def _cli_version(self) -> Version:  # type: ignore[override]
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    return WarehouseDbt(
        project_dir=DBT_PROJECT, dbt_executable=dbt_project.dbt_executable()
    )
