"""Resources shared by every asset: run settings (paths, as-of date) and the DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
from pydantic import PrivateAttr

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
    as_of: str = ""  # YYYY-MM-DD; empty = the run's casewatch/as_of tag, else today
    # Ingestion caps and date bounds overriding the defaults, by name (docs/ingestion.md).
    ingest_limits: dict[str, str] = {}
    # The run's memory limit, e.g. "6GB"; empty = a quarter of the machine's memory
    # (pipelines/memory.py). DuckDB gets its share and spills beyond it.
    memory_limit: str = ""
    history_nights: int = 7  # published snapshots kept under <published dir>/history/
    # Write the per-unit bundles (out/units/<code>/, pipelines/operations/units.py); off,
    # the asset writes nothing and says so (their cost grows with the number of units).
    unit_bundles: bool = True

    _run_as_of: str = PrivateAttr(default="")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from pipelines.orchestration import decide_as_of

        self._run_as_of = decide_as_of(self.as_of, context)  # once per run, kept as a run tag

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        from pipelines.orchestration import finish_nightly_run

        finish_nightly_run(self, context)

    def as_of_date(self) -> dt.date:
        value = self.as_of or self._run_as_of
        return dt.date.fromisoformat(value) if value else today_local()

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
    memory_limit: str = ""  # the run's limit (CasewatchSettings.memory_limit)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before the first step: refuse a warehouse written by a release this one cannot
        read, migrate an older one (pipelines.operations.versions)."""
        from pipelines.operations.versions import ensure_current

        with self.connect() as con:
            for migration in ensure_current(con, f"warehouse {self.path}"):
                if context.log is not None:
                    context.log.info(f"warehouse migrated: {migration}")

    def connect(self) -> duckdb.DuckDBPyConnection:
        from pipelines import memory

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path)
        con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
        con.execute(f"set memory_limit = '{memory.duckdb_limit(self.memory_limit)}'")
        spill = memory.temp_directory(self.path)
        # DuckDB shares one database per file within a process, and refuses to set its
        # temp_directory again once it has spilled there, even to the same folder.
        if con.execute("select current_setting('temp_directory')").fetchone()[0] != spill:
            con.execute("set temp_directory = '{}'".format(spill.replace("'", "''")))
        for schema in ("raw", "reference", "staging", "intermediate", "marts"):
            con.execute(f"create schema if not exists {schema}")
        return con
