"""Vectorised parsing of landed text into the contract's types.

`parse_series(type, s)` takes cleaned text (`clean_series`: NFC, trimmed, empty -> null) and
returns the typed series; a non-empty value that does not parse becomes null, which validation
reports as `unparseable`. Accepted forms (landing contract §2):

- dates `YYYY-MM-DD` or `DD/MM/YYYY` (a midnight time part, as spreadsheets write dates, is
  ignored);
- timestamps in local time Asia/Ho_Chi_Minh `YYYY-MM-DD HH:MM[:SS]` or `DD/MM/YYYY HH:MM[:SS]`
  (also with `T` and fractional seconds), or ISO 8601 with an offset (`Z`, `+07:00`, `+0700`),
  converted to local wall time and stored naive;
- booleans `true/false`, `1/0`, `có/không`, `x` (case-insensitive); empty is null;
- integers (a zero fraction such as `12.0`, which spreadsheets produce, is accepted);
- numbers (finite, `.` as the decimal separator);
- text and codes: NFC, surrounding white space trimmed.

Formats are tried as a cascade: each format only sees the values the previous ones could not
read, so a file in one format is parsed in a single pass whatever that format is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

LOCAL_TZ = "Asia/Ho_Chi_Minh"

TRUE_WORDS = ("true", "1", "có", "x")
FALSE_WORDS = ("false", "0", "không")

POLARS_TYPES = {
    "text": pl.String,
    "code": pl.String,
    "int": pl.Int64,
    "date": pl.Date,
    "timestamp": pl.Datetime("us"),
    "bool": pl.Boolean,
    "number": pl.Float64,
}

_NAIVE_FORMATS = [
    f"{day}{sep}{time}"
    for day in ("%Y-%m-%d", "%d/%m/%Y")
    for sep in (" ", "T")
    for time in ("%H:%M:%S", "%H:%M", "%H:%M:%S%.f")
]
_AWARE_FORMATS = [
    f"%Y-%m-%d{sep}{time}%#z" for sep in ("T", " ") for time in ("%H:%M:%S%.f", "%H:%M")
]


def clean_series(s: pl.Series) -> pl.Series:
    """NFC, trimmed, empty -> null. Only non-ASCII values are normalised (ASCII is NFC)."""
    s = s.cast(pl.String)
    non_ascii = (s.str.len_bytes() != s.str.len_chars()).fill_null(False)
    if non_ascii.any():
        idx = non_ascii.arg_true()
        s = s.clone().scatter(idx, s.gather(idx).str.normalize("NFC"))
    s = s.str.strip_chars()
    return s.set(s == "", None)


def _cascade(s: pl.Series, dtype: pl.DataType,
             attempts: list[Callable[[pl.Series], pl.Series]]) -> pl.Series:
    """Apply each attempt to the values still unparsed; the first non-null result wins.

    The attempt that reads the first value goes first (a file writes its dates one way, so it
    usually reads every value in one pass); no two attempts read one text differently, so the
    order changes the time taken, never the result."""
    out = pl.Series(s.name, dtype=dtype).extend_constant(None, len(s))
    todo = s.is_not_null().arg_true()
    if todo.len():
        first = s.gather(todo.head(1))
        hit = next((a for a in attempts if a(first).is_not_null().any()), None)
        if hit is not None:
            attempts = [hit, *(a for a in attempts if a is not hit)]
    for attempt in attempts:
        if todo.len() == 0:
            break
        sub = s.gather(todo)
        parsed = attempt(sub).cast(dtype)
        ok = parsed.is_not_null()
        if ok.any():
            out.scatter(todo.filter(ok), parsed.filter(ok))
            todo = todo.filter(~ok)
    return out


# chrono's %Y also reads "24" as year 24: the contract's forms have four-digit years. A
# four-digit year such as 0999 reads (validation then finds it implausible, not unreadable).
_FOUR_DIGIT_YEAR = r"^\d{4}-|^\d{1,2}/\d{1,2}/\d{4}(?:[^0-9]|$)"


def _four_digit_years(parsed: pl.Series, text: pl.Series) -> pl.Series:
    return parsed.set(~text.str.contains(_FOUR_DIGIT_YEAR).fill_null(False), None)


def _naive(fmt: str) -> Callable[[pl.Series], pl.Series]:
    return lambda s: _four_digit_years(
        s.str.strptime(pl.Datetime("us"), fmt, strict=False), s)


def _aware(fmt: str) -> Callable[[pl.Series], pl.Series]:
    def attempt(s: pl.Series) -> pl.Series:
        parsed = s.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False)
        local = parsed.dt.convert_time_zone(LOCAL_TZ).dt.replace_time_zone(None)
        return _four_digit_years(local, s)

    return attempt


def parse_timestamp(s: pl.Series) -> pl.Series:
    return _cascade(s, pl.Datetime("us"),
                    [*map(_naive, _NAIVE_FORMATS), *map(_aware, _AWARE_FORMATS)])


def _date(fmt: str) -> Callable[[pl.Series], pl.Series]:
    return lambda s: _four_digit_years(s.str.strptime(pl.Date, fmt, strict=False), s)


def _midnight(s: pl.Series) -> pl.Series:
    ts = _cascade(s, pl.Datetime("us"), list(map(_naive, _NAIVE_FORMATS)))
    return ts.set(ts.dt.time() != dt.time(0), None).dt.date()


def parse_date(s: pl.Series) -> pl.Series:
    return _cascade(s, pl.Date, [_date("%Y-%m-%d"), _date("%d/%m/%Y"), _midnight])


def parse_bool(s: pl.Series) -> pl.Series:
    low = s.str.to_lowercase()
    return pl.select(
        pl.when(low.is_in(TRUE_WORDS)).then(pl.lit(True))
        .when(low.is_in(FALSE_WORDS)).then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    ).to_series().alias(s.name)


def parse_int(s: pl.Series) -> pl.Series:
    def zero_fraction(sub: pl.Series) -> pl.Series:
        digits = sub.str.replace(r"^([+-]?\d+)\.0*$", "${1}")
        return digits.set(~digits.str.contains(r"^[+-]?\d+$"), None).cast(pl.Int64, strict=False)

    return _cascade(s, pl.Int64, [lambda sub: sub.cast(pl.Int64, strict=False), zero_fraction])


def parse_number(s: pl.Series) -> pl.Series:
    x = s.cast(pl.Float64, strict=False)
    return x.set(~x.is_finite().fill_null(True), None)


_PARSERS: dict[str, Callable[[pl.Series], pl.Series]] = {
    "date": parse_date,
    "timestamp": parse_timestamp,
    "bool": parse_bool,
    "int": parse_int,
    "number": parse_number,
}


def parse_series(col_type: str, s: pl.Series) -> pl.Series:
    """Typed series for cleaned text `s` of a contract type."""
    if col_type in ("text", "code"):
        return s
    return _PARSERS[col_type](s).cast(POLARS_TYPES[col_type]).alias(s.name)


# --- values a Parquet file already holds typed -----------------------------------------------

_TEXT_TIMESTAMP = "%Y-%m-%d %H:%M:%S%.f"
_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def landed_text(s: pl.Series) -> pl.Series:
    """A landed column as text: a Parquet date as `YYYY-MM-DD`, a timestamp (local wall time)
    as `YYYY-MM-DD HH:MM:SS.ffffff`, anything else cast."""
    if isinstance(s.dtype, pl.Datetime):
        return s.dt.strftime(_TEXT_TIMESTAMP)
    if s.dtype == pl.Date:
        return s.dt.strftime("%Y-%m-%d")
    return s.cast(pl.String)


def parse_native(col_type: str, s: pl.Series) -> pl.Series | None:
    """The typed series for a column a Parquet file holds in the contract's own kind (a date
    as a date, a timestamp, a boolean, an integer, a 64-bit float); None when it does not
    (it is then read as text, `landed_text`). The result is what reading its text would give:
    a year outside 0-9999, an integer out of range or a float that is not finite is null,
    which validation reports as `unparseable`."""
    dtype = s.dtype
    if col_type == "date" and dtype == pl.Date:
        return s.set(~s.dt.year().is_between(0, 9999), None)
    if col_type == "timestamp" and isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        # To microseconds, rounding down as reading the text does.
        ticks = s.set(~s.dt.year().is_between(0, 9999), None).cast(pl.Int64)
        if dtype.time_unit == "ns":
            ticks = ticks // 1000
        elif dtype.time_unit == "ms":
            ticks = ticks * 1000
        return ticks.cast(pl.Datetime("us"))
    if col_type == "bool" and dtype == pl.Boolean:
        return s
    if col_type == "int" and dtype in _INTEGERS:
        return s.cast(pl.Int64, strict=False)
    if col_type == "number" and dtype == pl.Float64:
        return s.set(~s.is_finite().fill_null(True), None)
    return None
