"""One number style for every page and report: the Vietnamese one, in both languages.

Thousands are grouped with a dot and decimals follow a comma ("1.311", "12.345,6"); a
percentage has a (no-break) space before the sign ("0,30 %"). The English view of a page shows
the same figures, so a number copied from either reads the same.
"""

from __future__ import annotations

import math

NA = "–"
PERCENT = "\u00a0%"  # no-break space: "0,30 %" never wraps before the sign


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _group(digits: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return ".".join(out)


def format_number(x: float | int | None, decimals: int = 0) -> str:
    """1234.5 -> '1.234,5' (decimals=1); None or NaN -> '–'."""
    if _missing(x):
        return NA
    s = f"{abs(float(x)):.{decimals}f}"
    whole, _, frac = s.partition(".")
    sign = "-" if float(x) < 0 and float(s) != 0 else ""
    return sign + _group(whole) + ("," + frac if frac else "")


def format_int(x: float | int | None) -> str:
    """50736 -> '50.736'."""
    return format_number(x, 0)


def format_pct(x: float | None, decimals: int = 1) -> str:
    """A fraction in [0, 1] as a percentage: 0.0030 -> '0,30 %' (decimals=2)."""
    if _missing(x):
        return NA
    return format_number(float(x) * 100, decimals) + PERCENT
