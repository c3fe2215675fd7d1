"""Repository-relative locations. Nothing here reads the environment."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
REFERENCE_DIR = ROOT / "data" / "reference"
CONTRACT_DIR = REFERENCE_DIR  # codes.csv and units.csv live with the other reference data
EXPECTATIONS_DIR = ROOT / "expectations"

DEFAULT_LANDING = ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = ROOT / "data" / "warehouse.duckdb"
DEFAULT_OUT = ROOT / "data" / "out"
DEFAULT_PUBLISHED = ROOT / "data" / "published" / "casewatch.duckdb"
#  Optional, git-ignored: prosecutor names shown beside their codes on the pages and exports.
LOCAL_STAFF = ROOT / "data" / "local" / "staff.csv"
