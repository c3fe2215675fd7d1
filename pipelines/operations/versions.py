"""Which casewatch wrote a warehouse, and the migrations from older layouts.

`meta.versions` holds one row per component:

- `warehouse_schema`: the layout of the state that is not rebuilt each night (raw, ledger,
  check log); this release writes `WAREHOUSE_SCHEMA`;
- `contract`: the landing contract version the raw tables follow (`CONTRACT_VERSION`);
- `definitions`: the casewatch release whose definitions last ran on it (package version).

`meta.migrations` logs every migration applied (from, to, when, what).

Every run checks the warehouse before its first step (`ensure_current`, called by the
`Warehouse` resource), and so do `casewatch restore` and `casewatch backup`:

- a new, empty warehouse is stamped with this release's versions;
- a warehouse with no `meta.versions` but with raw tables was written before versions were
  recorded (warehouse schema 0): migration 0 -> 1 runs;
- an older warehouse schema with a migration path is migrated, step by step, in one
  transaction; without one, or when the warehouse schema or contract is newer than this
  release, the run is refused with a message naming the versions. Nothing is ever loaded on
  top of a warehouse this release does not understand.

Migrations (see docs/operations.md, "Upgrades"):

- **0 -> 1** (releases before versions were recorded): every contract column missing from a
  `raw.<table>` is added (null in older rows); the ledger, quarantine and check-log tables are
  created if absent; the versions are recorded.
- **1 -> 2**: `raw.quarantine.related_ids` (the keys a rejected row names, for sending it back
  to its unit) and `raw.batch_ledger.received_at` (the receipt time the batch states) are
  added, null for rows loaded before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import metadata

import duckdb

from pipelines.contract import CONTRACT_VERSION, TABLES, create_raw_tables, raw_ddl

WAREHOUSE_SCHEMA = 2

VERSIONS_DDL = """
create table if not exists meta.versions (
    component varchar primary key,
    version varchar,
    recorded_at timestamptz
)
"""
MIGRATIONS_DDL = """
create table if not exists meta.migrations (
    from_version integer,
    to_version integer,
    applied_at timestamptz,
    description varchar
)
"""


class WarehouseVersionError(RuntimeError):
    """The warehouse was written by a casewatch this release cannot read or migrate."""


def package_version() -> str:
    try:
        return metadata.version("casewatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (n,) = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?", [schema, table]).fetchone()
    return n > 0


def recorded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not _has_table(con, "meta", "versions"):
        return {}
    return dict(con.execute("select component, version from meta.versions").fetchall())


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The warehouse schema version; 0 for a warehouse from before versions were recorded;
    None for an empty warehouse."""
    versions = recorded(con)
    if "warehouse_schema" in versions:
        return int(versions["warehouse_schema"])
    (n,) = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw'").fetchone()
    return 0 if n else None


def _migrate_0_to_1(con: duckdb.DuckDBPyConnection) -> str:
    added = []
    for table in TABLES:
        if not _has_table(con, "raw", table):
            con.execute(raw_ddl(table))
            continue
        have = {r[0] for r in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'raw' and table_name = ?", [table]).fetchall()}
        # the wanted layout, read from the DDL of an empty scratch table
        scratch = duckdb.connect()
        scratch.execute("create schema raw")
        scratch.execute(raw_ddl(table))
        wanted = scratch.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = 'raw' "
            "and table_name = ? order by column_index", [table]).fetchall()
        scratch.close()
        for column, sql_type in wanted:
            if column not in have:
                con.execute(f'alter table raw.{table} add column "{column}" {sql_type}')
                added.append(f"raw.{table}.{column}")
    create_raw_tables(con)  # ledger and quarantine, if absent
    return "recorded versions" + (f"; added columns {', '.join(added)}" if added else "")


def _migrate_1_to_2(con: duckdb.DuckDBPyConnection) -> str:
    create_raw_tables(con)  # ledger and quarantine, if absent
    con.execute("alter table raw.quarantine add column if not exists related_ids varchar")
    con.execute("alter table raw.batch_ledger add column if not exists received_at timestamp")
    return "added raw.quarantine.related_ids, raw.batch_ledger.received_at"


#  from-version -> (to-version, migration)
MIGRATIONS: dict[int, tuple[int, Callable[[duckdb.DuckDBPyConnection], str]]] = {
    0: (1, _migrate_0_to_1),
    1: (2, _migrate_1_to_2),
}


def stamp(con: duckdb.DuckDBPyConnection) -> None:
    """Record this release's versions (the warehouse is at `WAREHOUSE_SCHEMA`)."""
    con.execute("create schema if not exists meta")
    con.execute(VERSIONS_DDL)
    now = dt.datetime.now(dt.UTC)
    for component, version in (("warehouse_schema", str(WAREHOUSE_SCHEMA)),
                               ("contract", str(CONTRACT_VERSION)),
                               ("definitions", package_version())):
        con.execute("insert or replace into meta.versions values (?, ?, ?)",
                    [component, version, now])


def ensure_current(con: duckdb.DuckDBPyConnection, where: str = "the warehouse") -> list[str]:
    """Check the warehouse open on `con`, migrate it if it is older, refuse it if it cannot
    be read (module doc). Returns the migrations applied (descriptions)."""
    version = schema_version(con)
    versions = recorded(con)
    contract = versions.get("contract")
    if version is not None and version > WAREHOUSE_SCHEMA:
        raise WarehouseVersionError(
            f"{where} has warehouse schema version {version} (written by casewatch "
            f"{versions.get('definitions', '?')}); this casewatch ({package_version()}) knows "
            f"versions up to {WAREHOUSE_SCHEMA}. Upgrade casewatch, or restore a backup made "
            "with this release; nothing was loaded."
        )
    if contract is not None and int(contract) > CONTRACT_VERSION:
        raise WarehouseVersionError(
            f"{where} holds data of landing contract version {contract}; this casewatch reads "
            f"contract version {CONTRACT_VERSION}. Upgrade casewatch; nothing was loaded."
        )
    applied = []
    if version is None:
        stamp(con)
        return applied
    if version < WAREHOUSE_SCHEMA:
        con.execute("begin transaction")
        try:
            con.execute("create schema if not exists meta")
            con.execute(MIGRATIONS_DDL)
            while version < WAREHOUSE_SCHEMA:
                if version not in MIGRATIONS:
                    raise WarehouseVersionError(
                        f"{where} has warehouse schema version {version}, which this casewatch "
                        f"({package_version()}) cannot migrate (it migrates from versions "
                        f"{', '.join(map(str, sorted(MIGRATIONS)))}). Restore a backup made "
                        "with a newer release, or run the release in between first; nothing "
                        "was loaded."
                    )
                target, migrate = MIGRATIONS[version]
                description = migrate(con)
                con.execute("insert into meta.migrations values (?, ?, ?, ?)",
                            [version, target, dt.datetime.now(dt.UTC), description])
                applied.append(f"{version} -> {target}: {description}")
                version = target
            stamp(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return applied
    if versions.get("definitions") != package_version():
        stamp(con)
    return applied
