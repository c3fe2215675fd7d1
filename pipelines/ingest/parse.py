"""Vectorised parsing of landed text into the contract's types.

Each function takes an expression over cleaned text (NFC, trimmed, empty -> null) and returns the
typed expression; a non-empty value that does not parse becomes null, which validation reports
as `unparseable`. Accepted forms (landing contract §2):

- dates `YYYY-MM-DD` or `DD/MM/YYYY` (a midnight time part, as spreadsheets write dates, is
  ignored);
- timestamps in local time Asia/Ho_Chi_Minh `YYYY-MM-DD HH:MM[:SS]` or `DD/MM/YYYY HH:MM[:SS]`
  (also with `T` and fractional seconds), or ISO 8601 with an offset (`Z`, `+07:00`, `+0700`),
  converted to local wall time and stored naive;
- booleans `true/false`, `1/0`, `có/không`, `x` (case-insensitive); empty is null;
- integers (a zero fraction such as `12.0`, which spreadsheets produce, is accepted);
- numbers (finite, `.` as the decimal separator);
- text and codes: NFC, surrounding white space trimmed.
"""

from __future__ import annotations

import polars as pl

LOCAL_TZ = "Asia/Ho_Chi_Minh"

_DMY = r"^(\d{1,2})/(\d{1,2})/(\d{4})"
_ISO_DATE = r"^\d{4}-\d{1,2}-\d{1,2}"

TRUE_WORDS = ("true", "1", "có", "x")
FALSE_WORDS = ("false", "0", "không")


def clean_text(col: str) -> pl.Expr:
    """NFC, trimmed, empty -> null."""
    s = pl.col(col).str.normalize("NFC").str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _iso_dates(s: pl.Expr) -> pl.Expr:
    """Rewrite a leading DD/MM/YYYY as YYYY-MM-DD."""
    return s.str.replace(_DMY, "${3}-${2}-${1}")


def parse_date(s: pl.Expr) -> pl.Expr:
    s = _iso_dates(s).str.replace(r"[T ]00:00(:00(\.0+)?)?$", "")
    ok = s.str.contains(_ISO_DATE + "$")
    return pl.when(ok).then(s.str.strptime(pl.Date, "%Y-%m-%d", strict=False))


def parse_timestamp(s: pl.Expr) -> pl.Expr:
    s = _iso_dates(s).str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[T ]", "${1} ")
    # Add missing seconds: "2024-03-15 10:30" -> "2024-03-15 10:30:00" (offset kept).
    s = s.str.replace(r"^(\S+ \d{1,2}:\d{2})($|[^:\d])", "${1}:00${2}")
    ok = s.str.contains(_ISO_DATE + r" \d{1,2}:\d{2}:\d{2}")
    naive = s.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False)
    aware = (
        s.str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%d %H:%M:%S%.f%#z", strict=False)
        .dt.convert_time_zone(LOCAL_TZ)
        .dt.replace_time_zone(None)
    )
    return pl.when(ok).then(pl.coalesce(naive, aware))


def parse_bool(s: pl.Expr) -> pl.Expr:
    low = s.str.to_lowercase()
    return (
        pl.when(low.is_in(TRUE_WORDS))
        .then(pl.lit(True))
        .when(low.is_in(FALSE_WORDS))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def parse_int(s: pl.Expr) -> pl.Expr:
    digits = s.str.replace(r"^([+-]?\d+)\.0*$", "${1}")
    return pl.when(digits.str.contains(r"^[+-]?\d+$")).then(digits.cast(pl.Int64, strict=False))


def parse_number(s: pl.Expr) -> pl.Expr:
    x = s.cast(pl.Float64, strict=False)
    return pl.when(x.is_finite()).then(x)


PARSERS = {
    "date": parse_date,
    "timestamp": parse_timestamp,
    "bool": parse_bool,
    "int": parse_int,
    "number": parse_number,
}

POLARS_TYPES = {
    "text": pl.String,
    "code": pl.String,
    "int": pl.Int64,
    "date": pl.Date,
    "timestamp": pl.Datetime("us"),
    "bool": pl.Boolean,
    "number": pl.Float64,
}


def parse(col_type: str, s: pl.Expr) -> pl.Expr:
    """Typed expression for cleaned text `s` of a contract type."""
    if col_type in ("text", "code"):
        return s
    return PARSERS[col_type](s).cast(POLARS_TYPES[col_type])
