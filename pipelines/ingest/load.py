"""Load every landing batch into the raw layer: manifest, files, quarantine, batch ledger.

`ingest_landing(con, landing_dir)` is the whole of ingestion, callable without Dagster (tests,
benchmarks). Batches are the real folders under the landing root (not links, not starting
with `.` or `_`), processed in `batch_id` order; every other entry of the landing area gets a
ledger row (`scan_landing`, `_batch_entries`: symbolic links `refused`, the rest `ignored`).
For each batch:

1. Every data file's sha256 is computed (never through a symbolic link). A file already in
   the ledger with the same content is skipped, so loading the same batch twice adds no rows
   anywhere. A file the ledger holds as *loaded* under this batch_id but with other content is
   refused (`redelivered_different_content`): the first load stands, corrections come in a
   new batch. A file the ledger holds as *refused* is tried again when its content (or the
   manifest) changed — a repaired transfer re-sent under the same batch_id loads.
2. `_manifest.json`, when present, is verified: every listed file must exist with the listed
   sha256 and row count. Any mismatch refuses the whole batch; nothing of it is loaded.
3. Each file is opened (`read`) within the caps of `limits`, its headers mapped onto the
   contract; a file over a cap (`too_large`), that cannot be parsed, whose reader fails in any
   way, that lacks a required column or repeats one is refused on its own (also part-way
   through it: what it wrote is undone). Files are read only when their table is loaded
   (step 4), table by table, a slice at a time: a manifest row count that does not match rolls
   the transaction back, refuses the whole batch, and the other batches of the group are
   loaded again without it.
4. Rows are typed and validated (`validate`) against the code lists, the units and the
   plausible dates (as_of, the batch's receipt time), `limits.slice_rows` at a time
   (`slices`); accepted rows are appended to `raw.<table>` with their lineage, failing rows go
   to `raw.quarantine` (values masked); the ledger gets one row per file.

Consecutive small batches are validated and written together (small files of one table share
a slice: one pandera pass, the row rules still apply within each file) in one transaction, so
a backlog of many nightly batches loads quickly. Problems in the input never raise; only bugs
do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from pipelines import paths
from pipelines.contract import TABLES, create_raw_tables
from pipelines.ingest.ledger import LEDGER_COLUMNS
from pipelines.ingest.limits import Limits, TooLarge
from pipelines.ingest.read import (
    FORMATS,
    HeaderMap,
    LandedStream,
    UnreadableFile,
    extra_columns_json,
    map_headers,
    open_landed,
)
from pipelines.ingest.rules import refusal_texts
from pipelines.ingest.slices import FilePart, TableSlices, append
from pipelines.ingest.validate import ValueRules

LOCAL_TZ = "Asia/Ho_Chi_Minh"
MANIFEST = "_manifest.json"
REFERENCE_FOLDER = "_reference"
ROOT_BATCH = "(landing)"  # batch_id of a ledger row for a file lying in the landing root
SUPPORTED_CONTRACT_VERSIONS = (1,)
GROUP_BYTES = 64 * 1024**2  # batches are loaded in groups of up to this many file bytes ...
GROUP_BATCHES = 200  # ... or this many batches

Log = Callable[[str], object]


@dataclass
class FileOutcome:
    """One ledger row."""

    batch_id: str
    file_name: str
    table_name: str | None
    status: str
    refusal_code: str | None = None
    refusal_reason: str | None = None
    refusal_reason_vi: str | None = None
    rows_landed: int | None = None
    rows_accepted: int | None = 0
    rows_quarantined: int | None = 0
    rows_blank: int | None = None
    sha256: str | None = None
    manifest_status: str = "absent"
    manifest_sha256: str | None = None
    source_system: str | None = None
    file_format: str | None = None
    extra_columns: str | None = None
    received_at: dt.datetime | None = None
    rule_counts: dict[str, int] = field(default_factory=dict)

    def refuse(self, code: str, detail: str | tuple[str, str] = "", file: str | None = None,
               status: str = "refused") -> FileOutcome:
        vi, en = refusal_texts(code, file or self.file_name, detail)
        self.status, self.refusal_code = status, code
        self.refusal_reason, self.refusal_reason_vi = en, vi
        # A refused file is outside the row balance: no counts.
        self.rows_landed = self.rows_accepted = self.rows_quarantined = self.rows_blank = None
        self.extra_columns = None
        return self


@dataclass
class IngestSummary:
    batches_seen: int = 0
    batches_skipped: int = 0
    batches_refused: int = 0
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def _by_table(self, attr: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for f in self.files:
            if f.status == "loaded" and f.table_name:
                out[f.table_name] += getattr(f, attr) or 0
        return dict(out)

    @property
    def rows_accepted(self) -> dict[str, int]:
        return self._by_table("rows_accepted")

    @property
    def rows_quarantined(self) -> dict[str, int]:
        return self._by_table("rows_quarantined")

    @property
    def files_loaded(self) -> int:
        return sum(f.status == "loaded" for f in self.files)

    @property
    def files_refused(self) -> int:
        return sum(f.status == "refused" for f in self.files)

    @property
    def entries_ignored(self) -> int:
        return sum(f.status == "ignored" for f in self.files)

    def rule_counts(self, table: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            if f.table_name == table:
                total.update(f.rule_counts)
        return dict(total)

    def refused_files(self, table: str) -> list[FileOutcome]:
        return [f for f in self.files if f.table_name == table and f.status == "refused"]


# --- entry point ----------------------------------------------------------------------------


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path | str,
    log: Log = print,
    *,
    as_of: dt.date | None = None,
    limits: Limits | None = None,
) -> IngestSummary:
    """Load every new batch under `landing_dir` into the raw layer; see the module docstring.

    `as_of` (default: today in Asia/Ho_Chi_Minh) bounds plausible dates; `limits` caps what
    any file may cost to read (`pipelines.ingest.limits`).
    """
    start = time.perf_counter()
    create_raw_tables(con)
    limits = limits or Limits()
    rules = ValueRules(
        codes=load_code_lists(con),
        units=load_unit_codes(con),
        earliest=limits.earliest_date,
        earliest_birth=limits.earliest_birth_date,
        latest=limits.latest_date(as_of or _today()),
        future_slack=dt.timedelta(days=limits.future_updated_at_days),
    )
    summary = IngestSummary()
    batches, root_entries = scan_landing(Path(landing_dir))
    root_entries = _unrecorded(con, root_entries)
    if root_entries:
        _write_once(con, root_entries, summary, log)
    if not batches:
        log(f"no batches under {Path(landing_dir).name}/")
    plans: list[_BatchPlan] = []
    for batch_dir in batches:
        summary.batches_seen += 1
        plan = _plan_batch(con, batch_dir, summary, log, limits)
        if plan is not None:
            plans.append(plan)
        # Small batches are validated and written together (one pandera pass per table);
        # a big one on its own. Each group is one transaction.
        if plans and (sum(p.size for p in plans) >= GROUP_BYTES or len(plans) >= GROUP_BATCHES):
            _load_plans(con, plans, rules, summary, log, limits)
            plans = []
    _load_plans(con, plans, rules, summary, log, limits)
    summary.seconds = time.perf_counter() - start
    return summary


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(LOCAL_TZ)).date()


def _entry(batch_id: str, file_name: str, code: str, shown: str,
           status: str = "ignored") -> FileOutcome:
    """A ledger row for an entry that is not read (never opened)."""
    return FileOutcome(batch_id=batch_id, file_name=file_name, table_name=None,
                       status=status).refuse(code, file=shown, status=status)


def scan_landing(landing_dir: Path) -> tuple[list[Path], list[FileOutcome]]:
    """Batch folders in `batch_id` order, and a ledger row for every other entry of the root.

    A symbolic link (to a file or a folder) is refused (`not_a_regular_file`) and never
    followed; hidden entries, folders starting with `_` (except `_reference/`) and files lying
    in the root are `ignored`. A folder of the root is recorded as (`<name>`, `<name>/`), a
    file of the root as (`(landing)`, `<name>`).
    """
    if not landing_dir.is_dir():
        return [], []
    batches: list[Path] = []
    entries: list[FileOutcome] = []
    for p in sorted(landing_dir.iterdir(), key=lambda p: p.name):
        name = p.name
        folder = f"{name}/"
        if p.is_symlink():
            entries.append(_entry(name, folder, "not_a_regular_file", folder, "refused"))
        elif p.is_dir():
            if name == REFERENCE_FOLDER:
                entries += [_entry(name, q.name, "not_a_regular_file", f"{folder}{q.name}",
                                   "refused") for q in sorted(p.iterdir()) if q.is_symlink()]
                continue
            if name.startswith("."):
                entries.append(_entry(name, folder, "hidden_entry", folder))
            elif name.startswith("_"):
                entries.append(_entry(name, folder, "not_a_batch_folder", folder))
            else:
                batches.append(p)
        elif name.startswith("."):
            entries.append(_entry(ROOT_BATCH, name, "hidden_entry", name))
        elif p.is_file():
            entries.append(_entry(ROOT_BATCH, name, "not_in_a_batch", name))
        else:
            entries.append(_entry(ROOT_BATCH, name, "not_a_regular_file", name, "refused"))
    return batches, entries


def discover_batches(landing_dir: Path) -> list[Path]:
    """Batch folders in `batch_id` order (see `scan_landing`)."""
    return scan_landing(landing_dir)[0]


def _unrecorded(con: duckdb.DuckDBPyConnection, entries: list[FileOutcome]) -> list[FileOutcome]:
    """Entries the ledger does not hold yet with the same verdict (recorded once, not nightly)."""
    if not entries:
        return []
    seen = set(con.execute(
        "select batch_id, file_name, status, refusal_code from raw.batch_ledger "
        "where status <> 'loaded' and sha256 is null").fetchall())
    return [e for e in entries
            if (e.batch_id, e.file_name, e.status, e.refusal_code) not in seen]


def _write_once(con: duckdb.DuckDBPyConnection, entries: list[FileOutcome],
                summary: IngestSummary, log: Log) -> None:
    loaded_at = dt.datetime.now(dt.UTC)
    con.execute("begin transaction")
    try:
        _write_ledger(con, entries, loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    summary.files.extend(entries)
    for e in entries:
        log(f"landing root: {e.status} ({e.refusal_reason})")


def load_unit_codes(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Unit codes of `reference.units` (or the project's units.csv when not loaded yet)."""
    (exists,) = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'reference' and table_name = 'units'"
    ).fetchall()[0]
    if exists:
        rows = [r[0] for r in con.execute("select unit_code from reference.units").fetchall()]
    else:
        rows = pl.read_csv(paths.REFERENCE_DIR / "units.csv", infer_schema=False).get_column(
            "unit_code").to_list()
    return tuple(sorted({unicodedata.normalize("NFC", u) for u in rows if u}))


def load_code_lists(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Code lists from `reference.codes` (or the project's codes.csv when not loaded yet)."""
    (exists,) = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'reference' and table_name = 'codes'"
    ).fetchall()[0]
    if exists:
        rows = con.execute("select list, code from reference.codes").fetchall()
    else:
        rows = pl.read_csv(paths.REFERENCE_DIR / "codes.csv", infer_schema=False).select(
            "list", "code").rows()
    lists: dict[str, set[str]] = defaultdict(set)
    for name, code in rows:
        if name and code:
            lists[unicodedata.normalize("NFC", name)].add(unicodedata.normalize("NFC", code))
    return {k: tuple(sorted(v)) for k, v in lists.items()}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    # O_NOFOLLOW: a file swapped for a symbolic link after the scan is still never followed.
    with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --- one batch ------------------------------------------------------------------------------


@dataclass
class _Manifest:
    sha256: str | None = None
    source_system: str | None = None
    exported_at: dt.datetime | None = None  # local wall time
    files: dict[str, dict] = field(default_factory=dict)
    problem: tuple[str, str | tuple[str, str]] | None = None  # (refusal code, detail)


MAX_MANIFEST_BYTES = 16 << 20


def _read_manifest(path: Path) -> _Manifest | None:
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        return _Manifest(problem=("manifest_invalid", (
            "là liên kết tượng trưng hoặc không phải tệp thông thường; không được mở",
            "it is a symbolic link or not a regular file; not opened")))
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        return _Manifest(problem=("manifest_invalid", ("lớn hơn 16 MiB; không đọc",
                                                         "larger than 16 MiB; not read")))
    m = _Manifest(sha256=sha256_file(path))
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        m.problem = ("manifest_invalid", (f"JSON không hợp lệ: {str(exc)[:200]}",
                                          str(exc)[:200]))
        return m
    if not isinstance(doc, dict) or not isinstance(doc.get("files", {}), dict):
        m.problem = ("manifest_invalid", ("cần một đối tượng JSON có mục 'files'",
                                          "expected an object with a 'files' object"))
        return m
    version = doc.get("contract_version", 1)
    if version not in SUPPORTED_CONTRACT_VERSIONS:
        m.problem = ("unsupported_contract_version", str(version))
        return m
    m.source_system = doc.get("source_system")
    if not isinstance(m.source_system, str | None):
        m.problem = ("manifest_invalid", ("source_system không phải là văn bản",
                                          "source_system is not text"))
        return m
    m.exported_at = _local_time(doc.get("exported_at"))
    for name, entry in doc.get("files", {}).items():
        rows = entry.get("rows") if isinstance(entry, dict) else None
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        if (
            not isinstance(entry, dict)
            or (rows is not None and (not isinstance(rows, int) or isinstance(rows, bool)))
            or (sha is not None and not isinstance(sha, str))
        ):
            m.problem = ("manifest_invalid", (f"mục của tệp {name} không hợp lệ",
                                              f"bad entry for {name}"))
            return m
        m.files[unicodedata.normalize("NFC", name)] = {"rows": rows, "sha256": sha}
    return m


def _local_time(value: object) -> dt.datetime | None:
    """An ISO 8601 time as naive local wall time (an offset converted); None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(ZoneInfo(LOCAL_TZ)).replace(tzinfo=None)
    return t


_BATCH_TIME = re.compile(r"^(\d{8})T(\d{4})(\d{2})?")


def received_at(batch_id: str, exported_at: dt.datetime | None) -> dt.datetime:
    """When the batch was received: the manifest's `exported_at`, else the export time its id
    names (`20240315T0100`; a bare date is not read as a time), else now (local time)."""
    declared = declared_receipt(batch_id, exported_at)
    if declared is not None:
        return declared
    return dt.datetime.now(ZoneInfo(LOCAL_TZ)).replace(tzinfo=None, microsecond=0)


def declared_receipt(batch_id: str, exported_at: dt.datetime | None) -> dt.datetime | None:
    """The receipt time the batch states (`exported_at`, else its id's time); None if neither."""
    if exported_at is not None:
        return exported_at
    m = _BATCH_TIME.match(batch_id)
    if m:
        try:
            day = dt.datetime.strptime(m.group(1), "%Y%m%d")
            hhmm = dt.datetime.strptime(m.group(2) + (m.group(3) or "00"), "%H%M%S").time()
            return dt.datetime.combine(day.date(), hhmm)
        except ValueError:
            pass
    return None


def _previous_attempts(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[tuple]:
    return con.execute(
        "select file_name, sha256, status, manifest_sha256 from raw.batch_ledger "
        "where batch_id = ? and status <> 'ignored'",
        [batch_id],
    ).fetchall()


@dataclass
class _Pending:
    """A file of a batch to read when its table is loaded."""

    path: Path
    outcome: FileOutcome
    listed_rows: int | None  # the manifest's row count, when it gives one


@dataclass
class _BatchPlan:
    """What one batch brings: ledger outcomes and the files to read, validate and load."""

    batch_id: str
    outcomes: list[FileOutcome]
    pending: dict[str, _Pending] = field(default_factory=dict)
    receipt: dt.datetime | None = None
    files: list[FileOutcome] = field(default_factory=list)  # the batch's own data files
    spill_dir: Path | None = None  # where the XLSX and Parquet readers leave their Arrow files

    @property
    def size(self) -> int:
        return sum(p.path.stat().st_size for p in self.pending.values())


class _ManifestRows(Exception):
    """A file's row count differs from its manifest's: the whole batch is refused."""

    def __init__(self, plan: _BatchPlan, file_name: str, detail: tuple[str, str]):
        super().__init__(detail[1])
        self.plan, self.file_name, self.detail = plan, file_name, detail


def _batch_entries(batch_dir: Path) -> tuple[list[Path], list[FileOutcome]]:
    """The data files of a batch (regular files with a supported extension, directly in it),
    and a ledger row for every other entry."""
    batch_id = batch_dir.name
    files: list[Path] = []
    entries: list[FileOutcome] = []
    for p in sorted(batch_dir.iterdir(), key=lambda p: p.name):
        name = p.name
        if name == MANIFEST:
            continue  # read (or refused) by `_read_manifest`
        if p.is_symlink():
            entries.append(_entry(batch_id, name, "not_a_regular_file", name, "refused"))
        elif name.startswith("."):
            entries.append(_entry(batch_id, name, "hidden_entry", name))
        elif p.is_dir():
            entries.append(_entry(batch_id, f"{name}/", "sub_folder", f"{name}/"))
        elif not p.is_file():
            entries.append(_entry(batch_id, name, "not_a_regular_file", name, "refused"))
        elif p.suffix.lower() not in FORMATS:
            entries.append(_entry(batch_id, name, "unsupported_format", name))
        else:
            files.append(p)
    return files, entries


def _plan_batch(
    con: duckdb.DuckDBPyConnection, batch_dir: Path, summary: IngestSummary, log: Log,
    limits: Limits,
) -> _BatchPlan | None:
    """Checksums, previous deliveries, manifest, reading and header mapping of one batch.

    Returns None when there is nothing new in it.
    """
    batch_id = batch_dir.name
    data_files, entries = _batch_entries(batch_dir)
    entries = _unrecorded(con, entries)
    shas = {p.name: sha256_file(p) for p in data_files}
    manifest = _read_manifest(batch_dir / MANIFEST)
    manifest_sha = manifest.sha256 if manifest else None
    receipt = received_at(batch_id, manifest.exported_at if manifest else None)

    previous = _previous_attempts(con, batch_id)
    loaded = {name: sha for name, sha, status, _ in previous if status == "loaded"}
    attempted = {(name, sha, msha) for name, sha, _, msha in previous}
    todo: list[Path] = []
    redelivered: list[FileOutcome] = []

    def outcome(name: str, sha: str | None) -> FileOutcome:
        suffix = Path(name).suffix.lower()
        return FileOutcome(
            batch_id=batch_id, file_name=name,
            table_name=Path(name).stem if Path(name).stem in TABLES else None,
            status="loaded", sha256=sha,
            manifest_status="absent" if manifest is None else "unlisted",
            manifest_sha256=manifest_sha,
            source_system=manifest.source_system if manifest else None,
            file_format=FORMATS.get(suffix),
            received_at=declared_receipt(batch_id, manifest.exported_at if manifest else None),
        )

    for p in data_files:
        sha = shas[p.name]
        if (p.name, sha, manifest_sha) in attempted or loaded.get(p.name) == sha:
            continue  # this very content was handled before
        if p.name in loaded:
            redelivered.append(outcome(p.name, sha).refuse(
                "redelivered_different_content", detail=batch_id))
            continue
        todo.append(p)
    if not todo and not redelivered:
        summary.batches_skipped += 1
        log(f"batch {batch_id}: already loaded, skipped")
        if entries:
            return _BatchPlan(batch_id=batch_id, outcomes=entries)
        return None

    files = {p.name: outcome(p.name, shas[p.name]) for p in todo}

    # The manifest: checksums first (cheap), row counts once the files are read.
    batch_problem: tuple[str, str, str | tuple[str, str]] | None = None  # (code, file, detail)
    if manifest is not None:
        if manifest.problem:
            batch_problem = (manifest.problem[0], MANIFEST, manifest.problem[1])
            for f in files.values():
                f.manifest_status = "invalid"
        else:
            for name, entry in manifest.files.items():
                if name in files:
                    files[name].manifest_status = "verified"
                if name not in shas:
                    batch_problem = batch_problem or ("manifest_mismatch", name, (
                        "có trong _manifest.json nhưng không có trong lô",
                        "listed but missing from the batch"))
                    if (name, None, manifest_sha) not in attempted:
                        files[name] = outcome(name, None)
                    if name in files:
                        files[name].manifest_status = "mismatch"
                elif entry["sha256"] and entry["sha256"].lower() != shas[name]:
                    batch_problem = batch_problem or (
                        "manifest_mismatch", name, (
                            f"sha256 {shas[name]} khác giá trị kê khai {entry['sha256']}",
                            f"sha256 {shas[name]} differs from the listed {entry['sha256']}"))
                    if name in files:
                        files[name].manifest_status = "mismatch"

    # Which files are read later (by `_load_plans`, table by table).
    pending: dict[str, _Pending] = {}
    by_table: dict[str, list[str]] = defaultdict(list)
    for p in todo:
        if files[p.name].table_name and files[p.name].file_format:
            by_table[files[p.name].table_name].append(p.name)
    if batch_problem is None:
        for p in todo:
            f = files[p.name]
            if f.file_format is None:
                f.refuse("unsupported_format")
                continue
            if f.table_name is None:
                f.refuse("unknown_table")
                continue
            if len(by_table[f.table_name]) > 1:
                f.refuse("duplicate_table_file", detail=f.table_name)
                continue
            listed = manifest.files.get(p.name) if manifest else None
            pending[p.name] = _Pending(p, f, listed["rows"] if listed else None)

    plan = _BatchPlan(batch_id=batch_id, outcomes=[*files.values(), *redelivered, *entries],
                      pending=pending, receipt=receipt, files=list(files.values()),
                      spill_dir=spill_dir(con))
    if batch_problem is not None:
        _refuse_batch(plan, *batch_problem, summary, log)
    return plan


def spill_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """DuckDB's spill folder when it is an absolute path (a warehouse file's `<file>.tmp`),
    else None (the system's temporary folder; an in-memory database spills to `.tmp`)."""
    (setting,) = con.execute("select current_setting('temp_directory')").fetchall()[0]
    return Path(setting) if setting and Path(setting).is_absolute() else None


def _refuse_batch(plan: _BatchPlan, code: str, bad_file: str, detail: str | tuple[str, str],
                  summary: IngestSummary, log: Log) -> None:
    plan.pending.clear()
    names = {f.file_name for f in plan.files}
    # One reason for the batch, on the file that broke it; the others were not loaded
    # because of it (all carry the reason when the culprit is the manifest itself).
    for f in plan.files:
        if bad_file in names and f.file_name != bad_file:
            f.refuse("batch_refused", detail=bad_file)
        else:
            f.refuse(code, detail=detail, file=bad_file)
    summary.batches_refused += 1
    shown = detail[1] if isinstance(detail, tuple) else detail
    log(f"batch {plan.batch_id}: refused whole ({code}: {bad_file}: {shown}); nothing loaded")


def _open_file(plan: _BatchPlan, pending: _Pending, limits: Limits
               ) -> tuple[LandedStream, HeaderMap] | None:
    """Open one file and map its headers; None when the file is refused on its own. Raises
    `_ManifestRows` when its row count is known and not the manifest's."""
    p, f = pending.path, pending.outcome
    stream: LandedStream | None = None
    try:
        stream = open_landed(p, limits, spill_dir=plan.spill_dir)
        header = map_headers(stream, f.table_name)
        if header.missing_required or header.duplicates:
            stream.count_records()  # the manifest's row count is checked first
    except (TooLarge, UnreadableFile, Exception, pl.exceptions.PanicException) as exc:
        if stream is not None:
            stream.close()
        _refuse_unread(f, exc)
        return None
    try:
        _check_listed_rows(plan, pending, stream.records)
    except _ManifestRows:
        stream.close()
        raise
    if header.missing_required:
        # Not listing unknown headers: a file without a header row would show data.
        f.refuse("missing_column", detail=", ".join(header.missing_required))
    elif header.duplicates:
        f.refuse("duplicate_column", detail="; ".join(header.duplicates))
    else:
        f.extra_columns = extra_columns_json(header.extra_headers)
        f.rows_blank = 0
        return stream, header
    stream.close()
    return None


def _refuse_unread(f: FileOutcome, exc: BaseException) -> None:
    if isinstance(exc, TooLarge):
        f.refuse("too_large", detail=str(exc))
    elif isinstance(exc, UnreadableFile):
        f.refuse("unreadable_file", detail=str(exc))
    else:
        # Whatever a reader does with a hostile file, it is that file's refusal.
        f.refuse("unreadable_file", detail=f"the reader failed ({type(exc).__name__})")


def _check_listed_rows(plan: _BatchPlan, pending: _Pending, records: int | None) -> None:
    if records is None or pending.listed_rows is None or pending.listed_rows == records:
        return
    pending.outcome.manifest_status = "mismatch"
    raise _ManifestRows(plan, pending.path.name, (
        f"{records} dòng, tệp kê khai ghi {pending.listed_rows}",
        f"{records} rows, the manifest lists {pending.listed_rows}"))


def _load_file(loader: TableSlices, plan: _BatchPlan, pending: _Pending, limits: Limits
               ) -> FilePart | None:
    """Stream one file's slices into `loader`; None when the file is refused. Raises
    `_ManifestRows` when its row count is not the manifest's."""
    opened = _open_file(plan, pending, limits)
    if opened is None:
        return None
    stream, header = opened
    f = pending.outcome
    part = FilePart(batch_id=plan.batch_id, file_name=pending.path.name, stream=stream,
                    header=header, receipt=plan.receipt)
    slices = stream.slices(limits.slice_rows)
    offset = 0
    try:
        while True:
            try:  # a reader's failure part-way refuses the file (and undoes its slices)
                text = next(slices, None)
            except (TooLarge, UnreadableFile, Exception, pl.exceptions.PanicException) as exc:
                loader.discard(part)
                stream.close()
                _refuse_unread(f, exc)
                return None
            if text is None:
                break
            mapped, blank = header.apply(text, stream.row_base + offset)
            offset += text.height
            f.rows_blank = (f.rows_blank or 0) + blank
            del text
            loader.add(part, part.lineage(mapped))
        _check_listed_rows(plan, pending, stream.records)
    except BaseException:
        stream.close()
        raise
    return part


def _load_plans(
    con: duckdb.DuckDBPyConnection,
    plans: list[_BatchPlan],
    rules: ValueRules,
    summary: IngestSummary,
    log: Log,
    limits: Limits,
) -> None:
    """Read, validate and write consecutive batches in one transaction, one table at a time
    (one pandera pass per table). A batch whose manifest row count does not match is refused
    whole and the group is loaded again without it."""
    while True:
        try:
            _load_group(con, plans, rules, summary, log, limits)
            return
        except _ManifestRows as bad:
            _refuse_batch(bad.plan, "manifest_mismatch", bad.file_name, bad.detail, summary,
                          log)


def _load_group(
    con: duckdb.DuckDBPyConnection,
    plans: list[_BatchPlan],
    rules: ValueRules,
    summary: IngestSummary,
    log: Log,
    limits: Limits,
) -> None:
    if not plans:
        return
    for plan in plans:  # counts of an attempt rolled back
        for o in plan.outcomes:
            if o.status == "loaded":
                o.rows_landed = None
    loaded_at = dt.datetime.now(dt.UTC)
    con.execute("begin transaction")
    try:
        for table in TABLES:
            _load_table(con, table, plans, rules, limits, loaded_at)
        for plan in plans:  # a file of header only has no row in any slice
            for o in plan.outcomes:
                if o.status == "loaded" and o.rows_landed is None:
                    o.rows_landed = o.rows_accepted = o.rows_quarantined = 0
        _write_ledger(con, [o for plan in plans for o in plan.outcomes], loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for plan in plans:
        plan.pending.clear()
        summary.files.extend(plan.outcomes)
        _log_batch(log, plan.batch_id, plan.outcomes)


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    plans: list[_BatchPlan],
    rules: ValueRules,
    limits: Limits,
    loaded_at: dt.datetime,
) -> None:
    """Every file of `table` in the group, read, validated and written a slice at a time."""
    loader = TableSlices(con, table, rules, loaded_at, limits.slice_rows)
    parts: dict[tuple[str, str], tuple[FilePart, FileOutcome]] = {}
    try:
        for plan in plans:
            for pending in plan.pending.values():
                o = pending.outcome
                if o.table_name == table and o.status == "loaded":
                    part = _load_file(loader, plan, pending, limits)
                    if part is not None:
                        parts[part.key] = (part, o)
        loader.finish([p for p, _ in parts.values()])
    finally:
        loader.close()
        for part, _ in parts.values():
            part.stream.close()
    for part, o in parts.values():
        if o.status != "loaded":
            continue
        o.rows_landed = part.rows_landed
        o.rows_quarantined = part.rows_quarantined
        o.rows_accepted = part.rows_landed - part.rows_quarantined
        o.rule_counts = dict(part.rule_counts)


def _write_ledger(
    con: duckdb.DuckDBPyConnection, outcomes: list[FileOutcome], loaded_at: dt.datetime
) -> None:
    if not outcomes:
        return
    records = [
        {**{k: getattr(o, k) for k in LEDGER_COLUMNS if k != "loaded_at"}, "loaded_at": loaded_at}
        for o in outcomes
    ]
    schema = {k: pl.String for k in LEDGER_COLUMNS}
    schema.update({k: pl.Int64 for k in ("rows_landed", "rows_accepted", "rows_quarantined",
                                         "rows_blank")})
    schema["loaded_at"] = pl.Datetime("us", "UTC")
    schema["received_at"] = pl.Datetime("us")
    append(con, "raw.batch_ledger", pl.DataFrame(records, schema=schema))


def _log_batch(log: Log, batch_id: str, outcomes: list[FileOutcome]) -> None:
    loaded = [o for o in outcomes if o.status == "loaded"]
    refused = [o for o in outcomes if o.status == "refused"]
    ignored = [o for o in outcomes if o.status == "ignored"]
    log(
        f"batch {batch_id}: {len(outcomes)} entries, {len(loaded)} loaded, {len(refused)} "
        f"refused, {len(ignored)} ignored; rows accepted "
        f"{sum(o.rows_accepted or 0 for o in loaded)}, "
        f"quarantined {sum(o.rows_quarantined or 0 for o in loaded)}"
    )
    for o in loaded:
        extra = f"; extra columns {o.extra_columns}" if o.extra_columns else ""
        log(f"  {o.file_name}: {o.rows_landed} landed, {o.rows_accepted} accepted, "
            f"{o.rows_quarantined} quarantined{extra}")
    for o in refused:
        log(f"  {o.file_name}: refused ({o.refusal_reason})")
    for o in ignored:
        log(f"  {o.file_name}: ignored ({o.refusal_reason})")
