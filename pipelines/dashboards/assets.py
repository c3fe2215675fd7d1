"""Dagster assets: the published snapshot and the dashboard pages."""


import dagster as dg

from pipelines.dashboards.pages import render_pages
from pipelines.publish import build_snapshot_asset
from pipelines.resources import CasewatchSettings, Warehouse

snapshot = build_snapshot_asset()


@dg.asset(
    key=["dashboards", "pages"],
    group_name="dashboards",
    deps=[snapshot.key],
    description=(
        "Static HTML dashboards (index, criminal, custody, execution, worklist, quality) in the "
        "output folder: the 'Đồng Khởi mới' campaign and the three supervision areas, built "
        "from the marts just published; offline, Vietnamese with an English switch."
    ),
    kinds={"html"},
)
def dashboard_pages(
    context: dg.AssetExecutionContext, settings: CasewatchSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        written = render_pages(
            con, settings.out_dir, run_id=context.run_id, as_of=settings.as_of_date()
        )
    return dg.MaterializeResult(
        metadata={
            "out_dir": dg.MetadataValue.path(settings.out_dir),
            "pages": sorted(written),
            "bytes": sum(p.stat().st_size for p in written.values()),
        }
    )
