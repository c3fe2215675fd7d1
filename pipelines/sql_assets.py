"""Dagster assets and checks derived from the `sql/` folder (see `pipelines.sql_runner`)."""

import dagster as dg

from pipelines import sql_runner
from pipelines.check_log import record_check
from pipelines.resources import CasewatchSettings, Warehouse

OWNER = "team:casewatch-data"


def _model_asset(model: sql_runner.SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        key=list(model.key),
        name=None,
        group_name=model.schema,
        deps=[dg.AssetKey(list(d)) for d in sorted(model.deps)],
        description=(model.description or model.table)
        + (f"\n\nGrain: {', '.join(model.grain)}" if model.grain else ""),
        kinds={"duckdb", "sql"},
        owners=[OWNER],
        metadata={"sql_file": str(model.path.relative_to(sql_runner.SQL_DIR.parent))},
    )
    def _asset(
        context: dg.AssetExecutionContext, settings: CasewatchSettings, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        values = sql_runner.default_params(settings.as_of_date(), context.run_id)
        with warehouse.connect() as con:
            rows = sql_runner.build_model(con, model, values)
            cols = con.execute(f"describe {model.table}").fetchall()
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "dagster/column_schema": dg.TableSchema(
                    columns=[
                        dg.TableColumn(
                            name=c[0], type=str(c[1]), description=model.column_docs.get(c[0])
                        )
                        for c in cols
                    ]
                ),
            }
        )

    return _asset


def _grain_check(model: sql_runner.SqlModel) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(model.key)),
        name="grain_is_unique",
        blocking=True,
        description=f"One row per ({', '.join(model.grain)}).",
    )
    def _check(context, warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            n = sql_runner.grain_violations(con, model)
            record_check(
                con,
                run_id=context.run.run_id,
                asset=model.table,
                check_name="grain_is_unique",
                tool="sql",
                severity="error",
                passed=n == 0,
                failing_count=n,
                detail=f"duplicate keys on ({', '.join(model.grain)})",
            )
        return dg.AssetCheckResult(passed=n == 0, metadata={"duplicate_keys": n})

    return _check


def _sql_check(check: sql_runner.SqlCheck) -> dg.AssetChecksDefinition:
    severity = (
        dg.AssetCheckSeverity.WARN if check.severity == "warn" else dg.AssetCheckSeverity.ERROR
    )

    @dg.asset_check(
        asset=dg.AssetKey([check.schema, check.table]),
        name=check.name,
        blocking=check.blocking,
        description=check.description or check.name,
        additional_deps=[
            dg.AssetKey(list(d)) for d in sorted(check.deps) if d != (check.schema, check.table)
        ],
    )
    def _check(context, settings: CasewatchSettings, warehouse: Warehouse) -> dg.AssetCheckResult:
        values = sql_runner.default_params(settings.as_of_date(), context.run.run_id)
        with warehouse.connect() as con:
            n, sample = sql_runner.check_failures(con, check, values)
            record_check(
                con,
                run_id=context.run.run_id,
                asset=f"{check.schema}.{check.table}",
                check_name=check.name,
                tool="sql",
                severity=check.severity,
                passed=n == 0,
                failing_count=n,
                detail=check.description,
            )
        return dg.AssetCheckResult(
            passed=n == 0,
            severity=severity,
            metadata={"failing_rows": n, "sql_file": str(check.path.name)},
        )

    return _check


def build_sql_definitions() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    models = sql_runner.discover_models()
    assets = [_model_asset(m) for m in models.values()]
    checks = [_grain_check(m) for m in models.values() if m.grain]
    checks += [_sql_check(c) for c in sql_runner.discover_checks()]
    return assets, checks
