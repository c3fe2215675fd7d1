"""Load the versioned reference data (`data/reference/`) into the `reference` schema.

Every `<name>.csv` there becomes `reference.<name>` (types detected by DuckDB over all rows);
the calendar is built from the `holidays` package plus curated overrides.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.reference.calendar import build_calendar

#  Files that only feed another table.
_INPUT_ONLY = {"calendar_overrides", "calendar_years"}


def load_reference(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> dict[str, int]:
    """(Re)load all reference tables; returns row counts by table."""
    con.execute("create schema if not exists reference")
    counts: dict[str, int] = {}
    for path in sorted(reference_dir.glob("*.csv")):
        if path.stem in _INPUT_ONLY:
            continue
        con.execute(
            f"create or replace table reference.{path.stem} as "
            "select * from read_csv(?, header = true, sample_size = -1, auto_detect = true)",
            [str(path)],
        )
        counts[path.stem] = con.execute(f"select count(*) from reference.{path.stem}").fetchall()[
            0
        ][0]
    calendar = build_calendar(reference_dir)  # noqa: F841 (scanned by DuckDB below)
    con.execute(
        "create or replace table reference.calendar as select * from calendar order by date"
    )
    counts["calendar"] = calendar.height
    return counts


STAFF_COLUMNS = (
    "prosecutor_id varchar, unit_code varchar, valid_from date, valid_to date, display_name varchar"
)


def _regular_file(path: Path) -> bool:
    """A landed file that is not reached through a symbolic link (links are never followed;
    ingestion records them in the batch ledger)."""
    return path.is_file() and not path.is_symlink() and not path.parent.is_symlink()


def merge_landing_reference(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> dict[str, int]:
    """Add the landing root's optional `_reference/units.csv` and `_reference/staff.csv`.

    Landed units extend (never replace) the project's units; staff names stay in the
    reference layer and are only shown on the restricted campaign page.
    """
    extra_units = landing_dir / "_reference" / "units.csv"
    if _regular_file(extra_units):
        con.execute(
            "insert into reference.units by name select * from read_csv(?, header = true, "
            "sample_size = -1, types = {'valid_from': 'DATE', 'valid_to': 'DATE'}) "
            "where unit_code not in (select unit_code from reference.units)",
            [str(extra_units)],
        )
    con.execute(f"create or replace table reference.staff ({STAFF_COLUMNS})")
    staff = landing_dir / "_reference" / "staff.csv"
    if _regular_file(staff):
        con.execute(
            "insert into reference.staff by name select * from read_csv(?, header = true, "
            "sample_size = -1)",
            [str(staff)],
        )
    return {
        "units": con.execute("select count(*) from reference.units").fetchall()[0][0],
        "staff": con.execute("select count(*) from reference.staff").fetchall()[0][0],
    }
