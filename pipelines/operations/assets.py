"""The per-unit bundles as a Dagster asset (`["dashboards", "unit_bundles"]`)."""

import shutil

import dagster as dg

from pipelines.operations.units import UNITS_DIR, default_workers, write_unit_bundles
from pipelines.resources import CasewatchSettings, Warehouse


@dg.asset(
    key=["dashboards", "unit_bundles"],
    group_name="dashboards",
    deps=[dg.AssetKey(["dashboards", "pages"]), dg.AssetKey(["reports", "steward_report"])],
    description=(
        "One folder per unit (out/units/<unit_code>/): its pages, XLSX exports and open "
        "rejections CSV, with only the data of the unit and the units it groups."
    ),
    kinds={"html", "xlsx", "csv"},  # owners: applied in definitions.py
)
def unit_bundles(
    context: dg.AssetExecutionContext, settings: CasewatchSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    if not settings.unit_bundles:  # earlier bundles go: none may outlive its night's data
        shutil.rmtree(settings.out / UNITS_DIR, ignore_errors=True)
        context.log.info("unit bundles are off (setting unit_bundles); none written")
        return dg.MaterializeResult(metadata={"units": [], "skipped": "unit_bundles off"})
    workers = default_workers(settings.memory_limit)
    context.log.info(f"unit bundles: {workers} process(es) writing")

    def progress(done: int, total: int) -> None:
        context.log.info(f"unit bundles: {done} of {total} written")

    with warehouse.connect() as con:
        written = write_unit_bundles(
            con, settings.out_dir, run_id=context.run_id, as_of=settings.as_of_date(),
            progress=progress, workers=workers,
        )
    return dg.MaterializeResult(
        metadata={
            "dir": dg.MetadataValue.path(str(settings.out / UNITS_DIR)),
            "units": sorted(written),
        }
    )


ASSETS = [unit_bundles]
