"""The steward report as a Dagster asset (`reports/steward_report`, group `quality`)."""

from __future__ import annotations

import dagster as dg

from pipelines.quality.report import write_steward_report
from pipelines.resources import CasewatchSettings, Warehouse

# What the report reads: the ingestion marts and the check log. It deliberately depends on
# nothing built later: Dagster skips everything downstream of a failed blocking check, and the
# stewards need the report most on exactly those nights.
REPORT_INPUTS = (
    "batch_ledger",
    "quarantine",
    "quarantine_routes",
    "quarantine_rates",
    "data_findings",
    "data_finding_ages",
    "validation_results",
)


def steward_report_asset() -> dg.AssetsDefinition:
    deps = [dg.AssetKey(["marts", name]) for name in REPORT_INPUTS]

    @dg.asset(
        key=["reports", "steward_report"],
        group_name="quality",
        deps=deps,
        kinds={"html", "csv"},
        description=(
            "The data stewards' report (steward-report.html, Vietnamese with English) and one "
            "CSV of open rejections per unit (steward/<unit_code>-open-rejections.csv). It "
            "depends only on the ingestion marts, so it is written even when a later mart's "
            "blocking check fails; checks of marts built after it appear in the next run's "
            "report."
        ),
    )
    def steward_report(
        context, settings: CasewatchSettings, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            report, path, exports = write_steward_report(
                con, settings.out, run_id=context.run_id, as_of=settings.as_of_date()
            )
        q = report.quarantine
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "batches": report.ledger.get("n_batches", 0),
                "open_rejected_rows": q.get("open_rows", 0),
                "open_problems": q.get("open", 0),
                "resolved_problems": q.get("resolved", 0),
                "units_with_open_rejections": len(exports),
                "open_data_findings": report.findings.get("open", 0),
                "failed_blocking_checks_so_far": report.checks.get("failed_errors", 0),
                "csv_exports": dg.MetadataValue.json(
                    [str(p.relative_to(settings.out)) for p in exports]),
            }
        )

    return steward_report
