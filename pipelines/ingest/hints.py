"""How to fix a rejected row: the hint appended to its quarantine message (Vietnamese, English).

- `unknown_code`: the valid codes of the column's list, nearest first, the nearest with its
  label ("`tam_giam` → có phải `detention` (Tạm giam)?"). Nearness compares the value with each
  code and with its labels written without accents (`tam_giam` matches "Tạm giam").
- `duplicate_conflict`: the columns whose values differ between the rows sharing a key and
  `updated_at`.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Sequence

import polars as pl

from pipelines import paths

MAX_LISTED = 12  # valid codes listed after the nearest one; the rest are counted


@functools.cache
def code_labels() -> dict[tuple[str, str], tuple[str, str]]:
    """(list, code) -> (label_vi, label_en) from the project's codes.csv."""
    rows = pl.read_csv(paths.REFERENCE_DIR / "codes.csv", infer_schema=False).select(
        "list", "code", "label_vi", "label_en").rows()
    return {(lst, code): (vi or "", en or "") for lst, code, vi, en in rows}


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def nearest_codes(value: str, code_list: str, codes: Sequence[str]) -> list[str]:
    """The codes of `code_list`, nearest to `value` first (ties in code order)."""
    labels = code_labels()
    target = _slug(value)

    def score(code: str) -> float:
        vi, en = labels.get((code_list, code), ("", ""))
        return max(difflib.SequenceMatcher(None, target, _slug(s)).ratio()
                   for s in (code, vi, en) if s)

    return sorted(codes, key=lambda c: (-score(c), c))


def unknown_code_hint(value: str | None, code_list: str, codes: Sequence[str]
                      ) -> tuple[str, str]:
    """(hint_vi, hint_en) for one unknown code."""
    ranked = nearest_codes(value or "", code_list, codes)
    if not ranked:
        return "", ""
    best = ranked[0]
    vi, en = code_labels().get((code_list, best), ("", ""))
    listed = ", ".join(ranked[:MAX_LISTED])
    more = len(ranked) - MAX_LISTED
    rest_vi = f" và {more} mã khác" if more > 0 else ""
    rest_en = f" and {more} more" if more > 0 else ""
    return (
        f"; có phải là `{best}` ({vi})? Các mã hợp lệ, gần nhất trước: {listed}{rest_vi}",
        f"; did you mean `{best}` ({en or vi})? Valid codes, nearest first: {listed}{rest_en}",
    )


def unknown_code_hints(values: pl.Series, code_list: str, codes: Sequence[str]
                       ) -> tuple[pl.Series, pl.Series]:
    """Hints for a column of unknown codes (computed once per distinct value)."""
    lookup = {v: unknown_code_hint(v, code_list, codes)
              for v in values.unique().to_list()}
    vi = [lookup[v][0] for v in values.to_list()]
    en = [lookup[v][1] for v in values.to_list()]
    return pl.Series(vi, dtype=pl.String), pl.Series(en, dtype=pl.String)


def differing_columns(typed: pl.DataFrame, index: pl.Series, group: Sequence[str],
                      compared: Sequence[str], raw_prefix: str) -> tuple[pl.Series, pl.Series]:
    """For the rows `index` of `typed` (rows in conflict), the columns whose landed text differs
    within their group (same key, updated_at and file), as (hint_vi, hint_en)."""
    rows = typed.select(*group, *[raw_prefix + c for c in compared]).with_row_index("_i")
    rows = rows.filter(pl.col("_i").is_in(index.cast(pl.UInt32).implode()))
    differs = rows.group_by(group).agg(
        [(pl.col(raw_prefix + c).n_unique() > 1).alias(c) for c in compared])
    names = differs.select(
        *group,
        pl.concat_str([pl.when(pl.col(c)).then(pl.lit(c)) for c in compared],
                      separator=", ", ignore_nulls=True).alias("_cols"),
    )
    joined = pl.DataFrame({"_i": index.cast(pl.UInt32)}).join(
        rows.select("_i", *group), on="_i", how="left").join(
        names, on=list(group), how="left", nulls_equal=True)
    cols = joined.get_column("_cols").fill_null("")
    vi = pl.select(pl.when(cols != "").then(pl.lit("; các cột khác nhau: ") + cols)
                   .otherwise(pl.lit(""))).to_series()
    en = pl.select(pl.when(cols != "").then(pl.lit("; columns that differ: ") + cols)
                   .otherwise(pl.lit(""))).to_series()
    return vi, en
