"""Shared fixtures: an in-memory warehouse with the reference data and empty raw tables, and
the headless browser for page tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterable

import duckdb
import pytest

from pipelines import dbt_compiled, paths
from pipelines.contract import create_raw_tables
from pipelines.reference.load import load_reference


def pytest_configure(config) -> None:
    """Before any fixture, whatever its scope: no run goes to the Dagster instance a user
    exported (`make test` exports DAGSTER_HOME for the UI), and no deployment setting
    (`CASEWATCH_*`, docs/operations.md) redirects the tests' paths, schedule or mail."""
    for name in list(os.environ):
        if name == "DAGSTER_HOME" or name.startswith("CASEWATCH_"):
            del os.environ[name]


@pytest.fixture(autouse=True)
def _hermetic_dagster(monkeypatch) -> None:
    """Runs in tests use ephemeral Dagster instances, never the project's `.dagster_home`
    (`make test` exports DAGSTER_HOME for the UI; run history must not leak between tests)."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory warehouse: reference tables loaded, raw tables created and empty."""
    c = duckdb.connect()
    c.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        c.execute(f"create schema if not exists {schema}")
    load_reference(c, paths.REFERENCE_DIR)
    create_raw_tables(c)
    yield c
    c.close()


@pytest.fixture
def build(con) -> Callable[..., dict[str, int]]:
    """Build dbt models on `con` from their compiled SQL: build(as_of, only=['marts.deadlines'])
    (see `pipelines.dbt_compiled`)."""

    def _build(as_of: dt.date | str, only: Iterable[str] | None = None) -> dict[str, int]:
        return dbt_compiled.build(con, as_of, only=only)

    return _build


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium. Under CI=true a missing browser fails the test instead of skipping."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "chromium is not installed (CI=true): .ci/run must install Debian's chromium"
            )
        pytest.skip("chromium is not installed")
    return path
