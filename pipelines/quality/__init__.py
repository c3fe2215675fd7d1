"""Great Expectations contracts on the published marts and the data stewards' report.

- `CHECKS`: one blocking `matches_contract` asset check per suite in `expectations/` whose mart
  is a model of `sql/models/marts/` (`pipelines.quality.gx_checks`).
- `ASSETS`: `reports/steward_report` (`pipelines.quality.assets`, `pipelines.quality.report`).
"""

from __future__ import annotations

import dagster as dg

from pipelines import dbt_project
from pipelines.quality.assets import steward_report_asset
from pipelines.quality.gx_checks import build_gx_checks

_MARTS = {dg.AssetKey(list(key)) for key in dbt_project.model_keys() if key[0] == "marts"}

ASSETS: list = [steward_report_asset()]
CHECKS: list = build_gx_checks(_MARTS)
