"""The whole nightly graph on small planted batches: the GX contract checks run on the real
marts, a failed blocking expectation fails the run and keeps the snapshot unpublished, and the
steward report is written all the same."""

from __future__ import annotations

import duckdb
import pytest
from test_steward_report import AS_OF, plant_first_batches

from pipelines.quality import suites
from pipelines.quality.report import refresh_steward_report
from pipelines.resources import CasewatchSettings
from pipelines.runner import run_nightly


def _settings(tmp_path) -> CasewatchSettings:
    plant_first_batches(tmp_path / "landing")
    return CasewatchSettings(
        landing_dir=str(tmp_path / "landing"), warehouse_path=str(tmp_path / "w.duckdb"),
        out_dir=str(tmp_path / "out"), published_path=str(tmp_path / "pub" / "casewatch.duckdb"),
        as_of=AS_OF.isoformat(),
    )


def _gx_results(settings: CasewatchSettings, run_id: str) -> list[tuple]:
    con = duckdb.connect(settings.warehouse_path, read_only=True)
    try:
        return con.execute(
            "select asset, check_name, severity, passed, failing_count from "
            "marts.validation_results where run_id = ? and tool = 'great_expectations' "
            "order by asset, check_name", [run_id]).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_nightly_run_blocks_on_a_failed_contract_and_still_reports(tmp_path, monkeypatch):
    # A contract the real deadlines cannot meet (the planted case C1 has an open clock).
    spec = suites.load_spec("deadlines")
    impossible = {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "status", "value_set": ["on_time"]},
        "description": "Test only: every clock is on time.",
        "meta": {"name": "test_only_every_clock_on_time", "severity": "error",
                 "description_vi": "Chỉ để kiểm thử."},
    }
    monkeypatch.setitem(spec, "expectations", [*spec["expectations"], impossible])
    settings = _settings(tmp_path)

    outcome = run_nightly(settings)

    assert not outcome.success
    assert any(c.startswith("marts.deadlines: matches_contract") for c in outcome.failed_checks)
    assert "published.snapshot" in outcome.skipped_assets
    assert not (tmp_path / "pub" / "casewatch.duckdb").exists()
    report = tmp_path / "out" / "steward-report.html"
    assert report.exists()  # the report does not sit downstream of the marts that failed
    assert "reports.steward_report" not in outcome.skipped_assets

    results = _gx_results(settings, outcome.run_id)
    failed = [r for r in results if not r[3]]
    assert ("marts.deadlines", "gx:test_only_every_clock_on_time", "error", False) == failed[0][:4]
    assert failed[0][4] >= 1
    assert all(r[0] != "marts.deadlines" or r[3] for r in failed[1:])
    # every published mart that exists was checked against its suite
    assert {r[0] for r in results} >= {"marts.deadlines", "marts.batch_ledger",
                                       "marts.quarantine", "marts.data_findings"}

    # After the run, the report is rewritten with every check of the run.
    refresh_steward_report(settings, outcome.run_id)
    html = report.read_text(encoding="utf-8")
    assert 'data-check="gx:test_only_every_clock_on_time" data-passed="false"' in html
