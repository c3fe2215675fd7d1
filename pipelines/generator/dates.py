"""Day arithmetic on plain integers (days since 1970-01-01), fast enough for millions of records.

Dates are ints and timestamps are ints (seconds since 1970-01-01, local wall time
Asia/Ho_Chi_Minh, no offset) inside the generator; they become polars Date/Datetime columns
only when the tables are assembled.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
DAY = 86_400


def to_day(value: dt.date) -> int:
    return value.toordinal() - EPOCH_ORDINAL


def from_day(day: int) -> dt.date:
    return dt.date.fromordinal(day + EPOCH_ORDINAL)


@lru_cache(maxsize=200_000)
def add_months(day: int, months: int) -> int:
    """The same day-of-month `months` later, clamped to the month end (BLTTHS Art. 134)."""
    d = from_day(day)
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    return to_day(dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1])))


def weekday(day: int) -> int:
    """Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def next_workday(day: int) -> int:
    """The day itself on Monday–Friday, else the following Monday (holidays are ignored)."""
    wd = (day + 3) % 7
    return day + (7 - wd if wd >= 5 else 0)


def add_workdays(day: int, n: int) -> int:
    """`n` Monday–Friday days after `day` (n >= 1)."""
    while n > 0:
        day += 1
        if (day + 3) % 7 < 5:
            n -= 1
    return day


def year_of(day: int) -> int:
    return from_day(day).year
