"""The one Definitions object: every asset group, check, resource, job and schedule.

Layers (asset groups): reference and raw (Python loaders), staging -> intermediate -> marts
(SQL files), quality (Great Expectations and the steward report), dashboards and publishing.
"""

from __future__ import annotations

import dagster as dg

from pipelines import dashboards, ingest, operations, orchestration, quality, reference
from pipelines.resources import CasewatchSettings, Warehouse
from pipelines.sql_assets import build_sql_definitions


def build_defs(settings: CasewatchSettings | None = None) -> dg.Definitions:
    settings = settings or orchestration.settings_from_env()
    sql_assets, sql_checks = build_sql_definitions()
    assets = [*reference.ASSETS, *ingest.ASSETS, *sql_assets, *quality.ASSETS, *dashboards.ASSETS,
              *operations.ASSETS]
    checks = [*reference.CHECKS, *ingest.CHECKS, *sql_checks, *quality.CHECKS, *dashboards.CHECKS]
    nightly = orchestration.nightly_job()
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[nightly],
        schedules=orchestration.schedules(nightly),
        sensors=orchestration.sensors(nightly, settings),
        resources={
            "settings": settings,
            "warehouse": Warehouse(path=settings.warehouse_path),
        },
    )


defs = build_defs()
