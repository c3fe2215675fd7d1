"""The synthetic landing generator: deterministic, faithful to the landing contract, and its
planted defects are exactly the rows `_defects.json` lists."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines import paths
from pipelines.contract import KEYS, TABLES, V11_COLUMNS, columns
from pipelines.generator import SAMPLE, generate

CODES = pl.read_csv(paths.CONTRACT_DIR / "codes.csv", infer_schema=False)
CODE_LISTS: dict[str, set[str]] = {}
for _list, _code in CODES.select("list", "code").iter_rows():
    CODE_LISTS.setdefault(_list, set()).add(_code)

# ------------------------------------------------------------------ a minimal, strict reader


def _norm_header(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\ufeff", "")).strip().casefold()
    return re.sub(r"\s+", " ", text)


HEADER_MAP = {
    table: {**{_norm_header(c.name): c.name for c in columns(table)},
            **{_norm_header(c.vi_header): c.name for c in columns(table)}}
    for table in TABLES
}
BOOL_WORDS = {"true": "true", "1": "true", "có": "true", "x": "true",
              "false": "false", "0": "false", "không": "false"}


def read_raw(path: Path) -> pl.DataFrame:
    """A landed file as it is: original headers, cells as written (typed for Parquet)."""
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".xlsx":
        return pl.read_excel(path, infer_schema_length=0)
    return pl.read_parquet(path)


def canonical(path: Path) -> pl.DataFrame:
    """Contract column names, every value as canonical text: ISO dates, `YYYY-MM-DD HH:MM`
    timestamps, true/false, NFC. Values that are not valid in any contract form are kept as
    written. Adds `_row` (the contract's row number)."""
    table = path.stem
    raw = read_raw(path)
    mapping = HEADER_MAP[table]
    raw = raw.rename({h: mapping[_norm_header(h)] for h in raw.columns})
    out = []
    for c in columns(table):
        if c.name not in raw.columns and c.name in V11_COLUMNS.get(table, ()):
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(c.name))  # 1.0-style
        s = raw[c.name]
        if s.dtype == pl.Date:
            s = s.dt.strftime("%Y-%m-%d")
        elif s.dtype == pl.Datetime:
            s = s.dt.strftime("%Y-%m-%d %H:%M")
        elif s.dtype == pl.Boolean:
            s = s.cast(pl.String)
        else:
            s = s.cast(pl.String)
        s = s.str.normalize("NFC")
        if c.type == "date":
            s = s.str.replace(r"^(\d{2})/(\d{2})/(\d{4})$", "${3}-${2}-${1}")
        elif c.type == "timestamp":
            s = s.str.replace(r"^(\d{2})/(\d{2})/(\d{4}) (\d{2}:\d{2})$", "${3}-${2}-${1} ${4}")
            s = s.str.replace(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):00\+07:00$", "${1} ${2}")
        elif c.type == "bool":
            s = s.replace(BOOL_WORDS)
            if c.name == "is_deleted":
                s = s.fill_null("false")
        out.append(s.alias(c.name))
    base = 0 if path.suffix == ".parquet" else 1
    return pl.DataFrame(out).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + base).alias("_row"))


def batch_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


def load_all(root: Path) -> dict[str, pl.DataFrame]:
    """Every table over every batch except the refused one, with `_batch` and `_file`."""
    refused = json.loads((root / "_defects.json").read_text())["refused_batch"]
    parts: dict[str, list[pl.DataFrame]] = {t: [] for t in TABLES}
    for folder in batch_dirs(root):
        if folder.name == refused:
            continue
        for f in sorted(folder.iterdir()):
            if f.name.startswith("_"):
                continue
            parts[f.stem].append(canonical(f).with_columns(
                pl.lit(folder.name).alias("_batch"), pl.lit(f.name).alias("_file")))
    def empty(table: str) -> pl.DataFrame:
        schema = {c.name: pl.String for c in columns(table)}
        return pl.DataFrame(schema={**schema, "_row": pl.Int64, "_batch": pl.String,
                                    "_file": pl.String})

    return {t: pl.concat(p) if p else empty(t) for t, p in parts.items()}


def without_quarantined(tables: dict[str, pl.DataFrame], entries: list[dict]
                        ) -> dict[str, pl.DataFrame]:
    """The rows ingestion accepts (the planted row defects removed)."""
    bad = pl.DataFrame(
        [(e["batch"], e["file"], e["row"]) for e in entries if e["outcome"] == "quarantined"],
        schema={"_batch": pl.String, "_file": pl.String, "_row": pl.Int64}, orient="row")
    return {t: df.join(bad, on=["_batch", "_file", "_row"], how="anti")
            for t, df in tables.items()}


def valid_mask(col_type: str, s: pl.Series) -> pl.Series:
    """True where a non-empty canonical value is valid for its type."""
    if col_type == "date":
        ok = s.str.contains(r"^\d{4}-\d{2}-\d{2}$") & s.str.to_date(
            "%Y-%m-%d", strict=False).is_not_null()
    elif col_type == "timestamp":
        ok = s.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$") & s.str.to_datetime(
            "%Y-%m-%d %H:%M", strict=False).is_not_null()
    elif col_type == "int":
        ok = s.str.contains(r"^-?\d+$")
    elif col_type == "number":
        ok = s.str.contains(r"^-?\d+(\.\d+)?$")
    elif col_type == "bool":
        ok = s.is_in(["true", "false"])
    else:
        ok = pl.Series([True] * len(s))
    return ok.fill_null(False)


def defects_of(root: Path) -> dict:
    return json.loads((root / "_defects.json").read_text(encoding="utf-8"))


def where(entries: list[dict], cls: str) -> set[tuple]:
    return {(e["batch"], e["file"], e["row"]) for e in entries if e["class"] == cls}


def located(df: pl.DataFrame, mask: pl.Series | pl.Expr) -> set[tuple]:
    return {(b, f, r) for b, f, r in df.filter(mask).select("_batch", "_file", "_row").rows()}


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def daily(tmp_path_factory) -> Path:
    """Province scale, one batch per day across the 2025-07-01 re-organisation, defects on."""
    out = tmp_path_factory.mktemp("daily")
    generate(out=out, seed=11, scale="province", start=dt.date(2025, 2, 1),
             end=dt.date(2025, 8, 15), defect_rate=0.004, batches="daily")
    return out


@pytest.fixture(scope="module")
def daily_tables(daily) -> dict[str, pl.DataFrame]:
    return load_all(daily)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """One district, several years, no defects, one main batch and its follow-up."""
    out = tmp_path_factory.mktemp("clean")
    generate(out=out, seed=5, scale="district", start=dt.date(2021, 1, 1),
             end=dt.date(2025, 12, 31), defect_rate=0.0, batches="single")
    return out


@pytest.fixture(scope="module")
def clean_tables(clean) -> dict[str, pl.DataFrame]:
    return load_all(clean)


# ------------------------------------------------------------------ determinism, sample


def _all_files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tmp_path):
    kwargs = dict(seed=3, scale="district", start=dt.date(2024, 1, 1),
                  end=dt.date(2024, 9, 30), defect_rate=0.01, batches="daily")
    generate(out=tmp_path / "a", **kwargs)
    generate(out=tmp_path / "b", **kwargs)
    a, b = _all_files(tmp_path / "a"), _all_files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert any(name.endswith(".xlsx") for name in a) and any(n.endswith(".parquet") for n in a)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    generate(out=tmp_path / "c", **{**kwargs, "seed": 4})
    c = _all_files(tmp_path / "c")
    assert any(c[n].read_bytes() != a[n].read_bytes() for n in a.keys() & c.keys())


def test_files_written_in_chunks_hold_the_same_rows(tmp_path, monkeypatch):
    import pipelines.generator as generator

    kwargs = dict(seed=9, scale="district", start=dt.date(2023, 1, 1), end=dt.date(2025, 6, 30),
                  defect_rate=0.01, batches="single")
    generate(out=tmp_path / "whole", **kwargs)
    monkeypatch.setattr(generator, "CHUNK_ROWS", 97)
    generate(out=tmp_path / "chunks", **kwargs)
    whole, chunks = _all_files(tmp_path / "whole"), _all_files(tmp_path / "chunks")
    assert whole.keys() == chunks.keys()
    assert max(read_raw(p).height for n, p in whole.items() if n.endswith("parquet")) > 97
    for name, path in whole.items():
        if path.suffix == ".parquet":
            assert_frame_equal(read_raw(path), read_raw(chunks[name]))
        elif path.name != "_manifest.json":
            assert path.read_bytes() == chunks[name].read_bytes(), name


def test_committed_sample_is_reproduced(tmp_path):
    committed = paths.DEFAULT_LANDING
    assert (committed / "_defects.json").exists(), "data/landing holds the generated sample"
    generate(out=tmp_path, **SAMPLE)
    old, new = _all_files(committed), _all_files(tmp_path)
    assert old.keys() == new.keys()
    for name, path in old.items():
        if path.suffix in (".xlsx", ".parquet"):
            assert_frame_equal(read_raw(path), read_raw(new[name]))
        elif path.name == "_manifest.json":
            a, b = json.loads(path.read_text()), json.loads(new[name].read_text())
            for doc in (a, b):  # binary files are compared by content above
                for fname, entry in doc["files"].items():
                    if not fname.endswith(".csv"):
                        entry.pop("sha256")
            assert a == b, name
        else:
            assert path.read_bytes() == new[name].read_bytes(), name
    total = sum(p.stat().st_size for p in old.values())
    assert total < 4_000_000


def test_sample_spans_the_reorganisation_with_every_variant():
    root = paths.DEFAULT_LANDING
    seen: set[str] = set()
    for folder in batch_dirs(root):
        for f in folder.iterdir():
            if f.name.startswith("_"):
                continue
            seen.add(f.suffix)
            raw = read_raw(f)
            names = [c.name for c in columns(f.stem)]
            if f.suffix == ".csv" and f.read_bytes().startswith(b"\xef\xbb\xbf"):
                seen.add("bom")
            headers = raw.columns
            if headers[0].lstrip("\ufeff") not in names:
                seen.add("vi_headers")
            if any(h != unicodedata.normalize("NFC", h) for h in headers):
                seen.add("nfd_headers")
            mapped = [HEADER_MAP[f.stem][_norm_header(h)] for h in headers]
            if mapped != names:
                seen.add("column_order")
            types = {c.name: c.type for c in columns(f.stem)}
            for header, name in zip(headers, mapped, strict=True):
                values = raw[header].drop_nulls()
                if values.dtype != pl.String or values.len() == 0:
                    continue
                if values.str.contains(r"^\d{2}/\d{2}/\d{4}").any():
                    seen.add("dmy")
                if values.str.contains(r"\+07:00$").any():
                    seen.add("offset")
                if (values != values.str.normalize("NFC")).any():
                    seen.add("nfd_text")
                if types[name] == "bool":
                    for words, style in ((["có", "không"], "cokhong"), (["x"], "x"),
                                         (["1", "0"], "10")):
                        if values.is_in(words).all():
                            seen.add(style)
    expected = {".csv", ".xlsx", ".parquet", "bom", "vi_headers", "nfd_headers",
                "column_order", "dmy", "offset", "nfd_text", "cokhong", "x", "10"}
    assert expected <= seen, expected - seen
    units = load_all(root)["cases"]["unit_code"].drop_nulls().unique().to_list()
    assert any(u.startswith("BTR-") for u in units) and any(u.startswith("VLG-") for u in units)


# ------------------------------------------------------------------ contract shape


@pytest.mark.parametrize("root_name", ["daily", "sample"])
def test_every_file_has_exactly_the_contract_columns(root_name, request):
    root = paths.DEFAULT_LANDING if root_name == "sample" else request.getfixturevalue("daily")
    truncated = {(e["batch"], e["file"]) for e in defects_of(root)["defects"]
                 if e["outcome"] == "refused"}
    tables_seen = set()
    for folder in batch_dirs(root):
        assert re.fullmatch(r"\d{8}T\d{4}", folder.name)
        for f in folder.iterdir():
            if f.name == "_manifest.json" or (folder.name, f.name) in truncated:
                continue
            assert f.stem in TABLES and f.suffix in (".csv", ".xlsx", ".parquet"), f.name
            headers = read_raw(f).columns
            mapped = sorted(HEADER_MAP[f.stem][_norm_header(h)] for h in headers)
            contract_11 = sorted(c.name for c in columns(f.stem))
            contract_10 = sorted(set(contract_11) - set(V11_COLUMNS.get(f.stem, ())))
            assert mapped in (contract_11, contract_10), f  # 1.0-style files too
            tables_seen.add(f.stem)
    # manual scores are entered once a year, in December
    assert tables_seen == set(TABLES) - ({"manual_scores"} if root_name == "daily" else set())


@pytest.mark.parametrize("root_name", ["daily", "sample"])
def test_manifests_match_their_files_except_the_refused_batch(root_name, request):
    root = paths.DEFAULT_LANDING if root_name == "sample" else request.getfixturevalue("daily")
    refused = defects_of(root)["refused_batch"]
    mismatched = []
    for folder in batch_dirs(root):
        manifest = json.loads((folder / "_manifest.json").read_text())
        assert manifest["contract_version"] == 1
        assert dt.datetime.fromisoformat(manifest["exported_at"]).utcoffset() == dt.timedelta(
            hours=7)
        present = {p.name for p in folder.iterdir() if p.name != "_manifest.json"}
        assert set(manifest["files"]) == present
        for name, entry in manifest["files"].items():
            data = (folder / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                mismatched.append((folder.name, name))
                continue
            assert read_raw(folder / name).height == entry["rows"], (folder.name, name)
    assert refused is not None
    assert len(mismatched) == 1 and mismatched[0][0] == refused
    refused_entries = [e for e in defects_of(root)["defects"] if e["outcome"] == "refused"]
    assert [(e["batch"], e["file"]) for e in refused_entries] == mismatched


def test_clean_generation_plants_nothing(clean):
    doc = defects_of(clean)
    assert doc["defects"] == [] and doc["refused_batch"] is None
    assert [p.name for p in batch_dirs(clean)] == ["20260101T0100", "20260102T0100"]


# ------------------------------------------------------------------ codes and defects


def _code_columns(table: str):
    return [c for c in TABLES[table] if c.type == "code"]


def test_codes_come_from_the_code_lists(daily, daily_tables):
    listed = where(defects_of(daily)["defects"], "unknown_code")
    bad = set()
    for table, df in daily_tables.items():
        for c in _code_columns(table):
            bad |= located(df, pl.col(c.name).is_not_null()
                           & ~pl.col(c.name).is_in(sorted(CODE_LISTS[c.code])))
    assert bad == listed and listed


def test_every_class_of_defect_is_planted_at_about_the_rate(daily, daily_tables):
    doc = defects_of(daily)
    by_class: dict[str, int] = {}
    for e in doc["defects"]:
        by_class[e["class"]] = by_class.get(e["class"], 0) + 1
    rows = sum(df.height for df in daily_tables.values())
    expected = round(doc["defect_rate"] * rows)
    assert set(by_class) == {"unparseable_value", "unknown_code", "date_order",
                             "missing_required", "duplicate_conflict",
                             "reference_never_arrives", "release_before_intake",
                             "manifest_mismatch"}
    assert by_class["manifest_mismatch"] == 1
    for cls in ("unparseable_value", "unknown_code", "date_order", "missing_required",
                "release_before_intake"):
        assert 0.6 * expected <= by_class[cls] <= 1.4 * expected + 2, cls
    assert by_class["duplicate_conflict"] >= 2


def test_unparseable_and_missing_values_are_exactly_the_listed_ones(daily, daily_tables):
    entries = defects_of(daily)["defects"]
    unparseable, missing = set(), set()
    for table, df in daily_tables.items():
        for c in columns(table):
            if c.type in ("date", "timestamp", "int", "number", "bool"):
                ok = valid_mask(c.type, df[c.name].fill_null("0"))
                unparseable |= located(df, df[c.name].is_not_null() & ~ok)
            if c.required and c.name not in KEYS[table]:
                missing |= located(df, pl.col(c.name).is_null())
    assert unparseable == where(entries, "unparseable_value") and unparseable
    assert missing == where(entries, "missing_required") and missing
    for e in entries:
        if e["class"] in ("unparseable_value", "missing_required"):
            row = daily_tables[e["table"]].filter(
                (pl.col("_batch") == e["batch"]) & (pl.col("_file") == e["file"])
                & (pl.col("_row") == e["row"]))
            assert row.height == 1
            value = row[e["column"]][0]
            assert (value is None) == (e["class"] == "missing_required"), e


def _date_order_violations(tables: dict[str, pl.DataFrame]) -> set[tuple]:
    def d(col: str) -> pl.Expr:
        return pl.col(col).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)

    found = located(tables["detention_orders"], d("start_at") > d("stated_end_date"))
    found |= located(tables["judgements"], d("pronounced_date") > d("effective_date"))
    found |= located(tables["case_events"], d("event_date") > d("received_date"))
    return found


def test_impossible_date_orders_are_exactly_the_listed_ones(daily, daily_tables):
    listed = where(defects_of(daily)["defects"], "date_order")
    assert _date_order_violations(daily_tables) == listed and listed


def test_conflicting_duplicates_are_exactly_the_listed_ones(daily, daily_tables):
    found = set()
    for table, df in daily_tables.items():
        content = [c.name for c in columns(table)]
        keys = [*KEYS[table], "updated_at"]
        groups = df.group_by(keys).agg(
            pl.struct(content).n_unique().alias("variants"),
            pl.struct("_batch", "_file", "_row").alias("where"))
        for rows in groups.filter(pl.col("variants") > 1)["where"].to_list():
            found |= {(r["_batch"], r["_file"], r["_row"]) for r in rows}
    listed = where(defects_of(daily)["defects"], "duplicate_conflict")
    assert found == listed and listed


def _quarantined(entries: list[dict]) -> set[tuple]:
    return {(e["batch"], e["file"], e["row"]) for e in entries if e["outcome"] == "quarantined"}


def _missing_references(tables: dict[str, pl.DataFrame], skip: set[tuple]) -> set[tuple]:
    def usable(df: pl.DataFrame) -> pl.DataFrame:
        keep = [(b, f, r) not in skip for b, f, r in df.select("_batch", "_file", "_row").rows()]
        return df.filter(pl.Series(keep, dtype=pl.Boolean)) if len(keep) else df

    t = {name: usable(df) for name, df in tables.items()}
    reports = set(t["crime_reports"]["report_id"].to_list())
    cases = set(t["cases"]["case_id"].to_list())
    persons = set(t["persons"].select("person_id", "case_id").rows())
    judgements = set(t["judgements"]["judgement_id"].to_list())
    missing = set()
    for row in t["case_events"].iter_rows(named=True):
        st, sid = row["subject_type"], row["subject_id"]
        if sid is None or (st == "report" and sid in reports) or (
                st == "case" and sid in cases) or (
                st == "person" and (sid, row["case_id"]) in persons) or (
                st == "judgement" and sid in judgements):
            continue
        missing.add((row["_batch"], row["_file"], row["_row"]))
    for row in t["persons"].iter_rows(named=True):
        if row["case_id"] not in cases:
            missing.add((row["_batch"], row["_file"], row["_row"]))
    for row in t["judgements"].iter_rows(named=True):
        if row["person_id"] is not None and (row["person_id"], row["case_id"]) not in persons:
            missing.add((row["_batch"], row["_file"], row["_row"]))
    for row in t["execution_events"].iter_rows(named=True):
        if row["judgement_id"] not in judgements:
            missing.add((row["_batch"], row["_file"], row["_row"]))
    for row in t["detention_orders"].iter_rows(named=True):
        if row["case_id"] is not None and row["person_id"] is not None and (
                row["person_id"], row["case_id"]) not in persons:
            missing.add((row["_batch"], row["_file"], row["_row"]))
    for row in t["cases"].iter_rows(named=True):
        if row["report_id"] is not None and row["report_id"] not in reports:
            missing.add((row["_batch"], row["_file"], row["_row"]))
    return missing


def test_references_that_never_arrive_are_exactly_the_listed_ones(daily, daily_tables):
    entries = defects_of(daily)["defects"]
    listed = where(entries, "reference_never_arrives")
    assert _missing_references(daily_tables, _quarantined(entries)) == listed
    tables = {e["table"] for e in entries if e["class"] == "reference_never_arrives"}
    assert tables == {"case_events", "persons", "execution_events", "detention_orders"}


def _releases_before_intake(movements: pl.DataFrame, skip: set[tuple]) -> set[tuple]:
    first_intake: dict[str, str] = {}
    for pid, at in movements.filter(pl.col("movement_type") == "intake").select(
            "person_id", "movement_at").rows():
        if at and valid_mask("timestamp", pl.Series([at]))[0]:
            first_intake[pid] = min(at, first_intake.get(pid, at))
    found = set()
    for row in movements.filter(pl.col("movement_type") == "release").iter_rows(named=True):
        where_ = (row["_batch"], row["_file"], row["_row"])
        intake = first_intake.get(row["person_id"])
        if where_ not in skip and intake and row["movement_at"] < intake:
            found.add(where_)
    return found


def test_releases_before_intake_are_exactly_the_listed_ones(daily, daily_tables):
    entries = defects_of(daily)["defects"]
    found = _releases_before_intake(daily_tables["detention_movements"], _quarantined(entries))
    listed = where(entries, "release_before_intake")
    assert found == listed and listed
    assert all(f.endswith(".parquet") for _, f, _ in listed)  # 0-based rows there


def test_refused_batch_holds_a_truncated_copy_of_a_complete_batch(daily):
    refused = defects_of(daily)["refused_batch"]
    assert refused.endswith("T0100")
    complete = daily / (refused[:-4] + "0400")
    assert complete.is_dir()
    names = {p.name for p in (daily / refused).iterdir()}
    assert names == {p.name for p in complete.iterdir()}
    entry = next(e for e in defects_of(daily)["defects"] if e["outcome"] == "refused")
    truncated = (daily / refused / entry["file"]).read_bytes()
    whole = (complete / entry["file"]).read_bytes()
    assert whole.startswith(truncated) and len(truncated) < len(whole)


# ------------------------------------------------------------------ delivery


def test_daily_batches_resend_correct_retract_and_deliver_out_of_order(daily, daily_tables):
    batches = [p.name for p in batch_dirs(daily)]
    assert batches == sorted(batches) and len(batches) > 100
    daily_tables = without_quarantined(daily_tables, defects_of(daily)["defects"])
    events = daily_tables["case_events"]
    # re-send: the same version again in a later batch
    resent = events.group_by("event_id", "updated_at").agg(
        pl.col("_batch").n_unique().alias("n"), pl.struct(
            [c.name for c in columns("case_events")]).n_unique().alias("variants"))
    assert resent.filter((pl.col("n") > 1) & (pl.col("variants") == 1)).height > 0
    # correction: a later version with a different value
    for table in ("crime_reports", "cases", "persons"):
        df = daily_tables[table]
        versions = df.group_by(KEYS[table]).agg(pl.col("updated_at").n_unique().alias("n"))
        assert versions.filter(pl.col("n") > 1).height > 0, table
    # retraction
    deleted = events.filter(pl.col("is_deleted") == "true")
    assert deleted.height > 0
    earlier = events.filter(pl.col("is_deleted") == "false").join(
        deleted.select("event_id", pl.col("updated_at").alias("deleted_at")), on="event_id")
    assert (earlier["updated_at"] < earlier["deleted_at"]).all()
    # out of order: a person-level event whose person row comes in a later batch
    persons = daily_tables["persons"]
    first_person = persons.group_by("person_id", "case_id").agg(pl.col("_batch").min())
    charged = events.filter(pl.col("event_type") == "person_charged").join(
        first_person, left_on=["subject_id", "case_id"], right_on=["person_id", "case_id"])
    assert charged.filter(pl.col("_batch") < pl.col("_batch_right")).height > 0


# ------------------------------------------------------------------ units


def test_records_follow_the_reorganisation(daily, daily_tables):
    daily_tables = without_quarantined(daily_tables, defects_of(daily)["defects"])
    units = pl.read_csv(paths.REFERENCE_DIR / "units.csv", infer_schema=False)
    successor = dict(units.select("unit_code", "successor_code").rows())
    switch = "2025-07-01"
    for table, date_col in (("crime_reports", "received_date"), ("cases", "instituted_date"),
                            ("judgements", "pronounced_date")):
        df = daily_tables[table].filter(pl.col("unit_code").is_not_null()
                                        & pl.col(date_col).str.contains(r"^\d{4}-"))
        before = df.filter(pl.col(date_col) < switch)["unit_code"]
        after = df.filter(pl.col(date_col) >= switch)["unit_code"]
        assert before.str.starts_with("BTR-").all() and after.str.starts_with("VLG-R").all()
    transfers = daily_tables["case_events"].filter(pl.col("event_type") == "case_transferred")
    assert transfers.height > 0 and (transfers["event_date"] == switch).all()
    joined = transfers.join(daily_tables["cases"].unique("case_id"), left_on="subject_id",
                            right_on="case_id")
    assert all(successor[u] == to for u, to in joined.select("unit_code", "to_unit_code").rows())


def test_staff_keep_their_ids_across_the_reorganisation(daily):
    staff = pl.read_csv(daily / "_reference" / "staff.csv", infer_schema=False)
    assert staff.columns == ["prosecutor_id", "unit_code", "valid_from", "valid_to",
                             "display_name"]
    both = staff.group_by("prosecutor_id").agg(pl.col("unit_code").str.slice(0, 3).n_unique())
    assert both.filter(pl.col("unit_code") == 2).height > 0
    assert (staff["display_name"] == staff["display_name"].str.normalize("NFC")).all()


def test_national_scale_writes_its_units(tmp_path):
    summary = generate(out=tmp_path, seed=1, scale="national", start=dt.date(2025, 3, 1),
                       end=dt.date(2025, 3, 7), defect_rate=0.0, batches="single")
    assert "355 units" in summary
    units = pl.read_csv(tmp_path / "_reference" / "units.csv", infer_schema=False)
    reference = pl.read_csv(paths.REFERENCE_DIR / "units.csv", infer_schema=False)
    assert units.columns == reference.columns
    regions = units.filter(pl.col("level") == "region")
    assert regions.height == 355 and regions["unit_code"].n_unique() == 355
    provinces = set(units.filter(pl.col("level") == "province")["unit_code"])
    assert set(regions["parent_code"]) <= provinces
    reports = load_all(tmp_path)["crime_reports"]
    assert set(reports["unit_code"]) <= set(regions["unit_code"])
    assert reports["unit_code"].n_unique() > 300


# ------------------------------------------------------------------ clean data is coherent


def _dates(df: pl.DataFrame, *cols: str) -> pl.DataFrame:
    return df.with_columns(pl.col(c).str.slice(0, 10).str.to_date("%Y-%m-%d") for c in cols)


def test_clean_rows_keep_dates_in_order(clean_tables):
    t = clean_tables
    assert not _date_order_violations(t)
    assert not _missing_references(t, set())
    cases = _dates(t["cases"].unique("case_id"), "instituted_date")
    events = _dates(t["case_events"], "event_date", "received_date", "updated_at")
    in_case = events.filter(pl.col("case_id").is_not_null()).join(
        cases.select("case_id", "instituted_date"), on="case_id")
    assert in_case.height > 1000
    assert (in_case["event_date"] >= in_case["instituted_date"]).all()
    reports = _dates(t["crime_reports"].unique("report_id"), "received_date")
    on_reports = events.filter(pl.col("subject_type") == "report").join(
        reports.select("report_id", "received_date"), left_on="subject_id",
        right_on="report_id")
    assert (on_reports["event_date"] >= on_reports["received_date_right"]).all()
    assert (events["updated_at"] >= events["event_date"]).all()
    orders = _dates(t["detention_orders"], "start_at", "stated_end_date", "requested_date")
    assert (orders["stated_end_date"] >= orders["start_at"]).all()
    assert (orders["requested_date"].drop_nulls().len() > 0)
    judgements = _dates(t["judgements"], "pronounced_date", "effective_date")
    assert (judgements["effective_date"].drop_nulls() >= judgements.filter(
        pl.col("effective_date").is_not_null())["pronounced_date"]).all()
    persons = _dates(t["persons"].unique(["person_id", "case_id"]), "charged_date")
    charged = _dates(t["case_events"].unique("event_id").filter(
        pl.col("event_type") == "person_charged"), "event_date")
    charged = charged.join(persons, left_on=["subject_id", "case_id"],
                           right_on=["person_id", "case_id"])
    settled = persons.filter(pl.col("charged_date") < dt.date(2025, 11, 1))
    assert charged.height >= settled.height  # the last weeks may still be typed in
    assert (charged["event_date"] == charged["charged_date"]).all()
    execution = _dates(t["execution_events"], "event_date").join(
        judgements.unique("judgement_id").select("judgement_id", "pronounced_date"),
        on="judgement_id")
    assert (execution["event_date"] >= execution["pronounced_date"]).all()


def test_clean_data_has_a_small_realistic_share_of_irregularities(clean_tables):
    t = clean_tables
    orders = _dates(t["detention_orders"].unique("order_id"), "start_at", "stated_end_date")
    custody = orders.filter(pl.col("measure") == "custody")
    days = (custody["stated_end_date"] - custody["start_at"]).dt.total_days()
    assert (days == 3).mean() > 0.95  # 3 days per order (Art. 118)
    events = t["case_events"].unique("event_id")
    ext = events.filter(pl.col("event_type") == "investigation_extended")
    ext = _dates(ext, "event_date", "requested_date")
    assert ext.height > 20 and (ext["requested_date"] < ext["event_date"]).all()
    counts = dict(events.group_by("event_type").len().rows())
    reports = t["crime_reports"]["report_id"].n_unique()
    resolved = counts["report_resolved"]
    assert 0.03 < counts.get("report_suspended", 0) / reports < 0.15
    assert 0.01 < counts.get("returned_by_vks", 0) / counts["file_received_by_vks"] < 0.15
    assert resolved / reports > 0.6
    returns = events.filter(pl.col("event_type") == "returned_by_court")
    assert set(returns["return_by"]) == {"presiding_judge", "trial_panel"}
    assert set(returns["is_accepted"]) == {"true", "false"}


def test_the_sample_exercises_every_decision_type():
    tables = load_all(paths.DEFAULT_LANDING)
    events = set(tables["case_events"]["event_type"].drop_nulls())
    assert CODE_LISTS["case_event"] <= events, CODE_LISTS["case_event"] - events
    execution = set(tables["execution_events"]["event_type"].drop_nulls())
    assert CODE_LISTS["execution_event"] <= execution
    outcomes = set(tables["case_events"]["outcome"].drop_nulls())
    assert {"no_crime_event", "not_a_crime", "unproven_time_expired"} & outcomes
    verdicts = set(tables["judgements"]["verdict"].drop_nulls())
    assert {"convicted", "acquitted"} <= verdicts
    stages = set(tables["detention_orders"]["stage"].drop_nulls())
    assert CODE_LISTS["detention_stage"] <= stages
    grounds = set(tables["case_events"]["return_ground"].drop_nulls())
    assert {"other_crime", "other_offender"} <= grounds


def test_generate_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate(out=tmp_path, seed=1, scale="district", start=dt.date(2025, 1, 1),
                 end=dt.date(2025, 1, 5), defect_rate=0.0, batches="single")
    assert (tmp_path / "notes.txt").read_text() == "mine"
