"""Bilingual text and number formatting for the dashboards.

Every label is a `Bi` (Vietnamese, English). Rendered in a template it becomes two spans, one
per language; the page shows Vietnamese by default and a button switches client-side, so both
languages are in every page (and in every print).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from pipelines.numbers import format_number, format_pct


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


def fmt_num(x: float | int | None, decimals: int = 0) -> Bi:
    """1234.5 -> '1.234,5' in both languages (one number style: `pipelines.numbers`)."""
    if _missing(x):
        return NA
    text = format_number(x, decimals)
    return Bi(text, text)


def fmt_int(x: int | float | None) -> Bi:
    return fmt_num(x, 0)


def fmt_pct(x: float | None, decimals: int = 1) -> Bi:
    """A fraction in [0, 1] as a percentage: 0.905 -> '90,5 %' in both languages."""
    if _missing(x):
        return NA
    text = format_pct(x, decimals)
    return Bi(text, text)


def fmt_date(d: dt.date | dt.datetime | None) -> str:
    if d is None:
        return "–"
    return d.strftime("%d/%m/%Y")


def tech(name: str) -> Markup:
    """A technical name shown on purpose (a file, a table, a column, a value as landed): the
    same in both views, marked `translate="no"` so that neither a translator nor the language
    test takes it for a word."""
    return Markup('<code translate="no">{}</code>').format(name)


_FILE = re.compile(r"(?<![\w.-])_?[\w.-]+\.(?:csv|parquet|xlsx|json|duckdb)\b"
                   r"|(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
_CODE_PREFIX = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+:\s*")


def tech_names(text: str) -> Markup:
    """Text with its file, table and column names (`a_name`) marked as technical names
    (`tech`); a leading `code: ` (a
    refusal reason's code before its sentence) is dropped, the sentence says it."""
    text = _CODE_PREFIX.sub("", text)
    out, last = Markup(""), 0
    for m in _FILE.finditer(text):
        out += escape(text[last:m.start()]) + tech(m.group())
        last = m.end()
    return out + escape(text[last:])


def safe(html: str) -> Markup:
    return Markup(html)
