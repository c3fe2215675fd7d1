"""Landing contract 1.1 in the synthetic batches (`landing.md` 1.1, `outputs.md` §1.9).

A source system adopts 1.1 unit by unit. Each unit gets an adoption day, drawn between 35 % and
70 % of the generated period. From that day on, its records carry the new columns and events:

- `detention_orders.vks_received_at` (and `vks_refused_at` for a few refusals): the procuracy's
  receipt of an original detention order of the investigation stages, and of every custody
  extension request. Most decisions come within the limit (3 days; 12 hours), a few late.
- the detention stages `supplementary_investigation` (detention while a file returned by the
  procuracy, or accepted by the court, is investigated again) and `resumed_investigation` (a
  person detained again after an investigation is resumed), Art. 174(4).
- `charge_received_by_vks` for every charge (mostly the same or the next day, a few later), with
  the procuracy's approval moved to follow that receipt (Art. 179); 1 % are cancelled
  (`charge_cancelled_by_vks`) instead.
- `judgement_received_by_vks` for every first-instance judgement (Art. 262(1)).
- `judgements.received_date` of appellate judgements: the first-instance court's receipt, on or
  before the execution decision (Art. 364).
- `case_events.suspension_ground` on report and investigation suspensions.

Suspensions are dated mostly on or after the limit expired; a few come early
(`suspension_day`), which the engine reports as `premature_suspension`.

Batches exported before the first unit adopts are 1.0-style: their files have no 1.1 columns
(`is_legacy_batch`), and both kinds load.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np
import polars as pl

from pipelines.contract import V11_COLUMNS
from pipelines.generator.dates import DAY, next_workday

ADOPTION_WINDOW = (0.35, 0.70)
PREMATURE_SUSPENSION_RATE = 0.05

REPORT_GROUNDS = (("awaiting_expertise", 0.55), ("awaiting_documents", 0.35),
                  ("force_majeure", 0.03), (None, 0.07))
CASE_GROUNDS = (("suspect_unidentified", 0.55), ("awaiting_expertise", 0.25),
                ("serious_illness", 0.12), ("force_majeure", 0.03), (None, 0.05))
PERSON_GROUNDS = (("suspect_unidentified", 0.7), ("serious_illness", 0.3))
CANCEL_RATE = 0.01  # charge decisions the procuracy cancels instead of approving
RESUMED_DETENTION_RATE = 0.3  # resumed cases in which one accused is detained again
RESUMED_LIMIT_DAYS = {"less_serious": 90, "serious": 120, "very_serious": 150,
                      "especially_serious": 180}


def suspension_day(rng: random.Random, due: int) -> int:
    """The day an investigation body suspends once the limit `due` (nominal) has expired: on the
    limit or a few days after, rolled off a weekend; now and then too early."""
    if rng.random() < PREMATURE_SUSPENSION_RATE:
        return due - 1 - int(rng.random() * 10)
    return next_workday(due + int(rng.random() * 4))


def adoption_days(units: Iterable[str], seed: int, start: int, end: int) -> dict[str, int]:
    """The day each unit starts delivering 1.1 data."""
    rng = np.random.default_rng([seed, 1101])
    lo, hi = ADOPTION_WINDOW
    span = max(end - start, 0)
    return {u: start + int(span * (lo + (hi - lo) * rng.random())) for u in sorted(set(units))}


def first_adoption(adoption: dict[str, int]) -> int | None:
    return min(adoption.values()) if adoption else None


def is_legacy_batch(key: int, single: bool, adoption: dict[str, int]) -> bool:
    """A daily batch entered before any unit adopted 1.1 is written without the 1.1 columns."""
    first = first_adoption(adoption)
    return not single and first is not None and key < first


def legacy_columns(table: str, rows: Iterable[pl.DataFrame | None]) -> tuple[str, ...]:
    """The 1.1 columns a 1.0-style file of `table` leaves out: those empty in all its rows."""
    drop = []
    for name in V11_COLUMNS.get(table, ()):
        if all(df is None or df.height == 0 or df[name].null_count() == df.height
               for df in rows):
            drop.append(name)
    return tuple(drop)


def _days(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Date).cast(pl.Int32)


def _adopted(frame: pl.DataFrame, unit_col: str, day: pl.Expr, adoption: dict[str, int]
             ) -> pl.Series:
    adopted_from = frame[unit_col].replace_strict(adoption, default=None,
                                                  return_dtype=pl.Int32)
    return frame.select((day >= adopted_from.alias("_a")).fill_null(False)).to_series()


def _uniform(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    return lo + (hi - lo) * rng.random(n)


def _choice(rng: np.random.Generator, n: int, options) -> list:
    values = [v for v, _ in options]
    weights = np.array([w for _, w in options])
    idx = rng.choice(len(values), size=n, p=weights / weights.sum())
    return [values[i] for i in idx]


def enrich(frames: dict[str, pl.DataFrame], seed: int, start: int, end: int
           ) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Fill the 1.1 columns and add the 1.1 events; returns the frames and adoption days."""
    units = set()
    for table in ("crime_reports", "cases", "detention_orders", "judgements"):
        units |= set(frames[table]["unit_code"].drop_nulls().unique().to_list())
    adoption = adoption_days(units, seed, start, end)
    rng = np.random.default_rng([seed, 1102])
    frames = dict(frames)
    case_units = (frames["cases"].sort("_ts", "case_id").unique("case_id", keep="last")
                  .select("case_id", pl.col("unit_code").alias("_unit")))
    report_units = (frames["crime_reports"].sort("_ts", "report_id")
                    .unique("report_id", keep="last")
                    .select(pl.col("report_id").alias("subject_id"),
                            pl.col("unit_code").alias("_report_unit")))
    frames["detention_orders"], frames["detention_movements"] = _resumed_detention(
        frames, adoption, rng, end)
    frames["detention_orders"] = _orders(frames["detention_orders"], frames["case_events"],
                                         adoption, rng)
    frames["judgements"] = _judgements(frames["judgements"], frames["execution_events"],
                                       adoption, rng)
    frames["case_events"] = _events(frames["case_events"], frames["judgements"], case_units,
                                     report_units, adoption, rng, end)
    return frames, adoption


def _resumed_detention(frames: dict[str, pl.DataFrame], adoption: dict[str, int],
                       rng: np.random.Generator, end: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """In some resumed investigations one accused is detained again (stage
    resumed_investigation): an order within the C4 limit for most, a few longer; an intake,
    and a release when the order ends or the file goes to the procuracy."""
    orders, movements = frames["detention_orders"], frames["detention_movements"]
    events, cases, persons = frames["case_events"], frames["cases"], frames["persons"]
    resumed = (events.filter((pl.col("event_type") == "investigation_resumed")
                             & (pl.col("subject_type") == "case"))
               .select("case_id", _days("event_date").alias("_resumed"), "_entry")
               .unique("case_id", keep="first"))
    filed = (events.filter(pl.col("event_type") == "file_received_by_vks")
             .select("case_id", _days("event_date").alias("_filed")))
    facility = (orders.filter(pl.col("measure") == "detention")
                .group_by("unit_code").agg(pl.col("facility_code").mode().sort().first()))
    picked = (resumed
              .join(cases.sort("_ts", "case_id").unique("case_id", keep="last")
                    .select("case_id", "unit_code", "crime_category"), on="case_id")
              .join(persons.sort("person_id").unique("case_id", keep="first")
                    .select("case_id", "person_id"), on="case_id")
              .join(facility, on="unit_code")
              .sort("case_id"))
    if picked.height == 0:
        return orders, movements
    picked = picked.filter(_adopted(picked, "unit_code", pl.col("_resumed") + 3, adoption))
    picked = picked.filter(pl.Series(rng.random(picked.height) < RESUMED_DETENTION_RATE))
    picked = picked.join(filed, on="case_id", how="left", maintain_order="left").filter(
        pl.col("_filed").is_null() | (pl.col("_filed") > pl.col("_resumed"))
    ).group_by("case_id", maintain_order=True).agg(pl.all().exclude("_filed").first(),
                                                    pl.col("_filed").min()).sort("case_id")
    n = picked.height
    if n == 0:
        return orders, movements
    start_day = picked["_resumed"].to_numpy() + 1 + np.floor(rng.random(n) * 5).astype(int)
    start_s = start_day.astype(np.int64) * DAY + (8 * 3600 + np.floor(rng.random(n) * 8 * 3600)
                                                  ).astype(np.int64)
    limit = picked["crime_category"].replace_strict(RESUMED_LIMIT_DAYS, default=90).to_numpy()
    days = np.where(rng.random(n) < 0.05, limit + 1 + np.floor(rng.random(n) * 15),
                    np.minimum(60, limit)).astype(int)
    stated_end = start_day + days - 1
    filed_day = picked["_filed"].fill_null(10**7).to_numpy()
    out_day = np.minimum(stated_end, filed_day)
    keep = start_day <= end
    entry = np.maximum(picked["_entry"].to_numpy(), start_day)

    def stamp(day: np.ndarray) -> np.ndarray:
        return day.astype(np.int64) * DAY + (60 * (450 + np.floor(rng.random(n) * 600))
                                             ).astype(np.int64)

    new_orders = pl.DataFrame({
        "order_id": [f"LTGR{i:09d}" for i in range(n)],
        "person_id": picked["person_id"], "case_id": picked["case_id"],
        "unit_code": picked["unit_code"], "facility_code": picked["facility_code"],
        "measure": "detention", "stage": "resumed_investigation", "extension_no": 0,
        "start_at": pl.from_epoch(pl.Series(start_s), time_unit="s"),
        "stated_end_date": pl.Series(stated_end.astype(np.int32)).cast(pl.Date),
        "_ts": np.maximum(stamp(entry), start_s + 600), "_entry": entry.astype(np.int32),
    }).filter(pl.Series(keep))
    orders = pl.concat([orders, _finish(new_orders, orders)])
    moves = []
    for kind, at, reason, ok in (
        ("intake", start_s, None, keep),
        ("release", np.maximum(out_day.astype(np.int64) * DAY + 16 * 3600, start_s + 3600),
         np.where(out_day < stated_end, "measure_changed", "order_expired"),
         keep & (out_day <= end)),
    ):
        moves.append(pl.DataFrame({
            "movement_id": [f"BDR{kind[0]}{i:08d}" for i in range(n)],
            "person_id": picked["person_id"], "facility_code": picked["facility_code"],
            "movement_type": kind,
            "movement_at": pl.from_epoch(pl.Series(at), time_unit="s"),
            "reason": pl.Series(reason if reason is not None else [None] * n, dtype=pl.String),
            "_ts": np.maximum(stamp(np.maximum(at // DAY, entry)), at + 600),
            "_entry": np.maximum(at // DAY, entry).astype(np.int32),
        }).filter(pl.Series(ok)))
    movements = pl.concat([movements, *(_finish(m, movements) for m in moves)])
    return orders, movements


def _finish(rows: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    """New record versions in the layout of `like` (missing columns empty)."""
    rows = rows.with_columns(
        pl.from_epoch("_ts", time_unit="s").alias("updated_at"),
        pl.lit(False).alias("is_deleted"),
        pl.lit("orig").alias("_kind"),
        pl.lit(None, dtype=pl.Int64).alias("_tag"),
    )
    return rows.with_columns(
        pl.lit(None, dtype=like.schema[c]).alias(c) for c in like.columns if c not in rows.columns
    ).select(like.columns).cast(like.schema)


def _orders(orders: pl.DataFrame, events: pl.DataFrame, adoption: dict[str, int],
            rng: np.random.Generator) -> pl.DataFrame:
    if orders.height == 0:
        return orders
    start_day = _days("start_at")
    adopted = _adopted(orders, "unit_code", start_day, adoption)
    orders = orders.with_columns(adopted.alias("_adopted"), start_day.alias("_start_day"))

    # detention of the investigation stage while a returned file is investigated again
    accepted = pl.col("is_accepted").fill_null(False)
    returns = (events.filter(
        (pl.col("subject_type") == "case")
        & ((pl.col("event_type") == "returned_by_vks")
           | ((pl.col("event_type") == "returned_by_court") & accepted)))
        .select("case_id", _days("event_date").alias("_returned")).drop_nulls()
        .unique().sort("_returned"))
    files = (events.filter((pl.col("subject_type") == "case")
                           & (pl.col("event_type") == "file_received_by_vks"))
             .select("case_id", _days("event_date").alias("_filed")).drop_nulls()
             .unique().sort("_filed"))
    if returns.height:
        windows = returns.join_asof(files, left_on="_returned", right_on="_filed", by="case_id",
                                    strategy="forward", allow_exact_matches=False,
                                    check_sortedness=False)
        marked = (orders.with_row_index("_i").filter(pl.col("_adopted")
                                                     & (pl.col("measure") == "detention")
                                                     & (pl.col("stage") == "investigation")
                                                     & pl.col("case_id").is_not_null())
                  .sort("_start_day")
                  .join_asof(windows, left_on="_start_day", right_on="_returned", by="case_id",
                             strategy="backward", check_sortedness=False)
                  .filter(pl.col("_returned").is_not_null()
                          & (pl.col("_filed").is_null()
                             | (pl.col("_start_day") < pl.col("_filed"))))
                  .select("_i"))
        supplementary = orders.with_row_index("_i")["_i"].is_in(marked["_i"].implode())
        orders = orders.with_columns(
            pl.when(supplementary).then(pl.lit("supplementary_investigation"))
            .otherwise(pl.col("stage")).alias("stage"))

    n = orders.height
    start_s = orders["start_at"].dt.epoch("s").to_numpy()
    approved_s = orders["vks_approved_at"].dt.epoch("s").to_numpy()
    requested = orders["requested_date"].cast(pl.Int32).to_numpy()
    is_adopted = orders["_adopted"].to_numpy()
    detention = ((orders["measure"] == "detention")
                 & (orders["extension_no"] == 0)
                 & orders["stage"].is_in(["investigation", "resumed_investigation",
                                          "supplementary_investigation"])).to_numpy()
    custody_ext = ((orders["measure"] == "custody") & (orders["extension_no"] >= 1)).to_numpy()
    late, refused = rng.random(n), rng.random(n)
    received = np.full(n, np.nan)
    decided = np.full(n, np.nan)
    refused_at = np.full(n, np.nan)
    # detention orders: the procuracy approves before the order is carried out (Art. 119(4))
    dec = start_s - _uniform(rng, n, 600, 6 * 3600)
    wait = np.where(late < 0.06, _uniform(rng, n, 4.5 * DAY, 6 * DAY),
                    _uniform(rng, n, 2 * 3600, 2.5 * DAY))
    sel = is_adopted & detention
    decided[sel], received[sel] = dec[sel], dec[sel] - wait[sel]
    # custody extensions: decided within 12 hours of the request (Art. 118(2))
    has_approval = ~np.isnan(approved_s)
    cwait = np.where(late < 0.06, _uniform(rng, n, 12.2 * 3600, 20 * 3600),
                     _uniform(rng, n, 3600, 11.5 * 3600))
    sel_c = is_adopted & custody_ext & has_approval
    floor = np.where(np.isnan(requested.astype(float)), -np.inf, requested.astype(float) * DAY)
    decided[sel_c] = approved_s[sel_c]
    received[sel_c] = np.maximum(approved_s[sel_c] - cwait[sel_c], floor[sel_c])
    # a few refusals: the decision is a refusal instead of an approval
    ref = (sel | sel_c) & (refused < 0.02)
    refused_at[ref], decided[ref] = decided[ref], np.nan
    keep_old = ~(sel | sel_c)
    approved_new = np.where(keep_old, approved_s, decided)

    def ts(values: np.ndarray) -> pl.Series:
        minutes = np.where(np.isnan(values), np.nan, np.floor(values / 60) * 60)
        return pl.from_epoch(pl.Series(minutes).fill_nan(None).cast(pl.Int64), time_unit="s")

    return orders.with_columns(
        ts(received).alias("vks_received_at"),
        ts(refused_at).alias("vks_refused_at"),
        ts(approved_new.astype(float)).alias("vks_approved_at"),
    ).drop("_adopted", "_start_day")


def _judgements(judgements: pl.DataFrame, executions: pl.DataFrame, adoption: dict[str, int],
                rng: np.random.Generator) -> pl.DataFrame:
    if judgements.height == 0:
        return judgements
    pronounced = _days("pronounced_date")
    adopted = _adopted(judgements, "unit_code", pronounced, adoption)
    decisions = (executions.filter(pl.col("event_type") == "execution_decision")
                 .group_by("judgement_id").agg(_days("event_date").min().alias("_decision")))
    df = judgements.with_columns(adopted.alias("_adopted"), pronounced.alias("_p")).join(
        decisions, on="judgement_id", how="left", maintain_order="left")
    n = df.height
    gap = (df["_decision"] - df["_p"]).fill_null(15).clip(0, 25).to_numpy()
    offset = np.floor(rng.random(n) * (gap + 1)).astype(np.int32)
    received = (df["_p"].to_numpy() + offset)
    mask = (df["_adopted"] & (df["instance"] == "appeal")).to_numpy()
    values = pl.Series("received_date", np.where(mask, received, 0)).cast(pl.Int32)
    return df.with_columns(
        pl.when(pl.Series(mask)).then(values).otherwise(None).cast(pl.Date)
        .alias("received_date")
    ).select(judgements.columns)


def _new_events(events: pl.DataFrame, rows: pl.DataFrame, rng: np.random.Generator, end: int,
                prefix: str) -> pl.DataFrame:
    """Event rows in the frame's layout from (event_type, subject_type, subject_id, case_id,
    judgement_id, event_date day, issuing_body, entry floor); entered a day later at most."""
    n = rows.height
    if n == 0:
        return events.clear()
    lag = (rng.random(n) < 0.4).astype(np.int32)
    minutes = 60 * (450 + np.floor(rng.random(n) * 600)).astype(np.int64)
    rows = rows.with_columns(
        pl.max_horizontal(pl.col("_day") + pl.Series(lag), pl.col("_after")).alias("_entry"),
    ).with_columns(
        (pl.col("_entry").cast(pl.Int64) * DAY + pl.Series(minutes)).alias("_ts"),
    ).filter((pl.col("_day") <= end) & (pl.col("_entry") <= end))
    rows = rows.with_row_index("_n")
    out = rows.select(
        (pl.lit(prefix) + pl.col("_n").cast(pl.String).str.zfill(9)).alias("event_id"),
        "event_type", "subject_type", "subject_id", "case_id",
        pl.col("_day").cast(pl.Date).alias("event_date"),
        pl.lit(None, dtype=pl.Date).alias("received_date"),
        "judgement_id",
        pl.lit(None, dtype=pl.Date).alias("stated_end_date"),
        pl.lit(None, dtype=pl.Int64).alias("extension_no"),
        pl.lit(None, dtype=pl.Date).alias("requested_date"),
        pl.lit(None, dtype=pl.String).alias("outcome"),
        "issuing_body",
        *(pl.lit(None, dtype=events.schema[c]).alias(c)
          for c in ("return_by", "return_ground", "crime_category", "penal_code_article",
                    "to_unit_code", "is_accepted", "suspension_ground")),
        pl.col("_ts").cast(pl.Int64),
        pl.col("_entry").cast(pl.Int32),
    ).with_columns(
        pl.from_epoch("_ts", time_unit="s").alias("updated_at"),
        pl.lit(False).alias("is_deleted"),
        pl.lit("orig").alias("_kind"),
        pl.lit(None, dtype=pl.Int64).alias("_tag"),
    )
    return out.select(events.columns).cast(events.schema)


def _events(events: pl.DataFrame, judgements: pl.DataFrame, case_units: pl.DataFrame,
            report_units: pl.DataFrame, adoption: dict[str, int], rng: np.random.Generator,
            end: int) -> pl.DataFrame:
    if events.height == 0:
        return events
    ev = events.join(case_units, on="case_id", how="left", maintain_order="left").join(
        report_units, on="subject_id", how="left", maintain_order="left")
    ev = ev.with_columns(
        pl.when(pl.col("subject_type") == "report").then(pl.col("_report_unit"))
        .otherwise(pl.col("_unit")).alias("_unit"))
    ev = ev.with_columns(_adopted(ev, "_unit", _days("event_date"), adoption).alias("_adopted"))

    # suspension grounds
    n = ev.height
    grounds = {
        "report": _choice(rng, n, REPORT_GROUNDS),
        "case": _choice(rng, n, CASE_GROUNDS),
        "person": _choice(rng, n, PERSON_GROUNDS),
    }
    ground = [
        grounds[st][i] if adopted and et in ("report_suspended", "investigation_suspended")
        else None
        for i, (et, st, adopted) in enumerate(zip(ev["event_type"], ev["subject_type"],
                                                  ev["_adopted"], strict=True))
    ]
    ev = ev.with_columns(pl.Series("suspension_ground", ground, dtype=pl.String))

    # charges: received by the procuracy, then approved within 3 days (a few late)
    charges = ev.filter(pl.col("_adopted") & (pl.col("event_type") == "person_charged"))
    k = charges.height
    delay = np.where(rng.random(k) < 0.92, np.floor(rng.random(k) * 2),
                     2 + np.floor(rng.random(k) * 3)).astype(np.int32)
    receipts = charges.select(
        pl.lit("charge_received_by_vks").alias("event_type"),
        pl.lit("person").alias("subject_type"), "subject_id", "case_id",
        pl.lit(None, dtype=pl.String).alias("judgement_id"),
        (_days("event_date") + pl.Series(delay)).alias("_day"),
        pl.lit("vks").alias("issuing_body"),
        pl.col("_entry").alias("_after"),
    )
    approve_wait = np.where(rng.random(k) < 0.93, np.floor(rng.random(k) * 4),
                            4 + np.floor(rng.random(k) * 3)).astype(np.int32)
    approvals = receipts.select(
        "subject_id", "case_id",
        (pl.col("_day") + pl.Series(approve_wait)).alias("_approved_day"),
        (pl.col("_day") + pl.Series(approve_wait) + pl.Series(
            (rng.random(k) < 0.4).astype(np.int32))).alias("_approved_entry"),
        pl.Series("_cancel", rng.random(k) < CANCEL_RATE),
    )
    approvals = approvals.unique(["subject_id", "case_id"], keep="first", maintain_order=True)
    ev = ev.join(approvals.with_columns(pl.lit("charge_approved").alias("event_type")),
                 on=["subject_id", "case_id", "event_type"], how="left", maintain_order="left")
    moved = pl.col("_approved_day").is_not_null()
    ev = ev.with_columns(
        pl.when(moved).then(pl.col("_approved_day").cast(pl.Date)).otherwise(pl.col("event_date"))
        .alias("event_date"),
        pl.when(moved & pl.col("_cancel")).then(pl.lit("charge_cancelled_by_vks"))
        .otherwise(pl.col("event_type")).alias("event_type"),
        pl.when(moved).then(pl.max_horizontal("_entry", "_approved_entry"))
        .otherwise(pl.col("_entry")).cast(pl.Int32).alias("_entry"),
    ).with_columns(
        pl.when(moved).then(pl.col("_entry").cast(pl.Int64) * DAY + pl.col("_ts") % DAY)
        .otherwise(pl.col("_ts")).alias("_ts"),
    ).with_columns(pl.from_epoch("_ts", time_unit="s").alias("updated_at"))
    ev = ev.filter(~moved | ((pl.col("_approved_day") <= end) & (pl.col("_entry") <= end)))

    # first-instance judgements: sent to the procuracy within 10 days (a few later)
    firsts = judgements.filter(pl.col("instance") == "first").sort("_ts", "judgement_id").unique(
        "judgement_id", keep="first").sort("judgement_id")
    adopted = _adopted(firsts, "unit_code", _days("pronounced_date"), adoption)
    firsts = firsts.filter(adopted)
    m = firsts.height
    send = np.where(rng.random(m) < 0.92, 1 + np.floor(rng.random(m) * 10),
                    11 + np.floor(rng.random(m) * 10)).astype(np.int32)
    sent = firsts.select(
        pl.lit("judgement_received_by_vks").alias("event_type"),
        pl.lit("judgement").alias("subject_type"),
        pl.col("judgement_id").alias("subject_id"), "case_id", "judgement_id",
        (_days("pronounced_date") + pl.Series(send)).alias("_day"),
        pl.lit("toa").alias("issuing_body"),
        pl.col("_entry").alias("_after"),
    )
    base = ev.select(events.columns)
    added = pl.concat([_new_events(base, receipts, rng, end, "SKV"),
                       _new_events(base, sent, rng, end, "SKJ")])
    return pl.concat([base, added]).cast(events.schema)

