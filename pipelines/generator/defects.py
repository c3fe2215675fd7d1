"""Bad input of `landing.md` §5, planted on purpose so a data steward has something to see.

Each class is planted at about `rate` × rows (at least one each when rate > 0). Row defects
never remove the only valid version of a record others refer to (reports, cases, persons,
judgements): for those a later, broken version is added, so the valid one stays current.
Every planted defect gets a tag; the writer turns tags into batch, file and row number and
lists them in `_defects.json`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.contract import KEYS, TABLES, columns
from pipelines.generator.delivery import PARENT_TABLES

QUARANTINE_CLASSES = ("unparseable_value", "unknown_code", "date_order", "missing_required",
                      "duplicate_conflict")
FINDING_CLASSES = ("reference_never_arrives", "release_before_intake")
CLASSES = (*QUARANTINE_CLASSES, *FINDING_CLASSES)
REFUSED_CLASS = "manifest_mismatch"

UNKNOWN_CODES = {
    "report_source": ["don_thu", "to_giac"], "body": ["cong_an", "CQDT", "toa_an"],
    "crime_category": ["rat_nghiem_trong", "very serious"], "sex": ["M", "nam"],
    "subject_type": ["vu_an", "bi_can"], "case_event": ["gia_han_dieu_tra",
                                                        "investigation_extention"],
    "outcome": ["khoi_to", "dinh_chi"], "return_by": ["tham_phan"],
    "return_ground": ["thieu_chung_cu"], "measure": ["tam_giam", "house_arrest"],
    "detention_stage": ["xet_xu", "trial"], "movement": ["trich_xuat", "hospital"],
    "release_reason": ["het_han"], "instance": ["so_tham"], "verdict": ["guilty"],
    "sentence": ["tu_treo", "probation"], "appeal_result": ["sua_an"], "fault": ["toa_an"],
    "execution_event": ["thi_hanh_xong", "released"],
}
DATE_ORDER = {  # table: (later column, earlier column) that the defect reverses
    "detention_orders": ("stated_end_date", "start_at"),
    "judgements": ("effective_date", "pronounced_date"),
    "case_events": ("received_date", "event_date"),
}
DUPLICATE_COLUMN = {
    "crime_reports": "handling_body", "cases": "crime_category", "persons": "sex",
    "case_events": "issuing_body", "detention_orders": "facility_code",
    "detention_movements": "facility_code", "judgements": "verdict",
    "execution_events": "event_type", "manual_scores": "value",
}
ORPHANS = {  # table: (referencing column, fake id prefix, own id prefix)
    "case_events": ("subject_id", "VA", "SK"),
    "persons": ("case_id", "VA", "BC"),
    "execution_events": ("judgement_id", "BA", "TH"),
    "detention_orders": ("case_id", "VA", "LTG"),
}
# Where a quarantined row would make other records look wrong (a pending reference, a movement
# out of order, an extension number that no longer matches), the defect is a later, broken
# version of the row and the valid one stays current.
COPY_TABLES = (*PARENT_TABLES, "detention_movements")
EXTENSION_EVENTS = ("report_prolonged", "report_extended", "investigation_extended",
                    "prosecution_extended", "trial_prep_extended")
FAKE_TERRITORY = 999  # no territory has this number: ids built with it are never delivered


@dataclass
class Planted:
    tag: int
    cls: str
    table: str
    column: str | None
    outcome: str  # quarantined / finding
    record_id: str
    note: str
    location: tuple[str, str, int] | None = None  # batch, file, row (set by the writer)


def to_strings(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Every contract column as canonical text (ISO dates, true/false); bookkeeping kept."""
    exprs = []
    for c in columns(table):
        col = pl.col(c.name)
        if c.type == "date":
            e = col.dt.strftime("%Y-%m-%d")
        elif c.type == "timestamp":
            e = col.dt.strftime("%Y-%m-%d %H:%M")  # whole minutes
        elif c.name == "is_deleted":
            e = pl.when(col).then(pl.lit("true"))  # empty = false (the default)
        elif c.type == "bool":
            e = pl.when(col).then(pl.lit("true")).when(col.not_()).then(pl.lit("false"))
        elif c.type in ("int", "number"):
            e = col.cast(pl.String)
        else:
            e = col
        exprs.append(e.cast(pl.String).alias(c.name))
    meta = [pl.col(m) for m in ("_b", "_ts", "_seq", "_kind", "_tag")]
    return df.select(*exprs, *meta)


def _ts_text(ts: int) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=ts)).strftime("%Y-%m-%d %H:%M")


def _bad_value(col_type: str, value: str, rng: np.random.Generator) -> str:
    k = int(rng.integers(4))
    if col_type == "date":
        y, m, d = value[:4], value[5:7], value[8:10]
        return [f"{y}-13-{d}", f"{y}-{m}-32", "không rõ", f"{y}-02-30"][k]
    if col_type == "timestamp":
        y, m, d, hm = value[:4], value[5:7], value[8:10], value[14:16]
        return [f"{y}-{m}-{d} 25:{hm}", f"{y}-02-31 08:{hm}", "sáng nay",
                f"{y}-{m}-{d} 09:75"][k]
    if col_type == "int":
        return [f"{value}a", "hai", f"{value}.5", "x"][k]
    return ["n/a", "đạt", "không có", "?"][k]  # number


def _key_text(row: dict, table: str) -> str:
    return "|".join(str(row[k]) for k in KEYS[table])


class Planter:
    """Plants defects without copying the tables: rows to change or add are kept as a sparse
    overlay of canonical-text rows; the writer applies it file by file."""

    def __init__(self, frames: dict[str, pl.DataFrame], rate: float, seed: int,
                 codes: dict[str, list[str]]) -> None:
        self.frames = frames  # typed, never modified
        self.rate = rate
        self.rng = np.random.default_rng([seed, 9_013])
        self.codes = codes
        self.planted: list[Planted] = []
        self.used: dict[str, set[int]] = {t: set() for t in frames}
        self.overlay: dict[str, list[dict]] = {t: [] for t in frames}
        self.replaced: dict[str, set[int]] = {t: set() for t in frames}  # by _seq
        self.eligible: dict[str, np.ndarray] = {}
        self.fake_counter = 0
        for table, df in frames.items():
            once = df.select(
                (pl.len().over(list(KEYS[table])) == 1) & (pl.col("_kind") == "orig")
            ).to_series().to_numpy()
            self.eligible[table] = np.flatnonzero(once)

    # ------------------------------------------------------------------ bookkeeping
    def tag(self, cls: str, table: str, column: str | None, outcome: str, row: dict,
            note: str) -> int:
        tag = len(self.planted) + 1
        self.planted.append(Planted(tag, cls, table, column, outcome, _key_text(row, table),
                                    note))
        return tag

    def draw(self, table: str, n: int, accept=None) -> list[dict]:
        """Up to `n` eligible, unused rows of `table`, in random order, as canonical-text
        dicts (with their index in `_i`) that `accept` (if given) admits."""
        if n <= 0:
            return []
        df = self.frames[table]
        pool = self.eligible[table]
        if self.used[table]:
            used = np.fromiter(self.used[table], dtype=np.int64, count=len(self.used[table]))
            pool = pool[~np.isin(pool, used)]
        order = pool[self.rng.permutation(len(pool))]
        rows: list[dict] = []
        chunk = max(64, 4 * n)
        for begin in range(0, len(order), chunk):
            idx = order[begin:begin + chunk]
            text = to_strings(df[idx.tolist()], table)
            for i, row in zip(idx.tolist(), text.iter_rows(named=True), strict=True):
                if accept is not None and not accept(row):
                    continue
                row["_i"] = i
                self.used[table].add(i)
                rows.append(row)
                if len(rows) == n:
                    return rows
        return rows

    def allocate(self, n: int, weights: dict[str, int]) -> dict[str, int]:
        tables = [t for t, w in weights.items() if w > 0]
        if not tables:
            return {}
        w = np.array([weights[t] for t in tables], dtype=float)
        counts = self.rng.multinomial(n, w / w.sum())
        return {t: int(c) for t, c in zip(tables, counts, strict=True) if c}

    def apply(self, table: str, replaced: list[dict], added: list[dict]) -> None:
        """Rows that replace a delivered row (same `_seq`) and rows added to the delivery."""
        for row in replaced:
            self.replaced[table].add(row["_seq"])
        self.overlay[table] += [{k: v for k, v in r.items() if k != "_i"}
                                for r in replaced + added]

    def broken_version(self, table: str, row: dict) -> tuple[dict, bool]:
        """The row that will carry the defect: a later copy where losing the row would raise
        other findings (parents, movements, extensions), else the row itself. Returns (row,
        is_copy)."""
        if table not in COPY_TABLES and row.get("event_type") not in EXTENSION_EVENTS:
            return row, False
        copy = dict(row)
        copy["_ts"] = row["_ts"] + 60 * int(self.rng.integers(1, 240))
        copy["updated_at"] = _ts_text(copy["_ts"])
        copy["_seq"] = row["_seq"] + 1
        copy["_kind"] = "defect"
        return copy, True

    # ------------------------------------------------------------------ classes
    def plant_row_class(self, cls: str, n: int) -> None:
        weights = {}
        for table in self.frames:
            candidates = self._columns_for(cls, table)
            if candidates:  # rows that have a value to break
                rows = self.frames[table][self.eligible[table].tolist()]
                weights[table] = rows.select(pl.any_horizontal(
                    pl.col(c).is_not_null() for c in candidates)).to_series().sum()
        for table, k in self.allocate(n, weights).items():
            cols = {c.name: c for c in TABLES[table]}
            candidates = self._columns_for(cls, table)

            def usable(row, candidates=candidates):
                return any(row[c] not in (None, "") for c in candidates)

            replaced, added = [], []
            for row in self.draw(table, k, usable):
                target, is_copy = self.broken_version(table, row)
                present = [c for c in candidates if row[c] not in (None, "")]
                column = present[int(self.rng.integers(len(present)))]
                if cls == "unparseable_value":
                    target[column] = _bad_value(cols[column].type, row[column], self.rng)
                elif cls == "unknown_code":
                    options = UNKNOWN_CODES[cols[column].code]  # type: ignore[index]
                    target[column] = options[int(self.rng.integers(len(options)))]
                elif cls == "missing_required":
                    target[column] = None
                elif cls == "date_order":
                    later, earlier = DATE_ORDER[table]
                    column = later
                    base = dt.date.fromisoformat(row[earlier][:10])
                    bad = base - dt.timedelta(days=int(self.rng.integers(1, 21)))
                    target[later] = bad.isoformat()
                target["_tag"] = self.tag(cls, table, column, "quarantined", row,
                                          f"{column}={target[column]!r}")
                (added if is_copy else replaced).append(target)
            self.apply(table, replaced, added)

    def _columns_for(self, cls: str, table: str) -> list[str]:
        keys = set(KEYS[table])
        cols = TABLES[table]
        if cls == "unparseable_value":
            return [c.name for c in cols if c.type in ("date", "timestamp", "int", "number")]
        if cls == "unknown_code":
            return [c.name for c in cols if c.type == "code"]
        if cls == "missing_required":
            return [c.name for c in cols if c.required and c.name not in keys]
        if cls == "date_order":
            return [DATE_ORDER[table][0]] if table in DATE_ORDER else []
        return []

    def plant_duplicates(self, n: int) -> None:
        weights = {t: len(self.eligible[t]) for t in self.frames if t in DUPLICATE_COLUMN}
        for table, k in self.allocate(n, weights).items():
            column = DUPLICATE_COLUMN[table]
            col = next(c for c in TABLES[table] if c.name == column)
            replaced, added = [], []
            for row in self.draw(table, k, lambda r, c=column: r[c] not in (None, "")):
                first, is_copy = self.broken_version(table, row)
                second = dict(first)
                second["_seq"] = first["_seq"] + 1
                second[column] = self._different(col, first[column])
                note = f"{column}: {first[column]!r} vs {second[column]!r}"
                first["_tag"] = self.tag("duplicate_conflict", table, column, "quarantined",
                                         row, note)
                second["_tag"] = self.tag("duplicate_conflict", table, column, "quarantined",
                                          row, note)
                if is_copy:
                    added += [first, second]
                else:
                    replaced.append(first)
                    added.append(second)
            self.apply(table, replaced, added)

    def _different(self, col, value: str) -> str:
        if col.type == "code":
            options = [c for c in self.codes[col.code] if c != value]
            return options[int(self.rng.integers(len(options)))]
        if col.type == "number":
            return f"{float(value) + 0.01:.2f}"
        return value + "-2"

    def plant_orphans(self, n: int) -> None:
        weights = {t: len(self.eligible[t]) for t in ORPHANS}
        allocation = self.allocate(max(0, n - len(ORPHANS)), weights)
        for table in ORPHANS:  # every kind of reference at least once when n allows
            if n >= len(ORPHANS) or not allocation:
                allocation[table] = allocation.get(table, 0) + 1
        for table, k in allocation.items():
            ref_col, fake_prefix, own_prefix = ORPHANS[table]
            key = KEYS[table][0]

            def accept(row, table=table):
                if table == "case_events":
                    return row["subject_type"] == "case"
                if table == "detention_orders":
                    return row["case_id"] is not None
                return True

            added = []
            for row in self.draw(table, k, accept):
                self.fake_counter += 1
                fake = f"{fake_prefix}{FAKE_TERRITORY}{self.fake_counter:07d}"
                new = dict(row)
                new[ref_col] = fake
                if table == "case_events":
                    new["case_id"] = fake
                new[key] = f"{own_prefix}{FAKE_TERRITORY}{self.fake_counter:08d}"
                new["_ts"] = row["_ts"] + 60 * int(self.rng.integers(1, 120))
                new["updated_at"] = _ts_text(new["_ts"])
                new["_seq"] = row["_seq"] + 3
                new["_kind"] = "defect"
                new["_tag"] = self.tag("reference_never_arrives", table, ref_col, "finding", new,
                                       f"{ref_col}={fake!r} is never delivered")
                added.append(new)
            self.apply(table, [], added)

    def plant_release_before_intake(self, n: int) -> None:
        table = "detention_movements"
        intakes = self.frames[table].filter(pl.col("movement_type") == "intake")
        once = intakes.filter(pl.len().over("person_id") == 1)["person_id"]
        candidates = set(once.to_list())
        added = []
        for row in self.draw(table, n, lambda r: r["movement_type"] == "intake"
                             and r["person_id"] in candidates):
            self.fake_counter += 1
            new = dict(row)
            at = dt.datetime.fromisoformat(row["movement_at"])
            new["movement_at"] = (at - dt.timedelta(days=int(self.rng.integers(1, 21)))
                                  ).strftime("%Y-%m-%d %H:%M")
            new["movement_type"] = "release"
            new["reason"] = "other"
            new["movement_id"] = f"BD{FAKE_TERRITORY}{self.fake_counter:08d}"
            new["_ts"] = row["_ts"] + 60 * int(self.rng.integers(1, 120))
            new["updated_at"] = _ts_text(new["_ts"])
            new["_seq"] = row["_seq"] + 3
            new["_kind"] = "defect"
            new["_tag"] = self.tag("release_before_intake", table, "movement_at", "finding",
                                   new, f"release {new['movement_at']} before intake "
                                        f"{row['movement_at']}")
            added.append(new)
        self.apply(table, [], added)


@dataclass
class Overlay:
    """Planted defects to apply at write time: per table, canonical-text rows (with `_b`,
    `_ts`, `_seq`, `_kind`, `_tag`) and the `_seq` of delivered rows they replace."""

    rows: dict[str, pl.DataFrame]
    replaced: dict[str, set[int]]
    planted: list[Planted]


def text_schema(table: str) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {c.name: pl.String for c in columns(table)}
    schema.update({"_b": pl.Int32, "_ts": pl.Int64, "_seq": pl.Int64, "_kind": pl.String,
                   "_tag": pl.Int64})
    return schema


def plant(frames: dict[str, pl.DataFrame], rate: float, seed: int,
          codes: dict[str, list[str]]) -> Overlay:
    """Plant every class at about `rate` × rows (at least one each when rate > 0)."""
    planter = Planter(frames, rate, seed, codes)
    if rate > 0:
        total = sum(df.height for df in frames.values())
        n = max(1, round(rate * total))
        for cls in ("unparseable_value", "unknown_code", "date_order", "missing_required"):
            planter.plant_row_class(cls, n)
        planter.plant_duplicates(n)
        planter.plant_orphans(n)
        planter.plant_release_before_intake(n)
    rows = {t: pl.DataFrame(planter.overlay[t], schema=text_schema(t)) for t in frames}
    return Overlay(rows=rows, replaced=planter.replaced, planted=planter.planted)
