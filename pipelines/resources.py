"""Resources shared by every asset: run settings (paths, as-of date) and the DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from pipelines import paths

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def today_local() -> dt.date:
    """Today's date in Asia/Ho_Chi_Minh, the procuracy's time zone."""
    return dt.datetime.now(TIMEZONE).date()


class CasewatchSettings(dg.ConfigurableResource):
    """Where a run reads and writes, and the date it computes status for.

    Every path defaults to a repository-relative location; `as_of` defaults to today in
    Asia/Ho_Chi_Minh. The same inputs and `as_of` give the same marts.
    """

    landing_dir: str = str(paths.DEFAULT_LANDING)
    warehouse_path: str = str(paths.DEFAULT_WAREHOUSE)
    out_dir: str = str(paths.DEFAULT_OUT)
    published_path: str = str(paths.DEFAULT_PUBLISHED)
    reference_dir: str = str(paths.REFERENCE_DIR)
    as_of: str = ""  # YYYY-MM-DD; empty = today in Asia/Ho_Chi_Minh
    # Ingestion caps and date bounds overriding the defaults, by name (docs/ingestion.md).
    ingest_limits: dict[str, str] = {}

    def as_of_date(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of) if self.as_of else today_local()

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def out(self) -> Path:
        return Path(self.out_dir)

    @property
    def reference(self) -> Path:
        return Path(self.reference_dir)


class Warehouse(dg.ConfigurableResource):
    """The working DuckDB warehouse the run builds into (one writer: in-process executor)."""

    path: str = str(paths.DEFAULT_WAREHOUSE)

    def connect(self) -> duckdb.DuckDBPyConnection:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path)
        con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
        for schema in ("raw", "reference", "staging", "intermediate", "marts"):
            con.execute(f"create schema if not exists {schema}")
        return con
