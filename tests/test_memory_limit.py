"""The run's memory limit: parsed strictly, defaulted from the machine, and applied to every
DuckDB connection of the run (the Dagster process's and dbt's) with a spill folder."""

from __future__ import annotations

import pytest

from pipelines import dbt_project, memory
from pipelines.cli import main
from pipelines.resources import Warehouse


@pytest.mark.parametrize(("text", "expected"), [
    ("6GB", 6 * 1000**3), ("512MB", 512 * 1000**2), ("1.5GiB", int(1.5 * 1024**3)),
    ("2 gb", 2 * 1000**3),
])
def test_sizes_parse(text, expected):
    assert memory.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "six", "6XB", "-1GB", "100MB"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(ValueError):
        memory.parse_size(text)


def test_the_default_follows_the_machine():
    assert memory.run_limit("") == max(memory.MINIMUM,
                                       int(memory.total_memory() * memory.DEFAULT_FRACTION))
    assert memory.duckdb_limit("4GB") == "2000MB"


def test_the_warehouse_connection_follows_the_limit(tmp_path):
    wh = tmp_path / "w.duckdb"
    with Warehouse(path=str(wh), memory_limit="2GB").connect() as con:
        limit, temp = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()[0]
    # DuckDB shows 1000 MB as 953.6 MiB.
    assert limit.startswith("953") and "MiB" in limit
    assert temp == str(wh) + ".tmp"


def test_dbt_gets_the_same_limit_and_spill_folder(tmp_path):
    env = dbt_project.dbt_env(tmp_path / "w.duckdb", memory_limit="3GB")
    assert env["CASEWATCH_DUCKDB_MEMORY_LIMIT"] == "1500MB"
    assert env["CASEWATCH_DUCKDB_TEMP_DIRECTORY"] == str(tmp_path / "w.duckdb") + ".tmp"
    profile = (dbt_project.SQL_DIR / "profiles.yml").read_text(encoding="utf-8")
    assert "CASEWATCH_DUCKDB_MEMORY_LIMIT" in profile
    assert "CASEWATCH_DUCKDB_TEMP_DIRECTORY" in profile


def test_a_bad_flag_stops_the_run_before_it_starts(tmp_path, capsys):
    (tmp_path / "landing").mkdir()
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse",
                 str(tmp_path / "w.duckdb"), "--memory-limit", "lots"])
    assert code == 2
    assert "--memory-limit" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
