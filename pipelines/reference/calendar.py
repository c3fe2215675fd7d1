"""The working-day calendar: every date 2015-2035, seeded from the `holidays` package (VN).

Days off are weekends, the package's public holidays (with its observed days and known
Government swaps), plus the curated overrides in `data/reference/calendar_overrides.csv`.
Make-up working Saturdays (the package's `weekend_workdays` and overrides of kind
`working_day`) are working days. Years not listed as reviewed in `calendar_years.csv` are
marked `swaps_reviewed = false`; deadlines landing there are provisional. An override whose
source is not confirmed (`is_confirmed = false`, e.g. the 2026 swaps known only from a mirror
page) is applied and marked `is_confirmed = false` on its date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holidays
import polars as pl

FIRST_YEAR, LAST_YEAR = 2015, 2035


def build_calendar(reference_dir: Path) -> pl.DataFrame:
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    vn = holidays.country_holidays("VN", years=years)
    overrides = pl.read_csv(reference_dir / "calendar_overrides.csv", try_parse_dates=True)
    reviewed = pl.read_csv(reference_dir / "calendar_years.csv")
    reviewed_years = {
        int(r["year"]) for r in reviewed.iter_rows(named=True)
        if str(r["swaps_reviewed"]).lower() == "true"
    }
    by_date = {r["date"]: r for r in overrides.iter_rows(named=True)}
    workdays = set(getattr(vn, "weekend_workdays", set()))

    rows = []
    day = dt.date(FIRST_YEAR, 1, 1)
    while day.year <= LAST_YEAR:
        holiday = vn.get(day)
        is_weekend = day.weekday() >= 5
        working = not is_weekend and holiday is None
        name_en, source = holiday, "holidays package (VN)" if holiday else None
        if day in workdays:
            working, name_en, source = True, "Make-up working day", "holidays package (VN)"
        override = by_date.get(day)
        name_vi, confirmed = None, True
        if override is not None:
            working = override["kind"] == "working_day"
            name_vi, name_en, source = override["name_vi"], override["name_en"], override["source"]
            confirmed = str(override.get("is_confirmed", "true")).lower() != "false"
        rows.append(
            {
                "date": day,
                "is_working_day": working,
                "is_weekend": is_weekend,
                "holiday_name_vi": name_vi,
                "holiday_name_en": name_en if (not working or override is not None
                                               or day in workdays) else None,
                "source": source,
                "swaps_reviewed": day.year in reviewed_years,
                "is_confirmed": confirmed,
            }
        )
        day += dt.timedelta(days=1)
    schema = {"date": pl.Date, "is_working_day": pl.Boolean, "is_weekend": pl.Boolean,
              "holiday_name_vi": pl.String, "holiday_name_en": pl.String, "source": pl.String,
              "swaps_reviewed": pl.Boolean, "is_confirmed": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)
