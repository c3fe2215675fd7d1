"""The raw multi-asset in Dagster: every raw table materialised with row counts (never rows), the
pandera checks reported without blocking, results logged to marts.validation_results."""

from __future__ import annotations

import dagster as dg
import duckdb
from test_ingest import _set, base_rows, write_batch

from pipelines.contract import TABLES
from pipelines.ingest import ASSETS
from pipelines.reference import ASSETS as REFERENCE_ASSETS
from pipelines.resources import CasewatchSettings, Warehouse


def test_raw_multi_asset_materialises_and_reports_checks(tmp_path):
    landing = tmp_path / "landing"
    write_batch(landing, "b1", {
        "cases": base_rows("cases"),
        "persons": _set(base_rows("persons"), 1, sex="unknown", birth_date="nope"),
    })
    folder = write_batch(landing, "b2", {"crime_reports": base_rows("crime_reports")})
    (folder / "judgements.csv").write_text("judgement_id\nJ1\n", encoding="utf-8")
    warehouse = tmp_path / "wh.duckdb"
    settings = CasewatchSettings(landing_dir=str(landing), warehouse_path=str(warehouse),
                                 as_of="2024-12-31")
    result = dg.materialize(
        [*REFERENCE_ASSETS, *ASSETS],
        resources={"settings": settings, "warehouse": Warehouse(path=str(warehouse))},
    )
    assert result.success
    materialised = {
        tuple(e.asset_key.path): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    for table in [*TABLES, "batch_ledger", "quarantine"]:
        assert ("raw", table) in materialised
    cases = materialised[("raw", "cases")]
    assert cases["dagster/row_count"].value == 1
    assert materialised[("raw", "persons")]["rows_quarantined_this_run"].value == 1
    assert materialised[("raw", "quarantine")]["dagster/row_count"].value == 2
    # Metadata carries counts only: no cell value of the batch appears in it.
    flat = str(materialised)
    for value in ("Nguyễn Văn Hòa", "083090001234", "nope", "unknown"):
        assert value not in flat

    checks = {
        (tuple(e.asset_key.path), e.check_name): e for e in result.get_asset_check_evaluations()
    }
    assert len(checks) == len(TABLES)
    persons = checks[(("raw", "persons"), "matches_contract")]
    assert not persons.passed and persons.severity == dg.AssetCheckSeverity.WARN
    assert not checks[(("raw", "judgements"), "matches_contract")].passed  # refused file
    assert checks[(("raw", "cases"), "matches_contract")].passed

    with duckdb.connect(str(warehouse)) as con:
        logged = con.execute(
            "select asset, passed, failing_count, tool, severity from marts.validation_results "
            "where check_name = 'matches_contract' order by asset").fetchall()
    assert len(logged) == len(TABLES)
    assert ("raw.persons", False, 1, "pandera", "warn") in logged
    assert ("raw.cases", True, 0, "pandera", "warn") in logged

    # A second run loads nothing new and every check passes.
    again = dg.materialize(
        [*REFERENCE_ASSETS, *ASSETS],
        resources={"settings": settings, "warehouse": Warehouse(path=str(warehouse))},
    )
    assert again.success
    assert all(e.passed for e in again.get_asset_check_evaluations())
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select count(*) from raw.cases").fetchall() == [(1,)]
