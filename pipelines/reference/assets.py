"""One multi-asset loads every reference table (they are small and change together)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.paths import REFERENCE_DIR
from pipelines.reference.load import _INPUT_ONLY, load_reference, merge_landing_reference
from pipelines.resources import CasewatchSettings, Warehouse

_TABLES = sorted(
    {p.stem for p in REFERENCE_DIR.glob("*.csv")} - _INPUT_ONLY | {"calendar", "staff"}
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["reference", t],
            group_name="reference",
            kinds={"duckdb", "python"},
            description=f"Reference table reference.{t}, loaded from data/reference/ "
            "(versioned: each row carries its source and validity where the law can change).",
        )
        for t in _TABLES
    ],
    name="reference_tables",
)
def reference_tables(settings: CasewatchSettings, warehouse: Warehouse):
    with warehouse.connect() as con:
        counts = load_reference(con, Path(settings.reference_dir))
        counts.update(merge_landing_reference(con, Path(settings.landing_dir)))
    for t in _TABLES:
        yield dg.MaterializeResult(
            asset_key=["reference", t], metadata={"dagster/row_count": counts.get(t, 0)}
        )
