"""Bilingual text and number formatting for the dashboards.

Every label is a `Bi` (Vietnamese, English). Rendered in a template it becomes two spans, one
per language; the page shows Vietnamese by default and a button switches client-side, so both
languages are in every page (and in every print).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Bi:
    vi: str
    en: str

    def __html__(self) -> str:
        if self.vi == self.en:
            return str(escape(self.vi))
        return (
            f'<span class="vi" lang="vi">{escape(self.vi)}</span>'
            f'<span class="en" lang="en">{escape(self.en)}</span>'
        )

    def __str__(self) -> str:
        return self.vi

    def __add__(self, other: Bi | str) -> Bi:
        o = other if isinstance(other, Bi) else Bi(other, other)
        return Bi(self.vi + o.vi, self.en + o.en)

    def __radd__(self, other: str) -> Bi:
        return Bi(other + self.vi, other + self.en)


def bi(vi: str, en: str | None = None) -> Bi:
    return Bi(vi, vi if en is None else en)


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


NA = Bi("–", "–")


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt_num(x: float | int | None, decimals: int = 0) -> Bi:
    """1234.5 -> '1.234,5' (vi) / '1,234.5' (en)."""
    if _missing(x):
        return NA
    s = f"{abs(float(x)):.{decimals}f}"
    whole, _, frac = s.partition(".")
    sign = "-" if float(x) < 0 and float(s) != 0 else ""
    vi = sign + _group(whole, ".") + ("," + frac if frac else "")
    en = sign + _group(whole, ",") + ("." + frac if frac else "")
    return Bi(vi, en)


def fmt_int(x: int | float | None) -> Bi:
    return fmt_num(x, 0)


def fmt_pct(x: float | None, decimals: int = 1) -> Bi:
    """A fraction in [0, 1] as a percentage: 0.905 -> '90,5%' / '90.5%'."""
    if _missing(x):
        return NA
    return fmt_num(float(x) * 100, decimals) + "%"


def fmt_date(d: dt.date | dt.datetime | None) -> str:
    if d is None:
        return "–"
    return d.strftime("%d/%m/%Y")


def safe(html: str) -> Markup:
    return Markup(html)
