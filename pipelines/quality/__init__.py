"""Great Expectations contracts on the published marts and the data stewards' report.

- `CHECKS`: one blocking `matches_contract` asset check per suite in `expectations/` whose mart
  is defined (`pipelines.quality.gx_checks`).
- `ASSETS`: `reports/steward_report` (`pipelines.quality.report`).
"""

from __future__ import annotations

import dagster as dg

from pipelines import ingest, sql_runner
from pipelines.quality.assets import steward_report_asset
from pipelines.quality.gx_checks import build_gx_checks


def _defined_marts() -> set[dg.AssetKey]:
    keys = {dg.AssetKey(list(k)) for k in sql_runner.discover_models() if k[0] == "marts"}
    for asset in ingest.ASSETS:
        keys.update(getattr(asset, "keys", ()))
    return keys


_MARTS = _defined_marts()

ASSETS: list = [steward_report_asset()]
CHECKS: list = build_gx_checks(_MARTS)
