"""The optional local staff list, `data/local/staff.csv` (`prosecutor_id`, `full_name`,
`title`): git-ignored and never loaded into the warehouse. When it is present, the pages and
the office exports show a prosecutor's name beside the code.

Names are personal data: they are read here, at render time only, and never written to a
mart, a log or Dagster metadata. A malformed file is an error naming the file and the row.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines import paths
from pipelines.dashboards.labels import nfc

COLUMNS = ("prosecutor_id", "full_name", "title")


class StaffListError(ValueError):
    """The local staff list cannot be read."""


def load_staff(path: Path | None = None) -> dict[str, str]:
    """prosecutor_id -> "full name (title)"; empty when the file is absent."""
    path = paths.LOCAL_STAFF if path is None else path
    if not path.is_file():
        return {}
    names: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS[:2] if c not in (reader.fieldnames or [])]
        if missing:
            raise StaffListError(
                f"{path.name}: missing column(s) {', '.join(missing)} (expected "
                f"{', '.join(COLUMNS)})")
        for n, row in enumerate(reader, start=2):
            pid = (row.get("prosecutor_id") or "").strip()
            name = nfc((row.get("full_name") or "").strip())
            if not pid or not name:
                raise StaffListError(f"{path.name}, row {n}: prosecutor_id and full_name "
                                     "are required")
            title = nfc((row.get("title") or "").strip())
            names[pid] = f"{name} ({title})" if title else name
    return names
