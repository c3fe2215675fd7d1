"""Backup and restore of the state that is not rebuilt each night.

Everything in `staging`, `intermediate` and `marts` is computed again from `raw` and the
reference data by the next run. What cannot be recomputed is:

- every table of the `raw` schema: the accepted row versions, the batch ledger and the
  quarantine (the ledger is what makes loading idempotent);
- `marts.validation_results`, the check history (kept by the checks themselves);
- `meta.versions` and `meta.migrations` (which release wrote the warehouse);
- the landing folder: the batches as delivered.

`backup(DIR)` writes `DIR/warehouse/<schema>.<table>.parquet`, a copy of the landing folder in
`DIR/landing/`, and `DIR/manifest.json` with the row count of every table and the SHA-256 of
every file. `restore(DIR)` verifies every checksum first and refuses a damaged or incomplete
backup, then builds the warehouse in a temporary file and moves it into place; it never
writes over a warehouse that holds data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contract import create_raw_tables
from pipelines.operations.versions import (
    WAREHOUSE_SCHEMA,
    WarehouseVersionError,
    ensure_current,
    package_version,
    recorded,
)

MANIFEST = "manifest.json"
WAREHOUSE_DIR = "warehouse"
LANDING_DIR = "landing"
FORMAT = 1
#  Tables outside `raw` that are state, not derived.
STATE_TABLES = (("marts", "validation_results"), ("meta", "versions"), ("meta", "migrations"))


class BackupError(RuntimeError):
    """A backup cannot be written or restored; the message says why and what to do."""


@dataclass
class BackupSummary:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    landing_files: int = 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _state_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = "
        "current_database() and not internal order by 1, 2").fetchall()
    return [(s, t) for s, t in rows if s == "raw" or (s, t) in STATE_TABLES]


def backup(
    dest: str | Path, warehouse: str | Path, landing: str | Path | None = None
) -> BackupSummary:
    """Write a backup of `warehouse` (and a copy of `landing`) into the new folder `dest`."""
    dest, warehouse = Path(dest), Path(warehouse)
    if not warehouse.exists():
        raise BackupError(f"warehouse not found: {warehouse}")
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"backup folder {dest} is not empty: choose a new folder")
    if landing is not None and not Path(landing).is_dir():
        raise BackupError(f"landing folder not found: {landing}")
    (dest / WAREHOUSE_DIR).mkdir(parents=True, exist_ok=True)
    summary = BackupSummary(path=dest)
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise BackupError(f"cannot open {warehouse} (is a run in progress?): {exc}") from exc
    try:
        versions = recorded(con)
        for schema, table in _state_tables(con):
            name = f"{schema}.{table}"
            target = dest / WAREHOUSE_DIR / f"{name}.parquet"
            con.execute(f'copy (select * from {schema}."{table}") to {_q(str(target))} '
                        "(format parquet)")
            (rows,) = con.execute(f'select count(*) from {schema}."{table}"').fetchone()
            summary.tables[name] = int(rows)
    finally:
        con.close()
    if landing is not None:
        shutil.copytree(landing, dest / LANDING_DIR)
    files = {}
    for path in sorted(p for p in dest.rglob("*") if p.is_file() and p.name != MANIFEST):
        rel = path.relative_to(dest).as_posix()
        files[rel] = sha256(path)
        if rel.startswith(LANDING_DIR + "/"):
            summary.landing_files += 1
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "casewatch": package_version(),
        "versions": versions,
        "warehouse": str(warehouse.name),
        "tables": summary.tables,
        "files": files,
    }
    tmp = dest / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, dest / MANIFEST)
    return summary


def verify(src: str | Path) -> dict:
    """The backup's manifest, once every file it lists is present with its checksum."""
    src = Path(src)
    manifest_path = src / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{src} is not a casewatch backup: {MANIFEST} is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BackupError(f"{manifest_path} cannot be read: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path}: backup format {manifest.get('format')!r} is not "
                          f"{FORMAT}; restore it with the casewatch release that wrote it")
    problems = []
    for rel, expected in manifest.get("files", {}).items():
        path = src / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif (found := sha256(path)) != expected:
            problems.append(f"{rel}: checksum mismatch (expected {expected[:12]}..., "
                            f"found {found[:12]}...)")
    if problems:
        raise BackupError(
            f"backup {src} is damaged; nothing was restored:\n  " + "\n  ".join(problems))
    return manifest


def _has_data(path: Path) -> bool:
    if not path.exists():
        return False
    con = duckdb.connect(str(path), read_only=True)
    try:
        (n,) = con.execute("select count(*) from duckdb_tables() where not internal").fetchone()
    finally:
        con.close()
    return n > 0


def restore(src: str | Path, warehouse: str | Path) -> dict[str, int]:
    """Rebuild `warehouse` (absent or empty) from the backup in `src`; returns rows per table."""
    src, warehouse = Path(src), Path(warehouse)
    manifest = verify(src)
    schema = int(manifest.get("versions", {}).get("warehouse_schema", 0))
    if schema > WAREHOUSE_SCHEMA:
        raise WarehouseVersionError(
            f"backup {src} has warehouse schema version {schema} (casewatch "
            f"{manifest.get('casewatch', '?')}); this casewatch knows versions up to "
            f"{WAREHOUSE_SCHEMA}. Restore it with that release; nothing was restored.")
    if _has_data(warehouse):
        raise BackupError(f"warehouse {warehouse} already holds data: restore only into a new "
                          "or empty warehouse (move the old file away first)")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp = warehouse.with_name(f".{warehouse.name}.restore")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    restored = {}
    con = duckdb.connect(str(tmp))
    try:
        for schema_name in ("raw", "marts", "meta"):
            con.execute(f"create schema {schema_name}")
        create_raw_tables(con)  # the contract's column types, whatever Parquet kept
        for name, rows in manifest["tables"].items():
            schema_name, table = name.split(".", 1)
            path = src / WAREHOUSE_DIR / f"{name}.parquet"
            con.execute(f"create schema if not exists {schema_name}")
            (exists,) = con.execute(
                "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
                [schema_name, table]).fetchone()
            if exists:
                con.execute(f'insert into {schema_name}."{table}" by name '
                            f"select * from read_parquet({_q(str(path))})")
            else:
                con.execute(f'create table {schema_name}."{table}" as '
                            f"select * from read_parquet({_q(str(path))})")
            (n,) = con.execute(f'select count(*) from {schema_name}."{table}"').fetchone()
            if n != rows:
                raise BackupError(f"backup {src}: {name} has {n} rows, the manifest says {rows}")
            restored[name] = int(n)
        ensure_current(con, f"backup {src}")  # a backup from an older release is migrated
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
    os.replace(tmp, warehouse)
    return restored
