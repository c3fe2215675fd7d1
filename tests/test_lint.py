"""The code passes the project's linters, configured in pyproject.toml: ruff for the Python,
sqlfluff (DuckDB dialect, jinja templater with dbt's builtins) for the dbt project's SQL."""

from __future__ import annotations

import shutil
import subprocess
import sys

from pipelines import paths


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff") or f"{sys.prefix}/bin/ruff"
    result = subprocess.run(
        [ruff, "check", "pipelines", "tests"], cwd=paths.ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_finds_nothing_in_the_dbt_project() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "sql/models", "sql/checks", "sql/macros",
         "--processes", "2", "--disable-progress-bar"],
        cwd=paths.ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
