"""Row-level validation of landed files: pandera schemas generated from the contract.

`validate_rows` types the text cells (`pipelines.ingest.parse`; a Parquet file's typed values
as the text they stand for), validates the typed frame with a pandera (polars backend) schema
built from `pipelines.contract` and the code lists, and splits the rows (of one slice: one
file or part of one, or several files of one table stacked; the row rules hold within each
file) into accepted rows (typed, ready for `raw.<table>`) and quarantine rows (one per broken
rule and column). Everything is vectorised; nothing loops over rows in Python. The duplicate
check of a file read in several slices is completed across them by `slices.TableSlices`.

Pandera checks and the quarantine rule each maps to:

| pandera check | rule |
|---|---|
| `not_nullable` on a required column, cell empty | `missing_required` |
| `parseable` (a non-empty cell became null when typed) | `unparseable` |
| `unknown_code` (`isin` the code list, exact match) | `unknown_code` |
| `date_order` (start after end within the row) | `date_order` |
| `duplicate_conflict` (same key and `updated_at`, other content) | `duplicate_conflict` |
| `required_for_person` (`case_events.case_id` when the subject is a person) | `missing_required` |
| `implausible_date` (a date before the earliest or after as_of + 1 year) | `implausible_date` |
| `future_updated_at` (`updated_at` after the batch's receipt + 1 day) | `future_updated_at` |
| `unknown_reference` (`unit_code` not in `reference.units`) | `unknown_reference` |

A required cell that is present but unparseable raises both `not_nullable` and `parseable`;
only `unparseable` is kept; an `updated_at` in the future is `future_updated_at` only.
The raw value of a broken cell is masked as `pipelines.ingest.masking` says.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from pipelines.contract import KEYS, columns
from pipelines.ingest.hints import differing_columns, unknown_code_hints
from pipelines.ingest.masking import MASK, looks_personal, mask_values
from pipelines.ingest.parse import (
    POLARS_TYPES,
    clean_series,
    landed_text,
    parse_native,
    parse_series,
)
from pipelines.ingest.rules import (
    CASE_ID_FOR_PERSON_EN,
    CASE_ID_FOR_PERSON_VI,
    QUARANTINE_RULES,
    SEVERITY_ERROR,
    TYPE_EN,
    TYPE_VI,
)

RAW = "__raw__"  # prefix of the raw twin of a typed column (cleaned text, `type_column`)
FILE = ("_batch_id", "_file_name")  # lineage: the rules hold within one file
CONFLICT = "__conflict"  # the row shares key, updated_at and file with a row of other content
RECEIVED = "_received_at"  # when the row's batch was received (local time)
UNIT_COLUMNS = ("unit_code",)  # columns that must name a unit of reference.units
NEAREST = 3  # valid codes suggested for an unknown unit


@dataclass(frozen=True, eq=False)
class ValueRules:
    """What a value is checked against besides its type: code lists, units, plausible dates."""

    codes: Mapping[str, Sequence[str]]
    units: Sequence[str] = ()  # empty: units are not checked
    earliest: dt.date = dt.date(1945, 1, 1)
    earliest_birth: dt.date = dt.date(1900, 1, 1)
    latest: dt.date | None = None  # None: no upper bound
    future_slack: dt.timedelta = dt.timedelta(days=1)

    def key(self) -> tuple:
        return (tuple(sorted((k, tuple(v)) for k, v in self.codes.items())), tuple(self.units),
                self.earliest, self.earliest_birth, self.latest, self.future_slack)

    def earliest_for(self, column: str) -> dt.date:
        return self.earliest_birth if column == "birth_date" else self.earliest

# (earlier column, later column): the earlier must not be after the later, within one row.
DATE_ORDER: dict[str, list[tuple[str, str]]] = {
    "detention_orders": [("start_at", "stated_end_date")],
    "judgements": [("pronounced_date", "effective_date")],
    "case_events": [("event_date", "received_date")],
}

QUARANTINE_SCHEMA = {
    "batch_id": pl.String,
    "file_name": pl.String,
    "table_name": pl.String,
    "row_number": pl.Int64,
    "column_name": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "message_vi": pl.String,
    "message_en": pl.String,
    "record_id": pl.String,
    "unit_code": pl.String,
    "updated_at": pl.Datetime("us"),
    "raw_value": pl.String,
    "related_ids": pl.String,
}

# The keys of other records a row names, kept with its rejection so it can be sent back to the
# unit of that case, person, judgement or report (`marts.quarantine_routes`).
RELATED_COLUMNS = ("case_id", "person_id", "judgement_id", "report_id", "order_id",
                   "subject_type", "subject_id")


# --- pandera checks -------------------------------------------------------------------------


def _parseable(data: PolarsData) -> pl.LazyFrame:
    col = data.key
    return data.lazyframe.select(pl.col(col).is_not_null() | pl.col(RAW + col).is_null())


def _date_order(earlier: str, later: str, earlier_type: str):
    def check(data: PolarsData) -> pl.LazyFrame:
        first = pl.col(earlier).dt.date() if earlier_type == "timestamp" else pl.col(earlier)
        return data.lazyframe.select((first <= pl.col(later)).fill_null(True))

    return check


def _duplicate_conflict(data: PolarsData) -> pl.LazyFrame:
    # Computed with the typed frame (`_conflicts`), where only the rows sharing a group are
    # compared.
    return data.lazyframe.select(~pl.col(CONFLICT))


def _plausible_date(earliest: dt.date, latest: dt.date | None, col_type: str):
    def check(data: PolarsData) -> pl.LazyFrame:
        day = pl.col(data.key).dt.date() if col_type == "timestamp" else pl.col(data.key)
        ok = day >= earliest
        if latest is not None:
            ok = ok & (day <= latest)
        return data.lazyframe.select(ok.fill_null(True))

    return check


def _not_in_future(slack: dt.timedelta):
    def check(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col(data.key) <= pl.col(RECEIVED) + slack)
                                     .fill_null(True))

    return check


def _known_unit(units: Sequence[str]):
    def check(data: PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_in(list(units)).fill_null(True) | col.is_null())

    return check


def _required_for_person(data: PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(
        ~((pl.col("subject_type") == "person") & pl.col("case_id").is_null()).fill_null(False)
    )


def build_schema(table: str, rules: ValueRules | Mapping[str, Sequence[str]]
                 ) -> pa.DataFrameSchema:
    """The pandera schema of `table`: types, required columns, code lists, units, plausible
    dates, row rules."""
    rules = rules if isinstance(rules, ValueRules) else ValueRules(codes=rules)
    codes = rules.codes
    cols = columns(table)
    by_name = {c.name: c for c in cols}
    order_checks: dict[str, list[pa.Check]] = {}
    for earlier, later in DATE_ORDER.get(table, []):
        order_checks.setdefault(later, []).append(
            pa.Check(_date_order(earlier, later, by_name[earlier].type), name="date_order")
        )
    key = KEYS[table]
    spec = {}
    for c in cols:
        checks: list[pa.Check] = []
        if c.type not in ("text", "code"):
            checks.append(pa.Check(_parseable, name="parseable"))
        if c.type == "code":
            if c.code not in codes:
                raise KeyError(f"code list {c.code!r} is missing from reference.codes")
            checks.append(pa.Check.isin(list(codes[c.code]), name="unknown_code"))
        if c.type in ("date", "timestamp"):
            checks.append(pa.Check(
                _plausible_date(rules.earliest_for(c.name), rules.latest, c.type),
                name="implausible_date"))
        if c.name == "updated_at":
            checks.append(pa.Check(_not_in_future(rules.future_slack), name="future_updated_at"))
        if c.name in UNIT_COLUMNS and rules.units:
            checks.append(pa.Check(_known_unit(rules.units), name="unknown_reference"))
        checks += order_checks.get(c.name, [])
        if c.name == key[0]:
            checks.append(pa.Check(_duplicate_conflict, name="duplicate_conflict"))
        if table == "case_events" and c.name == "case_id":
            checks.append(pa.Check(_required_for_person, name="required_for_person"))
        spec[c.name] = pa.Column(POLARS_TYPES[c.type], nullable=not c.required, checks=checks)
    return pa.DataFrameSchema(spec, strict=False, name=table)


_SCHEMAS: dict[tuple, pa.DataFrameSchema] = {}


def schema_for(table: str, rules: ValueRules) -> pa.DataFrameSchema:
    key = (table, rules.key())
    if key not in _SCHEMAS:
        if len(_SCHEMAS) >= 64:
            _SCHEMAS.clear()
        _SCHEMAS[key] = build_schema(table, rules)
    return _SCHEMAS[key]


# --- messages -------------------------------------------------------------------------------


def _messages(table: str, rules: ValueRules) -> pl.DataFrame:
    """(rule, column_name) -> message_vi, message_en for every rule a column can break.
    `{nearest}` stays in the text of `unknown_reference`; it is filled in per value."""
    cols = columns(table)
    others = {later: earlier for earlier, later in DATE_ORDER.get(table, [])}
    rows = []
    for c in cols:
        earliest, latest = rules.earliest_for(c.name), rules.latest
        fmt = {
            "earliest": earliest.isoformat(),
            "latest": latest.isoformat() if latest else "…",
            "earliest_vi": f"{earliest:%d/%m/%Y}",
            "latest_vi": f"{latest:%d/%m/%Y}" if latest else "…",
            "slack": rules.future_slack.days,
            "nearest": "{nearest}",
            "column": c.name,
            "header": c.vi_header,
            "type": TYPE_EN.get(c.type, c.type),
            "type_vi": TYPE_VI.get(c.type, c.type),
            "code_list": c.code or "",
            "other": others.get(c.name, ""),
        }
        for rule in QUARANTINE_RULES.values():
            rows.append((rule.code, c.name, rule.message_vi.format(**fmt),
                         rule.message_en.format(**fmt)))
    if table == "case_events":
        rows = [r for r in rows if not (r[0] == "missing_required" and r[1] == "case_id")]
        rows.append(("missing_required", "case_id", CASE_ID_FOR_PERSON_VI, CASE_ID_FOR_PERSON_EN))
    return pl.DataFrame(rows, schema=["rule", "column_name", "message_vi", "message_en"],
                        orient="row")


_CHECK_RULES = {
    "not_nullable": "missing_required",
    "parseable": "unparseable",
    "unknown_code": "unknown_code",
    "date_order": "date_order",
    "duplicate_conflict": "duplicate_conflict",
    "required_for_person": "missing_required",
    "implausible_date": "implausible_date",
    "future_updated_at": "future_updated_at",
    "unknown_reference": "unknown_reference",
}


# --- validation -----------------------------------------------------------------------------


@dataclass
class Validated:
    accepted: pl.DataFrame  # contract columns typed + `_batch_id`, `_file_name`,
    #                         `_row_number`, `_extra`
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA
    files: dict[tuple[str, str], FileCounts]
    groups: pl.Series  # `group_hash` of every row given, in order (null: an incomplete group)


@dataclass
class FileCounts:
    rows_landed: int = 0
    rows_quarantined: int = 0
    rule_counts: dict[str, int] = field(default_factory=dict)


def group_hash(typed: pl.DataFrame, table: str) -> pl.Series:
    """A hash of each row's key and typed updated_at (null when one of them is empty): rows of
    one file with equal hashes are the only ones the duplicate check can find in conflict."""
    group = [*KEYS[table], "updated_at"]
    complete = pl.all_horizontal(pl.col(c).is_not_null() for c in group)
    return typed.select(pl.when(complete).then(pl.struct(group).hash())
                        .alias("__group")).to_series()


def _conflicts(typed: pl.DataFrame, table: str, groups: pl.Series) -> pl.Series:
    """Rows sharing their key, updated_at and file with a row of other typed content. Only
    the rows whose group hash recurs are compared (by value, so a hash collision is no
    conflict)."""
    out = pl.Series(CONFLICT, dtype=pl.Boolean).extend_constant(False, typed.height)
    shared = groups.is_duplicated() & groups.is_not_null()
    if not shared.any():
        return out
    idx = shared.arg_true()
    names = [c.name for c in columns(table)]
    group = [*KEYS[table], "updated_at", *FILE]
    rows = typed.gather(idx).select(*group, pl.struct(names).hash().alias("__content"))
    differs = rows.select(pl.col("__content").n_unique().over(group) > 1).to_series()
    return out.scatter(idx, differs)


def type_column(col_type: str, landed: pl.Series | None, n: int) -> tuple[pl.Series, pl.Series]:
    """(raw twin, typed value) of a landed column (None: absent, all empty). The raw twin is the
    cleaned text, or for a value a Parquet file holds typed (`parse.parse_native`) that value
    itself (`as_text` shows it as text)."""
    if landed is None:
        empty = pl.Series(dtype=pl.String).extend_constant(None, n)
        return empty, parse_series(col_type, empty)
    if landed.dtype != pl.String:
        native = parse_native(col_type, landed)
        if native is not None:
            return landed, native
        landed = landed_text(landed)
    text = clean_series(landed)
    return text, parse_series(col_type, text)


def as_text(raw: pl.Series) -> pl.Series:
    """Raw twin values as text (a typed Parquet value as the text it stands for)."""
    return raw if raw.dtype == pl.String else landed_text(raw)


def _typed_frame(frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, pl.Series]:
    """Cleaned text twins (`__raw__<col>`), typed contract columns and the conflict flag; and
    the group hash of every row."""
    cols = columns(table)
    n = frame.height
    series = [frame.get_column(c) for c in (*FILE, "_row_number", "_extra")]
    series.append(frame.get_column(RECEIVED) if RECEIVED in frame.columns
                  else pl.Series(RECEIVED, dtype=pl.Datetime("us")).extend_constant(None, n))
    typed = []
    for c in cols:
        landed = frame.get_column(c.name) if c.name in frame.columns else None
        raw, value = type_column(c.type, landed, n)
        series.append(raw.alias(RAW + c.name))
        typed.append(value.alias(c.name))
    out = pl.DataFrame([*series, *typed])
    groups = group_hash(out, table)
    return out.with_columns(_conflicts(out, table, groups)), groups


def validate_rows(
    frame: pl.DataFrame, table: str, rules: ValueRules | Mapping[str, Sequence[str]]
) -> Validated:
    """Type and validate the mapped text rows of one or more files of `table`.

    `frame` holds `_batch_id`, `_file_name`, `_row_number`, `_extra` and the contract columns
    present (text, see `read.map_headers`); files of several batches may be stacked, so many
    small files cost one validation.
    """
    rules = rules if isinstance(rules, ValueRules) else ValueRules(codes=rules)
    cols = columns(table)
    typed, groups = _typed_frame(frame, table)
    schema = schema_for(table, rules)
    try:
        schema.validate(typed, lazy=True)
        failures = pl.DataFrame(schema={"index": pl.Int64, "column_name": pl.String,
                                        "rule": pl.String})
    except pa.errors.SchemaErrors as err:
        failures = _failures(err.failure_cases, typed)

    accepted = typed.select(*[c.name for c in cols], *FILE, "_row_number", "_extra")
    if failures.height:
        bad_index = failures.get_column("index").unique()
        accepted = accepted.filter(
            ~pl.int_range(pl.len(), dtype=pl.Int64).is_in(bad_index.implode()))
    accepted = accepted.with_columns(pl.col("is_deleted").fill_null(False))
    quarantine = _quarantine_rows(failures, typed, table, rules)

    files: dict[tuple[str, str], FileCounts] = {}
    for batch_id, file_name, n in _rows_per_file(typed):
        files[(batch_id, file_name)] = FileCounts(rows_landed=n)
    if failures.height:
        per_file = failures.join(typed.select(*FILE).with_row_index("index").with_columns(
            pl.col("index").cast(pl.Int64)), on="index", how="left")
        for batch_id, file_name, n in per_file.group_by(*FILE).agg(
                pl.col("index").n_unique()).rows():
            files[(batch_id, file_name)].rows_quarantined = n
        for batch_id, file_name, rule, n in per_file.group_by(*FILE, "rule").len().rows():
            files[(batch_id, file_name)].rule_counts[rule] = n
    return Validated(accepted=accepted, quarantine=quarantine, files=files, groups=groups)


def _rows_per_file(typed: pl.DataFrame) -> list[tuple[str, str, int]]:
    """(batch_id, file_name, rows): a file's rows lie together, so runs are counted rather
    than every row grouped."""
    runs = typed.select(pl.struct(*FILE).rle().alias("run")).unnest("run")
    return runs.unnest("value").group_by(*FILE).agg(pl.col("len").sum()).rows()


def _failures(failure_cases: pl.DataFrame, typed: pl.DataFrame) -> pl.DataFrame:
    # pandera reports a built-in check by its expression (`isin([...])`), not its name.
    check = pl.col("check")
    fc = failure_cases.select(
        pl.col("index").cast(pl.Int64),
        pl.col("column").alias("column_name"),
        pl.when(check.str.starts_with("isin(")).then(pl.lit("unknown_code")).otherwise(check)
        .alias("check"),
    )
    unknown = fc.filter(~pl.col("check").is_in(list(_CHECK_RULES)) | pl.col("index").is_null())
    if unknown.height:
        # A schema-level failure (wrong dtype, missing column) is a pipeline bug, not bad input.
        raise RuntimeError(
            "ingestion built a frame its own schema rejects: "
            + "; ".join(f"{r['column_name']}: {r['check']}" for r in unknown.head(5).to_dicts())
        )
    fc = fc.with_columns(pl.col("check").replace_strict(_CHECK_RULES).alias("rule"))
    # An empty required cell is `missing_required`; a present but unparseable one is only
    # `unparseable` (its not-null failure comes from the failed parse).
    nulls = fc.filter(pl.col("check") == "not_nullable")
    if nulls.height:
        raw_present = pl.concat(
            [
                g.select(
                    "index", "column_name",
                    typed.get_column(RAW + col).gather(g.get_column("index"))
                    .is_not_null().alias("raw_present"),
                )
                for (col,), g in nulls.group_by("column_name")
            ]
        )
        fc = fc.join(raw_present, on=["index", "column_name"], how="left").filter(
            ~((pl.col("check") == "not_nullable") & pl.col("raw_present").fill_null(False))
        )
    # An updated_at in the future is that, not also an implausible date.
    future = fc.filter(pl.col("rule") == "future_updated_at").select("index", "column_name")
    if future.height:
        fc = fc.join(future.with_columns(pl.lit(True).alias("_future")),
                     on=["index", "column_name"], how="left").filter(
            ~((pl.col("rule") == "implausible_date") & pl.col("_future").fill_null(False)))
    return fc.select("index", "column_name", "rule").unique(maintain_order=True)


def _record_id(table: str) -> pl.Expr:
    key = KEYS[table]
    if len(key) == 1:
        return pl.col(RAW + key[0])
    parts = [pl.col(RAW + k).fill_null("") for k in key]
    all_null = pl.all_horizontal(pl.col(RAW + k).is_null() for k in key)
    return pl.when(~all_null).then(pl.concat_str(parts, separator="|"))


def _related_ids(typed: pl.DataFrame, table: str) -> pl.Series:
    """JSON object of the related keys each row names (readable text only; a value that looks
    like personal data is left out)."""
    names = [c.name for c in columns(table) if c.name in RELATED_COLUMNS]
    if not names:
        return pl.Series("related_ids", dtype=pl.String).extend_constant(None, typed.height)
    fields = []
    for n in names:
        values = typed.get_column(RAW + n)
        fields.append(pl.select(pl.when(looks_personal(values)).then(None).otherwise(values))
                      .to_series().alias(n))
    return pl.select(pl.struct(fields).struct.json_encode()).to_series().alias("related_ids")


def _nearest_units(values: pl.Series, units: Sequence[str]) -> pl.Series:
    """The valid unit codes nearest to each value (by spelling), comma-separated."""
    lookup = {}
    upper = {u.upper(): u for u in units}
    for v in values.drop_nulls().unique().to_list():
        found = difflib.get_close_matches(v.upper(), list(upper), n=NEAREST, cutoff=0.0)
        lookup[v] = ", ".join(upper[f] for f in found)
    return values.replace_strict(lookup, default="", return_dtype=pl.String)


def _quarantine_rows(failures: pl.DataFrame, typed: pl.DataFrame, table: str,
                     rules: ValueRules) -> pl.DataFrame:
    names = list(QUARANTINE_SCHEMA)
    if failures.height == 0:
        return pl.DataFrame(schema={n: QUARANTINE_SCHEMA[n] for n in names})
    code_lists = {c.name: c.code for c in columns(table) if c.code}
    has_unit = any(c.name == "unit_code" for c in columns(table))
    row_info = typed.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
        pl.col("_batch_id").alias("batch_id"),
        pl.col("_file_name").alias("file_name"),
        pl.col("_row_number").alias("row_number"),
        _record_id(table).alias("record_id"),
        (pl.col(RAW + "unit_code") if has_unit else pl.lit(None, pl.String)).alias("unit_code"),
        pl.col("updated_at"),
        _related_ids(typed, table),
    )
    # The raw value of the broken cell; for a date pair both cells.
    others = {later: earlier for earlier, later in DATE_ORDER.get(table, [])}
    parts = []
    for (col, rule), g in failures.group_by("column_name", "rule"):
        idx = g.get_column("index")
        value = as_text(typed.get_column(RAW + col).gather(idx))
        if rule == "date_order":
            first = as_text(typed.get_column(RAW + others[col]).gather(idx))
            value = pl.select(
                pl.concat_str(
                    [pl.lit(f"{others[col]}="), first.fill_null(""),
                     pl.lit(f"; {col}="), value.fill_null("")]
                )
            ).to_series()
        nearest = (_nearest_units(value, rules.units) if rule == "unknown_reference"
                   else pl.Series(dtype=pl.String).extend_constant(None, len(value)))
        hint_vi = hint_en = pl.Series(dtype=pl.String).extend_constant("", len(value))
        if rule == "unknown_code" and code_lists.get(col) in rules.codes:
            hint_vi, hint_en = unknown_code_hints(value.fill_null(""), code_lists[col],
                                                  rules.codes[code_lists[col]])
        elif rule == "duplicate_conflict":
            hint_vi, hint_en = differing_columns(
                typed, idx, [*KEYS[table], "updated_at", *FILE],
                [c.name for c in columns(table) if c.name not in (*KEYS[table], "updated_at")],
                RAW)
        value = mask_values(value, col)
        parts.append(g.with_columns(value.alias("raw_value"), nearest.alias("_nearest"),
                                    hint_vi.alias("_hint_vi"), hint_en.alias("_hint_en")))
    with_values = pl.concat(parts)
    out = (
        with_values.join(row_info, on="index", how="left")
        .join(_messages(table, rules), on=["rule", "column_name"], how="left")
        .with_columns(pl.lit(SEVERITY_ERROR).alias("severity"), pl.lit(table).alias("table_name"))
    )
    nearest = pl.col("_nearest").fill_null("–")
    personal = [looks_personal(out.get_column(c)) for c in ("record_id", "unit_code")]
    out = out.with_columns(
        pl.col("message_vi").str.replace("{nearest}", nearest, literal=True)
        + pl.col("_hint_vi").fill_null(""),
        pl.col("message_en").str.replace("{nearest}", nearest, literal=True)
        + pl.col("_hint_en").fill_null(""),
        # A name or ID number typed into a key or unit column is not shown either.
        pl.when(personal[0]).then(pl.lit(MASK)).otherwise(pl.col("record_id"))
        .alias("record_id"),
        pl.when(personal[1]).then(pl.lit(MASK)).otherwise(pl.col("unit_code"))
        .alias("unit_code"),
    )
    return (
        out.sort("batch_id", "file_name", "row_number", "column_name", "rule")
        .select(names)
        .cast({n: QUARANTINE_SCHEMA[n] for n in names})
    )
