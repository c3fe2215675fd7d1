"""Warehouse versions: recorded, older layouts migrated, unknown ones refused, never loaded
over silently."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.cli import main
from pipelines.contract import CONTRACT_VERSION, create_raw_tables
from pipelines.operations.versions import (
    WAREHOUSE_SCHEMA,
    WarehouseVersionError,
    ensure_current,
    package_version,
    recorded,
)
from pipelines.resources import Warehouse


def _previous_release_warehouse(path: Path, drop_column: str | None = None) -> None:
    """The layout the release before versions were recorded wrote: raw tables, ledger and
    quarantine, no `meta` schema."""
    con = duckdb.connect(str(path))
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    create_raw_tables(con)
    con.execute("insert into raw.batch_ledger (batch_id, file_name, status) "
                "values ('20250101T0100', 'cases.csv', 'loaded')")
    if drop_column:
        con.execute(f"alter table raw.cases drop column {drop_column}")
    con.close()


def _init(path: Path) -> None:
    """What every run does before its first step."""
    resource = Warehouse(path=str(path))
    with dg.build_resources({"warehouse": resource}) as resources:
        assert resources.warehouse.path == str(path)


def test_a_new_warehouse_records_the_versions(tmp_path) -> None:
    _init(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert recorded(con) == {"warehouse_schema": str(WAREHOUSE_SCHEMA),
                             "contract": str(CONTRACT_VERSION),
                             "definitions": package_version()}


def test_a_warehouse_of_the_previous_release_is_migrated(tmp_path) -> None:
    path = tmp_path / "w.duckdb"
    _previous_release_warehouse(path, drop_column="unit_code")
    _init(path)
    con = duckdb.connect(str(path))
    assert recorded(con)["warehouse_schema"] == str(WAREHOUSE_SCHEMA)
    (from_v, to_v, description) = con.execute(
        "select from_version, to_version, description from meta.migrations").fetchone()
    assert (from_v, to_v) == (0, 1)
    assert "raw.cases.unit_code" in description
    assert "unit_code" in {r[0] for r in con.execute("describe raw.cases").fetchall()}
    assert con.execute("select batch_id from raw.batch_ledger").fetchall() == [("20250101T0100",)]


@pytest.mark.parametrize(("component", "version", "named"), [
    ("warehouse_schema", "99", "warehouse schema version 99"),
    ("contract", "7", "contract version 7"),
])
def test_a_warehouse_of_a_newer_release_is_refused(tmp_path, component, version, named) -> None:
    path = tmp_path / "w.duckdb"
    _init(path)
    con = duckdb.connect(str(path))
    con.execute("update meta.versions set version = ? where component = ?", [version, component])
    with pytest.raises(WarehouseVersionError, match=named) as err:
        ensure_current(con, "warehouse w.duckdb")
    assert "nothing was loaded" in str(err.value)
    con.close()


def test_a_version_without_a_migration_path_is_refused(tmp_path, monkeypatch) -> None:
    path = tmp_path / "w.duckdb"
    _previous_release_warehouse(path)
    monkeypatch.setattr("pipelines.operations.versions.MIGRATIONS", {})
    con = duckdb.connect(str(path))
    with pytest.raises(WarehouseVersionError, match="warehouse schema version 0.*cannot migrate"):
        ensure_current(con)
    assert "meta" not in {r[0] for r in con.execute(
        "select schema_name from duckdb_schemas()").fetchall()}  # rolled back whole
    con.close()


@pytest.mark.slow
def test_a_run_on_a_newer_warehouse_loads_nothing(tmp_path, capsys) -> None:
    path = tmp_path / "w.duckdb"
    _init(path)
    con = duckdb.connect(str(path))
    con.execute("update meta.versions set version = '99' where component = 'warehouse_schema'")
    con.close()
    landing = tmp_path / "landing"
    (landing / "20250101T0100").mkdir(parents=True)
    (landing / "20250101T0100" / "cases.csv").write_text("case_id\n", encoding="utf-8")
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", "--landing", str(landing), "--warehouse", str(path),
                     "--out", str(tmp_path / "out"),
                     "--published", str(tmp_path / "pub" / "cw.duckdb"),
                     "--as-of", "2025-01-01"])
    assert code != 0
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'"
                       ).fetchone() == (0,)  # not one table created, let alone loaded
    assert not (tmp_path / "pub" / "cw.duckdb").exists()
