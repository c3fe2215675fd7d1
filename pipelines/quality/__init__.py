"""Great Expectations contracts on the published marts and the data stewards' report.

- `CHECKS`: one blocking `matches_contract` asset check per suite in `expectations/` whose mart
  is a model of `sql/models/marts/` (`pipelines.quality.gx_checks`).
- `ASSETS`: `reports/steward_report` (`pipelines.quality.assets`, `pipelines.quality.report`).

Both are built on first access, so the GX worker processes (`pipelines.quality.gx_runner`),
which import this package, do not import Dagster or read the dbt manifest.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _definitions() -> dict[str, list]:
    import dagster as dg

    from pipelines import dbt_project
    from pipelines.quality.assets import steward_report_asset
    from pipelines.quality.gx_checks import build_gx_checks

    marts = {dg.AssetKey(list(key)) for key in dbt_project.model_keys() if key[0] == "marts"}
    return {"ASSETS": [steward_report_asset()], "CHECKS": build_gx_checks(marts)}


def __getattr__(name: str) -> Any:
    if name in ("ASSETS", "CHECKS"):
        return _definitions()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
