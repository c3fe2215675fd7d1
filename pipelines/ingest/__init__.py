"""Ingestion: landing batches -> `raw.<table>`, `raw.quarantine` and `raw.batch_ledger`.

`ingest_landing(con, landing_dir)` runs it without Dagster; `ASSETS`/`CHECKS` are the Dagster
multi-asset (its pandera checks are part of it) for `pipelines.definitions`. Rules and codes:
`docs/ingestion.md`.
"""

from pipelines.ingest.assets import raw_tables
from pipelines.ingest.load import IngestSummary, ingest_landing

ASSETS: list = [raw_tables]
CHECKS: list = []

__all__ = ["ASSETS", "CHECKS", "IngestSummary", "ingest_landing"]
