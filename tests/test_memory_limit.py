"""The run's memory limit: parsed strictly, defaulted from the machine, and applied to every
DuckDB connection of the run (the Dagster process's and dbt's) with a spill folder."""

from __future__ import annotations

from pathlib import Path

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


# Sorting six million hashes needs more than 128 MB: DuckDB spills to its temp_directory.
SPILLING_QUERY = ("create or replace table spilled as select i, md5(i::varchar) as s "
                  "from range(6000000) t(i) order by s")


def _spilled(con) -> bool:
    folder = con.execute("select current_setting('temp_directory')").fetchone()[0]
    return Path(folder).is_dir()


def test_a_second_connection_after_a_spill_still_opens(tmp_path):
    """DuckDB shares one database per file within a process and refuses to set its
    temp_directory again once it has spilled there: the next step's connection must not."""
    wh = Warehouse(path=str(tmp_path / "w.duckdb"), memory_limit="256MB")  # DuckDB: 128 MB
    with wh.connect() as first:
        first.execute(SPILLING_QUERY)
        assert _spilled(first)
        with wh.connect() as second:
            assert second.execute("select count(*) from spilled").fetchone()[0] == 6_000_000


def test_dbt_opens_cursors_after_a_spill(tmp_path):
    """dbt-duckdb opens a cursor per model and applies the profile's `settings` to each; the
    spill folder and the limit are given once, when the warehouse is opened."""
    import jinja2
    import yaml
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.adapters.duckdb.environments.local import LocalEnvironment

    wh = tmp_path / "w.duckdb"
    env = dbt_project.dbt_env(wh, memory_limit="256MB")
    text = (dbt_project.SQL_DIR / "profiles.yml").read_text(encoding="utf-8")
    profile = yaml.safe_load(jinja2.Template(text).render(
        env_var=lambda name, default=None: env.get(name, default)))
    output = profile["casewatch"]["outputs"]["warehouse"]
    assert "temp_directory" not in output.get("settings", {})
    creds = DuckDBCredentials(path=str(wh), settings=output.get("settings"),
                              config_options=output["config_options"])
    environment = LocalEnvironment(creds)
    try:
        model = environment.handle()
        model.cursor().execute(SPILLING_QUERY)
        assert _spilled(model.cursor())
        next_model = environment.handle()  # raised "Cannot switch temporary directory"
        cursor = next_model.cursor()
        assert cursor.execute("select current_setting('temp_directory')").fetchone()[0] == (
            env["CASEWATCH_DUCKDB_TEMP_DIRECTORY"])
        assert cursor.execute("select count(*) from spilled").fetchone()[0] == 6_000_000
    finally:
        environment.close()


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
