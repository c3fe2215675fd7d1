"""Running casewatch at a procuracy: per-unit bundles, alerts, backups, warehouse versions."""

from pipelines.operations.assets import ASSETS

__all__ = ["ASSETS"]
