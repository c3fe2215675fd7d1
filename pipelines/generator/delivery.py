"""From simulated record versions to delivered rows: typed polars frames, then the way real
exports arrive — re-sends, corrections, retractions and parents delivered after their children.

Every frame carries, besides the contract columns, `updated_at` and `is_deleted`:
`_b` (batch key: the entry day in daily mode, 0 = main / 1 = follow-up in single mode),
`_ts` (updated_at in seconds), `_seq` (a stable tie-breaker), `_kind` (orig, resend,
correction, spurious, retraction) and `_tag` (planted defect id, see `defects`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.contract import KEYS, TABLES, V11_COLUMNS
from pipelines.generator.dates import DAY

POLARS_BUILD = {"text": pl.String, "code": pl.String, "int": pl.Int64, "date": pl.Int32,
                "timestamp": pl.Int64, "bool": pl.Boolean, "number": pl.Float64}

# Parent tables: other records refer to them, so a planted defect never removes their only
# valid version (it is added as a later, broken version instead).
PARENT_TABLES = ("crime_reports", "cases", "persons", "judgements")

RESEND_RATE = 0.02
CORRECTION_RATE = 0.01
SPURIOUS_RATE = {"case_events": 0.003, "execution_events": 0.003, "crime_reports": 0.002}
LATE_PARENT_RATE = 0.01


def to_frame(table: str, rows: list[tuple]) -> pl.DataFrame:
    """Typed frame of one table from recorder tuples (contract 1.0 columns, ts, entry day);
    the 1.1 columns are added empty (`contract11.enrich` fills them)."""
    cols = TABLES[table]
    added = V11_COLUMNS.get(table, ())
    schema = {c.name: POLARS_BUILD[c.type] for c in cols if c.name not in added}
    schema["_ts"] = pl.Int64
    schema["_entry"] = pl.Int32
    df = pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pl.lit(None, dtype=POLARS_BUILD[c.type]).alias(c.name) for c in cols if c.name in added
    ).select(*(c.name for c in cols), "_ts", "_entry")
    casts = []
    for c in cols:
        if c.type == "date":
            casts.append(pl.col(c.name).cast(pl.Date))
        elif c.type == "timestamp":
            casts.append(pl.from_epoch(c.name, time_unit="s"))
    return df.with_columns(casts)


def finish_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Add updated_at, is_deleted and the bookkeeping columns to an assembled table."""
    return df.with_columns(
        pl.from_epoch(pl.col("_ts"), time_unit="s").alias("updated_at"),
        pl.lit(False).alias("is_deleted"),
        pl.lit("orig").alias("_kind"),
        pl.lit(None, dtype=pl.Int64).alias("_tag"),
    )


def _key_counts(df: pl.DataFrame, table: str) -> pl.Series:
    keys = list(KEYS[table])
    return df.select(pl.len().over(keys).alias("n"))["n"]


def _pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    if n == 0 or rate <= 0:
        return np.zeros(0, dtype=np.int64)
    k = int(rng.binomial(n, rate))
    return np.sort(rng.choice(n, size=k, replace=False))


def _later(df: pl.DataFrame, days: np.ndarray, single: bool, end: int) -> pl.DataFrame:
    """Move rows `days` later (daily: a later batch, never past `end`; single: follow-up)."""
    if single:
        return df.with_columns(pl.lit(1, dtype=pl.Int32).alias("_b"))
    b = np.minimum(df["_b"].to_numpy() + days, end)
    return df.with_columns(pl.Series("_b", b, dtype=pl.Int32))


def deliver(frames: dict[str, pl.DataFrame], seed: int, single: bool, end: int,
            codes: dict[str, list[str]]) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Assign every row to a batch and add the re-sends, corrections, retractions and late
    parents. Returns the frames and counts of what was added."""
    rng = np.random.default_rng([seed, 7_001])
    stats = {"resent": 0, "corrected": 0, "retracted": 0, "delivered_late": 0}
    out: dict[str, pl.DataFrame] = {}
    for table in TABLES:
        df = frames[table]
        df = df.with_columns(
            (pl.lit(0, dtype=pl.Int32) if single else pl.col("_entry")).alias("_b"))
        key = KEYS[table][0]

        # corrections: the first delivery carries a wrong value, a later version the right one
        if table in CORRECTABLE:
            single_version = (_key_counts(df, table) == 1).to_numpy()
            candidates = np.flatnonzero(single_version)
            chosen = candidates[_pick(rng, len(candidates), CORRECTION_RATE)]
            shift = rng.integers(1, 21, size=len(chosen))
            keep = (df["_entry"].to_numpy()[chosen] + shift) <= end
            chosen, shift = chosen[keep], shift[keep]
            if len(chosen):
                orig = df[chosen.tolist()]
                right = orig.with_columns(
                    (pl.col("_ts") + pl.Series(shift * DAY)).alias("_ts"),
                    (pl.col("_entry") + pl.Series(shift, dtype=pl.Int32)).alias("_entry"),
                    pl.lit("correction").alias("_kind"),
                ).with_columns(
                    pl.from_epoch("_ts", time_unit="s").alias("updated_at"),
                    (pl.lit(1, dtype=pl.Int32) if single else pl.col("_entry")).alias("_b"),
                )
                wrong = orig.with_columns(CORRECTABLE[table](orig, rng, codes))
                df = pl.concat([
                    df.filter(~pl.int_range(pl.len()).is_in(chosen.tolist())), wrong, right,
                ], how="vertical")
                stats["corrected"] += len(chosen)

        # retractions: a record entered twice; the duplicate is retracted later
        rate = SPURIOUS_RATE.get(table, 0.0)
        idx = _pick(rng, df.height, rate)
        if len(idx):
            shift = rng.integers(1, 15, size=len(idx))
            keep = (df["_entry"].to_numpy()[idx] + shift) <= end
            idx, shift = idx[keep], shift[keep]
        if len(idx):
            dup = df[idx.tolist()].with_columns(
                (pl.col(key) + "D").alias(key),
                (pl.col("_ts") + pl.Series(rng.integers(1, 10, len(idx)) * 60)).alias("_ts"),
                pl.lit("spurious").alias("_kind"),
            ).with_columns(pl.from_epoch("_ts", time_unit="s").alias("updated_at"))
            retract = dup.with_columns(
                (pl.col("_ts") + pl.Series(shift * DAY)).alias("_ts"),
                (pl.col("_entry") + pl.Series(shift, dtype=pl.Int32)).alias("_entry"),
                pl.lit(True).alias("is_deleted"),
                pl.lit("retraction").alias("_kind"),
            ).with_columns(pl.from_epoch("_ts", time_unit="s").alias("updated_at"))
            retract = retract.with_columns(
                (pl.lit(1, dtype=pl.Int32) if single else pl.col("_entry")).alias("_b"))
            df = pl.concat([df, dup, retract], how="vertical")
            stats["retracted"] += len(idx)

        # parents delivered after their children (out-of-order delivery)
        if table in PARENT_TABLES:
            first = (pl.col("_ts") == pl.col("_ts").min().over(KEYS[table]))
            eligible = np.flatnonzero(df.select(
                first & (pl.col("_kind") == "orig") & (pl.col("_entry") < end)
            ).to_series().to_numpy())
            late = eligible[_pick(rng, len(eligible), LATE_PARENT_RATE)]
            if len(late):
                moved = _later(df[late.tolist()], rng.integers(1, 6, len(late)), single, end)
                df = pl.concat([df.filter(~pl.int_range(pl.len()).is_in(late.tolist())), moved],
                               how="vertical")
                stats["delivered_late"] += len(late)

        # re-sends: the same row, unchanged, again in a later batch
        idx = _pick(rng, df.height, RESEND_RATE)
        if len(idx):
            again = df[idx.tolist()].filter(pl.col("_kind").is_in(["orig", "correction"]))
            again = _later(again, rng.integers(1, 31, again.height), single, end)
            again = again.with_columns(pl.lit("resend").alias("_kind"))
            df = pl.concat([df, again], how="vertical")
            stats["resent"] += again.height

        df = df.sort(["_b", "_ts", key], maintain_order=True)
        df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) * 16).alias("_seq"))
        out[table] = df
    return out, stats


def _other(values: pl.Series, rng: np.random.Generator, pool: list[str]) -> pl.Series:
    """For each value, a different one drawn from `pool`."""
    out = []
    for v in values.to_list():
        choices = [x for x in pool if x != v] or pool
        out.append(choices[int(rng.integers(len(choices)))])
    return pl.Series(values.name, out, dtype=pl.String)


def _column_pool(df: pl.DataFrame, column: str) -> list[str]:
    return sorted(v for v in df[column].unique().to_list() if v is not None)


# What a data-entry error looked like in the first version of a corrected record. Only fields
# that move no clock are corrected, so wrong first versions never plant a legal finding.
CORRECTABLE = {
    "crime_reports": lambda df, rng, codes: [
        _other(df["source_type"], rng, codes["report_source"])],
    "cases": lambda df, rng, codes: [
        (pl.col("penal_code_clause").fill_null(0) + 1).alias("penal_code_clause")],
    "persons": lambda df, rng, codes: [
        _other(df["sex"].fill_null("male"), rng, codes["sex"])],
    "detention_orders": lambda df, rng, codes: [
        _other(df["facility_code"], rng, _column_pool(df, "facility_code") + ["NTG-KHAC"])],
    "detention_movements": lambda df, rng, codes: [
        _other(df["facility_code"], rng, _column_pool(df, "facility_code") + ["NTG-KHAC"])],
    "judgements": lambda df, rng, codes: [
        (pl.col("sentence_months") + 6).fill_null(6).alias("sentence_months")],
    "execution_events": lambda df, rng, codes: [
        _other(df["issuing_body"].fill_null("thads"), rng, codes["body"])],
    "manual_scores": lambda df, rng, codes: [
        (pl.col("value") - 0.05).round(2).alias("value")],
}
