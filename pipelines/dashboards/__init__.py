"""Publishing and dashboards: the read-only snapshot analysts query, and the static pages."""

from pipelines.dashboards.assets import dashboard_pages, snapshot
from pipelines.publish import VALIDATION_RESULTS

ASSETS: list = [VALIDATION_RESULTS, snapshot, dashboard_pages]
CHECKS: list = []
