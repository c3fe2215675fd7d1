"""What of a quarantined cell may be shown: deny by default, and masked by content.

A quarantined row never reaches `raw.<table>`, but its broken cell is kept in `raw.quarantine`
so the steward can say what to fix; the steward report, its per-unit CSV files and
`marts.quarantine` show it. Personal data arrives in the wrong column (a name typed into `sex`,
an ID number into `case_id`), so the raw value is shown only when

1. its column is on `SHOWABLE_COLUMNS`, the columns known to hold no personal data (a column
   not listed — a new contract column, `note`, the personal-data columns — is masked); and
2. the value does not look like a name or an ID number, whatever column it arrived in.

The record id and unit code of a quarantined row are masked on content too. Masked values are
`***`; the full row stays in the landed file, which is the raw layer's job to keep.
"""

from __future__ import annotations

import polars as pl

MASK = "***"

# Columns whose raw value may be shown (codes, pseudonymous ids, dates of acts, counts).
SHOWABLE_COLUMNS = frozenset({
    # every table
    "updated_at", "is_deleted",
    # ids (pseudonymous) and units
    "report_id", "case_id", "person_id", "event_id", "subject_id", "judgement_id", "order_id",
    "movement_id", "score_id", "prosecutor_id", "unit_code", "to_unit_code", "facility_code",
    # codes
    "source_type", "handling_body", "crime_category", "sex", "event_type", "subject_type",
    "outcome", "issuing_body", "return_by", "return_ground", "measure", "stage",
    "movement_type", "reason", "instance", "verdict", "sentence_type", "appeal_result", "fault",
    "suspension_ground", "indicator_code", "period_kind",
    # dates and times of procedural acts (never a birth date)
    "received_date", "instituted_date", "charged_date", "event_date", "stated_end_date",
    "requested_date", "start_at", "vks_approved_at", "vks_received_at", "vks_refused_at",
    "movement_at", "pronounced_date", "effective_date", "period_start",
    # numbers and flags
    "penal_code_article", "penal_code_clause", "extension_no", "sentence_months",
    "probation_months", "at_liberty", "is_accepted", "value",
})

# Two to six words of letters, at least one capitalised or accented: "Nguyễn Văn Hòa",
# "TRẦN THỊ B", "nguyễn văn a" (a code such as "crime report" stays visible).
_WORDS = r"^\p{L}+(?:[\s\u00a0]+\p{L}+){1,5}$"
_NAME_HINT = r"\p{Lu}|[^\x00-\x7F]"
# A number of nine or more digits, possibly grouped: CCCD (12), CMND (9), phone numbers.
_DIGITS_ONLY = r"^[\d\s.\-]+$"


def looks_personal(values: pl.Series) -> pl.Series:
    """True where a value looks like a person's name or an ID number (null stays False)."""
    s = values.cast(pl.String).str.strip_chars()
    name = s.str.contains(_WORDS) & s.str.contains(_NAME_HINT)
    number = s.str.contains(_DIGITS_ONLY) & (s.str.count_matches(r"\d") >= 9)
    return (name | number).fill_null(False)


def mask_values(values: pl.Series, column: str | None) -> pl.Series:
    """`***` for every non-null value of a column not on the allow-list, and for values that
    look personal in any column."""
    if column is not None and column not in SHOWABLE_COLUMNS:
        hidden = values.is_not_null()
    else:
        hidden = looks_personal(values)
    return pl.select(
        pl.when(hidden).then(pl.lit(MASK)).otherwise(values.cast(pl.String))
    ).to_series().alias(values.name)


def _looks_personal_one(text: str) -> bool:
    s = text.strip()
    words = s.split()
    if 2 <= len(words) <= 6 and all(w.isalpha() for w in words) and (
            any(ch.isupper() for ch in s) or not s.isascii()):
        return True
    return bool(s) and all(ch.isdigit() or ch in " .-" for ch in s) and sum(
        ch.isdigit() for ch in s) >= 9


def mask_value(value: object, column: str | None) -> str:
    """`mask_values` for one value (pages and exports re-check what the quarantine holds)."""
    if value is None:
        return ""
    text = str(value)
    if column is not None and column not in SHOWABLE_COLUMNS:
        return MASK
    return MASK if _looks_personal_one(text) else text
