"""The one Definitions object: every asset group, check, resource, job and schedule.

Layers (asset groups): reference and raw (Python loaders), staging -> intermediate -> marts
(the dbt project in sql/), quality (Great Expectations and the steward report), dashboards and
publishing.
"""

from __future__ import annotations

import dagster as dg

from pipelines import dashboards, ingest, quality, reference
from pipelines.dbt_assets import dbt_resource, sql_models
from pipelines.resources import CasewatchSettings, Warehouse

NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = "Asia/Ho_Chi_Minh"


def build_defs(settings: CasewatchSettings | None = None) -> dg.Definitions:
    settings = settings or CasewatchSettings()
    assets = [*reference.ASSETS, *ingest.ASSETS, sql_models, *quality.ASSETS, *dashboards.ASSETS]
    checks = [*reference.CHECKS, *ingest.CHECKS, *quality.CHECKS, *dashboards.CHECKS]
    nightly = dg.define_asset_job(
        "nightly",
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,  # DuckDB has one writer
        description="Load the night's batches, compute clocks and indicators, check, publish.",
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[nightly],
        schedules=[
            dg.ScheduleDefinition(
                job=nightly, cron_schedule=NIGHTLY_CRON, execution_timezone=TIMEZONE,
                default_status=dg.DefaultScheduleStatus.STOPPED,
            )
        ],
        resources={
            "settings": settings,
            "warehouse": Warehouse(path=settings.warehouse_path),
            "dbt": dbt_resource(),
        },
    )


defs = build_defs()
