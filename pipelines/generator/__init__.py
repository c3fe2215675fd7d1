"""Synthetic landing batches for casewatch (landing contract version 1).

`generate(...)` simulates how cases are handled in a set of procuracy units — crime reports,
cases, accused persons, the decisions that move the statutory clocks, custody and detention,
judgements and their execution — and writes what the source systems would export every night:
one folder per batch under the landing root, one file per table, a `_manifest.json` each.
Same arguments, same bytes. See `docs/generator.md`.

Layout of the landing root it writes:

    <batch_id>/<table>.csv|xlsx|parquet   the batches
    <batch_id>/_manifest.json             row counts and sha256 of every file
    _reference/staff.csv                  prosecutors (fictitious names) per unit and period
    _reference/units.csv                  national scale only: the synthetic units
    _defects.json                         every planted defect (empty list when clean)
    _generation.json                      the arguments, the units simulated, the big-city units
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from pipelines import paths
from pipelines.contract import TABLES
from pipelines.generator import contract11, writer
from pipelines.generator import defects as defects_mod
from pipelines.generator.dates import from_day, to_day
from pipelines.generator.delivery import deliver, finish_frame, to_frame
from pipelines.generator.flows import simulate
from pipelines.generator.world import Territory, build_world

__all__ = ["SAMPLE", "generate"]

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# The committed sample in data/landing/ (`casewatch generate --sample`): the nine former Bến Tre
# district units and their Vĩnh Long successors, across the 2025-07-01 re-organisation.
SAMPLE: dict = {
    "seed": 20250701,
    "scale": "province",
    "start": dt.date(2023, 1, 1),
    "end": dt.date(2025, 12, 31),
    "defect_rate": 0.0005,
    "batches": "single",
    "showcase": True,
}

SCALES = ("district", "province", "national")
BATCH_MODES = ("daily", "single")
PARALLEL_FROM = 40  # territories: below this, simulate in-process


_STARTED = [time.monotonic()]


def _progress(message: str) -> None:
    """Progress on stderr, with the seconds since the generation started."""
    elapsed = time.monotonic() - _STARTED[0]
    print(f"[generate {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def _simulate_chunk(territories: list[Territory], seed: int, start: int, end: int
                    ) -> dict[str, pl.DataFrame]:
    parts: dict[str, list[pl.DataFrame]] = {t: [] for t in TABLES}
    for territory in territories:
        rows = simulate(territory, seed, start, end)
        for table, table_rows in rows.items():
            if table_rows:
                parts[table].append(to_frame(table, table_rows))
    return {t: (pl.concat(p, how="vertical") if p else to_frame(t, []))
            for t, p in parts.items()}


def _simulate_all(territories: list[Territory], seed: int, start: int, end: int
                  ) -> dict[str, pl.DataFrame]:
    period = f"{from_day(start)}..{from_day(end)}"
    chunks = [territories[i:i + 10] for i in range(0, len(territories), 10)]
    results: list[dict[str, pl.DataFrame]] = []
    if len(territories) < PARALLEL_FROM:
        for chunk in chunks:
            results.append(_simulate_chunk(chunk, seed, start, end))
            done = chunk[-1].index
            _progress(f"simulated {done}/{len(territories)} units, {period}")
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            futures = [pool.submit(_simulate_chunk, c, seed, start, end) for c in chunks]
            for chunk, future in zip(chunks, futures, strict=True):
                results.append(future.result())
                _progress(f"simulated {chunk[-1].index}/{len(territories)} units, {period}")
    return {t: finish_frame(pl.concat([r[t] for r in results], how="vertical"))
            for t in TABLES}


def _load_codes() -> dict[str, list[str]]:
    df = pl.read_csv(paths.CONTRACT_DIR / "codes.csv", infer_schema=False)
    codes: dict[str, list[str]] = {}
    for lst, code in df.select("list", "code").iter_rows():
        codes.setdefault(lst, []).append(code)
    return codes


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / "_defects.json").exists():
            raise FileExistsError(
                f"{out} is not empty and was not written by the generator; "
                "choose an empty folder")
        for child in sorted(out.iterdir()):  # a previous generation: replace it
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _batch_id(key: int, single: bool, end: int, hour: int = 1) -> tuple[str, dt.datetime]:
    day = from_day(end + 1 + key if single else key + 1)
    exported = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TIMEZONE)
    return f"{day:%Y%m%d}T{hour:02d}00", exported


def generate(out: Path, seed: int, scale: str, start: dt.date, end: dt.date | None,
             defect_rate: float, batches: str, units: int | None = None,
             showcase: bool = False) -> str:
    """Write synthetic landing batches to `out`; returns a one-paragraph summary.

    `end=None` means today in Asia/Ho_Chi_Minh. `scale`: district (one unit), province (the
    Bến Tre / Vĩnh Long units) or national (355 regional units). `batches`: daily (one batch
    per day of data entry, exported at 01:00 the next morning) or single (one main batch and a
    small follow-up). `defect_rate`: each class of bad input at about that share of rows.
    `units`: at national scale, simulate only that many units, evenly spread (a quick national
    sample; `_generation.json` gives the weight back to the whole). `showcase`: one of each
    rare outcome (acquittal, wrongful termination, superior and withdrawn protests) in the
    first unit, so that a small sample shows them (the committed sample does).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if batches not in BATCH_MODES:
        raise ValueError(f"batches must be daily or single, not {batches!r}")
    if not 0 <= defect_rate < 0.2:
        raise ValueError("defect_rate must be in [0, 0.2)")
    if units is not None and (scale != "national" or not 1 <= units <= 355):
        raise ValueError("units: a number of units from 1 to 355, at national scale only")
    if end is None:
        from pipelines.resources import today_local  # imports Dagster: only when needed

        end = today_local()
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    out = Path(out)
    _prepare(out)
    _STARTED[0] = time.monotonic()
    single = batches == "single"
    start_day, end_day = to_day(start), to_day(end)

    world = build_world(scale, seed, start_day, end_day, paths.REFERENCE_DIR, units=units,
                        showcase=showcase)
    _progress(f"{scale}: {len(world.territories)} of {world.units_total} units, seed {seed}")
    frames = _simulate_all(world.territories, seed, start_day, end_day)
    frames, adoption = contract11.enrich(frames, seed, start_day, end_day)
    codes = _load_codes()
    frames, stats = deliver(frames, seed, single, end_day, codes)
    _progress("delivery planned: " + ", ".join(f"{k} {v:,}" for k, v in stats.items()))
    overlay = defects_mod.plant(frames, defect_rate, seed, codes)
    planted = overlay.planted
    if planted:
        _progress(f"planted {len(planted):,} defective rows")

    _progress("writing batches")
    batch_ids, refused = _write_batches(out, frames, overlay, seed, single, end_day,
                                        defect_rate > 0, scale, adoption)
    _write_reference(out, world)
    _write_defects(out, planted, refused, seed, defect_rate)
    _write_generation(out, world, seed, scale, start, end, batches, defect_rate, showcase)
    _progress(f"done: {len(batch_ids)} batches in {out}")

    rows = {t: frames[t].height + overlay.rows[t].height - len(overlay.replaced[t])
            for t in TABLES}
    by_class = Counter(p.cls for p in planted)
    parts = [f"{t} {n:,}" for t, n in rows.items() if n]
    summary = (
        f"Wrote {len(batch_ids)} batches ({batch_ids[0]} … {batch_ids[-1]}) to {out}: "
        f"{scale} scale, {len(world.territories)} units"
        + (f" (a sample of {world.units_total})" if len(world.territories) < world.units_total
           else "")
        + f", data from {start:%d/%m/%Y} to "
        f"{end:%d/%m/%Y}, seed {seed}. Rows per table: {'; '.join(parts)} "
        f"({sum(rows.values()):,} in all, including {stats['resent']:,} re-sent, "
        f"{stats['corrected']:,} corrected, {stats['retracted']:,} retracted and "
        f"{stats['delivered_late']:,} parents delivered after their children). "
    )
    if planted:
        summary += (
            f"Defects planted at rate {defect_rate}: {len(planted):,} rows ("
            + ", ".join(f"{c} {by_class[c]}" for c in defects_mod.CLASSES)
            + f"), and batch {refused} has a truncated file its manifest does not match "
            "(it must be refused whole); see _defects.json."
        )
    else:
        summary += "No defects planted."
    return summary


def _batch_slices(df: pl.DataFrame) -> dict[int, tuple[int, int]]:
    """Offset and length of every batch key in a frame sorted by `_b`."""
    counts = df.group_by("_b", maintain_order=True).len()
    slices, offset = {}, 0
    for key, n in counts.iter_rows():
        slices[key] = (offset, n)
        offset += n
    return slices


def _write_batches(out: Path, frames: dict[str, pl.DataFrame], overlay, seed: int,
                   single: bool, end: int, with_refused: bool, scale: str,
                   adoption: dict[str, int] | None = None) -> tuple[list[str], str | None]:
    """Write every batch folder; a file's rows are its slice of the (sorted) delivered table
    with the planted defects applied."""
    rng = np.random.default_rng([seed, 5_003])
    slices = {t: _batch_slices(df) for t, df in frames.items()}
    extra = {t: {k[0]: part for k, part in overlay.rows[t].partition_by(
        "_b", as_dict=True, maintain_order=True).items()} for t in TABLES}
    replaced = {t: sorted(overlay.replaced[t]) for t in TABLES}
    keys = sorted({k for s in slices.values() for k in s} | {k for e in extra.values()
                                                              for k in e})
    refused_key = None
    if with_refused and keys:
        if single:
            refused_key = keys[-1]
        else:
            middle = keys[len(keys) // 3: max(len(keys) // 3 + 1, 2 * len(keys) // 3)]
            refused_key = middle[int(rng.integers(len(middle)))]
    source = f"casewatch-synthetic/{scale}"
    locations: dict[int, tuple[str, str, int]] = {}
    batch_ids: list[str] = []
    refused_id = None
    for n, key in enumerate(keys, start=1):
        hour = 4 if key == refused_key else 1
        batch_id, exported = _batch_id(key, single, end, hour)
        folder = out / batch_id
        folder.mkdir()
        files: dict[str, int] = {}
        for table in TABLES:
            bounds = slices[table].get(key)
            planted_rows = extra[table].get(key)
            if bounds is None and planted_rows is None:
                continue
            style = writer.style_for(table, key, single, rng)
            size = (bounds[1] if bounds else 0) + (planted_rows.height if planted_rows is not None
                                                  else 0)
            if style.fmt == "xlsx" and size > writer.XLSX_MAX_ROWS:
                style = replace(style, fmt="csv")
            name = f"{table}.{style.fmt}"
            untyped = (writer.untyped_columns(planted_rows, table)
                       if style.fmt == "parquet" else set())
            omit = ()
            if contract11.is_legacy_batch(key, single, adoption or {}):
                rows = frames[table].slice(*bounds) if bounds else None
                omit = contract11.legacy_columns(table, (rows, planted_rows))
            fw = writer.FileWriter(folder / name, table, style, exported, rng, untyped, omit)
            for chunk in _file_chunks(frames[table], table, bounds, planted_rows,
                                      replaced[table]):
                fw.write(chunk)
            files[name] = fw.close()
            base = 0 if style.fmt == "parquet" else 1
            for i, tag in enumerate(fw.tags):
                if tag is not None:
                    locations[tag] = (batch_id, name, i + base)
        writer.write_manifest(folder, files, exported, source)
        batch_ids.append(batch_id)
        if key == refused_key:
            # the first delivery of this batch, three hours earlier, was cut short in transfer
            refused_id, refused_exported = _batch_id(key, single, end, 1)
            bad = out / refused_id
            bad.mkdir()
            for name in files:
                shutil.copyfile(folder / name, bad / name)
            writer.write_manifest(bad, files, refused_exported, source)
            csvs = sorted((p.stat().st_size, p.name) for p in bad.iterdir()
                          if p.suffix == ".csv")
            victim = csvs[-1][1] if csvs else sorted(files)[0]
            writer.truncate(bad / victim)
            batch_ids.append(refused_id)
            overlay.planted.append(defects_mod.Planted(
                tag=-1, cls=defects_mod.REFUSED_CLASS, table=victim.split(".")[0],
                column=None, outcome="refused", record_id="",
                note=f"{victim} truncated; the whole batch must be refused"))
            locations[-1] = (refused_id, victim, -1)
        if len(keys) > 50 and n % 100 == 0:
            _progress(f"wrote {n}/{len(keys)} batches")
    for p in overlay.planted:
        p.location = locations[p.tag]
    return sorted(batch_ids), refused_id


CHUNK_ROWS = 250_000


def _file_chunks(df: pl.DataFrame, table: str, bounds: tuple[int, int] | None,
                 planted: pl.DataFrame | None, replaced: list[int]):
    """One file's rows as canonical text, in order (`_seq`), a chunk at a time: the delivered
    slice, minus the rows a planted defect replaces, with the planted rows put in place."""
    if bounds is None:
        yield planted.sort("_seq")  # type: ignore[union-attr]
        return
    offset, length = bounds
    seq = df["_seq"]
    planted = planted.sort("_seq") if planted is not None else None
    for begin in range(0, length, CHUNK_ROWS):
        n = min(CHUNK_ROWS, length - begin)
        text = defects_mod.to_strings(df.slice(offset + begin, n), table)
        if replaced:
            text = text.filter(~pl.col("_seq").is_in(replaced))
        if planted is not None:
            low = seq[offset + begin] if begin else -1
            high = seq[offset + begin + n] if begin + n < length else None
            mine = planted.filter(pl.col("_seq") >= low)
            if high is not None:
                mine = mine.filter(pl.col("_seq") < high)
            if mine.height:
                text = pl.concat([text, mine]).sort("_seq", maintain_order=True)
        yield text


def _write_reference(out: Path, world) -> None:
    ref = out / "_reference"
    ref.mkdir(exist_ok=True)
    writer.write_csv_rows(ref / "staff.csv", world.staff_rows(),
                          ["prosecutor_id", "unit_code", "valid_from", "valid_to",
                           "display_name"])
    if world.units_rows:
        writer.write_csv_rows(ref / "units.csv", world.units_rows,
                              ["unit_code", "name_vi", "level", "parent_code", "valid_from",
                               "valid_to", "successor_code", "source"])


def _write_generation(out: Path, world, seed: int, scale: str, start: dt.date, end: dt.date,
                      batches: str, defect_rate: float, showcase: bool) -> None:
    """What was generated, for the realism report: the arguments, the units simulated (a
    national sample is weighted back to the whole) and the big-city units."""
    doc = {
        "seed": seed,
        "scale": scale,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "batches": batches,
        "defect_rate": defect_rate,
        "showcase": showcase,
        "units_total": world.units_total,
        "units_simulated": len(world.territories),
        "weight": round(world.weight, 6),
        "units": sorted({u for t in world.territories
                         for u in (t.unit_code, t.successor_code) if u}),
        "city_units": sorted(t.unit_code for t in world.territories if t.city),
    }
    (out / "_generation.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")


def _write_defects(out: Path, planted: list, refused: str | None, seed: int,
                   rate: float) -> None:
    entries = []
    for p in planted:
        batch, file, row = p.location
        entries.append({
            "batch": batch,
            "file": file,
            "table": p.table,
            "row": None if row < 0 else row,
            "column": p.column,
            "class": p.cls,
            "outcome": p.outcome,
            "record_id": p.record_id,
            "detail": p.note,
        })
    entries.sort(key=lambda e: (e["batch"], e["file"], e["row"] if e["row"] is not None
                                else -1, e["class"], e["detail"]))
    doc = {
        "contract_version": 1,
        "seed": seed,
        "defect_rate": rate,
        "row_numbers": "1-based data rows (header excluded) in CSV and XLSX, "
                       "0-based row index in Parquet",
        "refused_batch": refused,
        "defects": entries,
    }
    (out / "_defects.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
