"""The one Definitions object: every asset group, check, resource, job and schedule.

Layers (asset groups): reference and raw (Python loaders), staging -> intermediate -> marts
(the dbt project in sql/), quality (Great Expectations and the steward report), dashboards and
publishing.
"""

from __future__ import annotations

import warnings

import dagster as dg

from pipelines import dashboards, ingest, operations, orchestration, quality, reference
from pipelines.dbt_assets import dbt_resource, sql_models
from pipelines.resources import CasewatchSettings, Warehouse

OWNER = "team:casewatch-data"


def with_policy(assets: list) -> list:
    """What every asset carries, applied here once: its owner, and a reference to the code
    that computes it (the Python function; for dbt models also their .sql file)."""
    owned = dg.map_asset_specs(lambda spec: spec.replace_attributes(owners=[OWNER]), assets)
    with warnings.catch_warnings():  # code references are a beta API of Dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        return list(dg.with_source_code_references(owned))


def build_defs(settings: CasewatchSettings | None = None) -> dg.Definitions:
    settings = settings or orchestration.settings_from_env()
    assets = with_policy(
        [*reference.ASSETS, *ingest.ASSETS, sql_models, *quality.ASSETS, *dashboards.ASSETS,
         *operations.ASSETS]
    )
    checks = [*reference.CHECKS, *ingest.CHECKS, *quality.CHECKS, *dashboards.CHECKS]
    nightly = orchestration.nightly_job()
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[nightly],
        schedules=orchestration.schedules(nightly),
        sensors=orchestration.sensors(nightly, settings),
        resources={
            "settings": settings,
            "warehouse": Warehouse(path=settings.warehouse_path,
                                   memory_limit=settings.memory_limit),
            "dbt": dbt_resource(),
        },
    )


defs = build_defs()
