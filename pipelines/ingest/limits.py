"""Bounds on what ingestion reads and accepts: caps per file, the plausible date window, and
the rows validated and written at a time (`slice_rows`, which bounds memory and never refuses
anything).

Every cap is checked *before* the reader allocates for it (from the file size, the Parquet
footer, or the workbook's zip directory and sheet XML), so a hostile or broken file is refused
(`too_large`, naming the cap) instead of exhausting memory. The defaults fit the national
scale with room to spare; `CasewatchSettings.ingest_limits` overrides any of them by name
(e.g. `{"max_rows": 2000000}`), and tests pass small ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # --- per file (refusal `too_large`) ---
    max_file_bytes: int = 2 * 1024**3  # bytes on disk, any format
    max_rows: int = 10_000_000  # data records (header excluded)
    max_columns: int = 200
    max_field_chars: int = 10_000  # characters in one cell
    # XLSX and Parquet are compressed: these bound what unpacking a file may cost.
    max_uncompressed_bytes: int = 1024**3  # all parts of a workbook / Parquet data, unpacked
    max_zip_ratio: int = 200  # unpacked / packed size of a workbook part over 1 MiB ("zip bomb")
    max_sheet_cells: int = 50_000_000  # rows x columns of a sheet's extent (declared or used)
    # The XLSX and Parquet readers run in a child process with these address-space and time
    # limits.
    max_reader_memory_bytes: int = 16 * 1024**3  # address space, not resident memory
    reader_timeout_seconds: int = 1800
    # --- memory: rows of one table validated and written at a time (any file size) ---
    slice_rows: int = 500_000
    # --- per value (quarantine `implausible_date`, `future_updated_at`) ---
    earliest_date: dt.date = dt.date(1945, 1, 1)  # a date before this is implausible ...
    earliest_birth_date: dt.date = dt.date(1900, 1, 1)  # ... except a birth date: this one
    latest_after_as_of_years: int = 1  # a date more than this after as_of is implausible
    future_updated_at_days: int = 1  # updated_at may exceed the batch's receipt by this much

    def latest_date(self, as_of: dt.date) -> dt.date:
        year = as_of.year + self.latest_after_as_of_years
        try:
            return as_of.replace(year=year)
        except ValueError:  # 29 February
            return as_of.replace(year=year, day=28)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | None) -> Limits:
        """Defaults overridden by name; an unknown name is a configuration error."""
        if not values:
            return cls()
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"unknown ingestion limit(s): {', '.join(unknown)}")
        typed: dict[str, object] = {}
        for name, value in values.items():
            try:
                if name in ("earliest_date", "earliest_birth_date"):
                    typed[name] = (value if isinstance(value, dt.date)
                                   else dt.date.fromisoformat(str(value)))
                else:
                    typed[name] = int(value)  # type: ignore[call-overload]
            except (TypeError, ValueError):
                kind = "a date YYYY-MM-DD" if name.endswith("_date") else "a whole number"
                raise ValueError(f"ingestion limit {name}: {value!r} is not {kind}") from None
        return cls(**typed)  # type: ignore[arg-type]


class TooLarge(Exception):
    """A file over one of the caps; the message names the cap and the figures."""

    def __init__(self, cap: str, detail: str) -> None:
        super().__init__(f"{cap}: {detail}")
        self.cap = cap
