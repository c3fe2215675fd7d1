"""The run's memory limit: parsing, the machine-derived default, and DuckDB's share of it.

`casewatch run --memory-limit 6GB` (or the `memory_limit` setting) bounds the whole run. DuckDB's
own `memory_limit` covers its buffer manager only, so it gets a share of the run's limit
(`DUCKDB_SHARE`); the rest is left to Python (a validated chunk, a file being ingested, the
pages). Every DuckDB connection of the run (the Dagster process's and dbt's) spills to
`temp_directory` beside the warehouse when a query needs more, instead of failing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Without a limit given: a quarter of the machine's memory (6 GB on a 24 GB machine).
DEFAULT_FRACTION = 0.25
# DuckDB's buffer manager gets this share of the run's limit.
DUCKDB_SHARE = 0.5
MINIMUM = 256 * 1000**2

_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def parse_size(text: str) -> int:
    """Bytes of a size such as `6GB`, `512MB`, `1.5GiB` (decimal or binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)\s*", text.upper())
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"not a memory size (e.g. 6GB, 512MB): {text!r}")
    value = int(float(m.group(1)) * _UNITS[m.group(2)])
    if value < MINIMUM:
        raise ValueError(f"memory limit {text!r} is below the minimum of 256MB")
    return value


def total_memory() -> int:
    """Physical memory of the machine, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def default_limit() -> int:
    return max(MINIMUM, int(total_memory() * DEFAULT_FRACTION))


def run_limit(text: str = "") -> int:
    """The run's limit in bytes: `text` when given, else the default."""
    return parse_size(text) if text else default_limit()


def duckdb_limit(text: str = "") -> str:
    """DuckDB's `memory_limit` value for a run limited to `text` (whole MB)."""
    return f"{max(256, run_limit(text) * DUCKDB_SHARE // 1000**2):.0f}MB"


def temp_directory(warehouse: str | Path) -> str:
    """Where DuckDB spills: `<warehouse>.tmp` beside the warehouse file."""
    return str(Path(warehouse).resolve()) + ".tmp"


def describe(text: str = "") -> str:
    limit = run_limit(text)
    return f"{limit / 1000**3:.1f} GB (DuckDB {duckdb_limit(text)})"
