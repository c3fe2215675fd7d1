"""The one Definitions object loads, and every asset carries the metadata the style asks for."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import build_defs, defs


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("nightly")
    assert job.executor_def is dg.in_process_executor


def test_every_asset_has_group_owner_kind_and_description() -> None:
    graph = build_defs().resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    assert keys, "no assets"
    for key in keys:
        node = graph.get(key)
        assert node.group_name, f"{key} has no group"
        assert node.owners, f"{key} has no owner"
        assert node.kinds, f"{key} has no kinds"
        assert node.description, f"{key} has no description"


def test_sql_assets_are_keyed_by_schema_and_table() -> None:
    graph = build_defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        if key.path[0] in ("staging", "intermediate", "marts"):
            assert len(key.path) == 2
            assert graph.get(key).group_name == key.path[0]


def test_nightly_schedule_runs_at_one_in_vietnam_time_and_is_running(monkeypatch) -> None:
    monkeypatch.delenv("CASEWATCH_NIGHTLY_CRON", raising=False)
    (schedule,) = build_defs().schedules
    assert schedule.cron_schedule == "0 1 * * *"
    assert schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_every_asset_has_the_one_owner_and_a_code_reference() -> None:
    """Applied once, in definitions.py: the owner, and where the code is (for dbt models, their
    .sql file as well)."""
    from pipelines.definitions import OWNER

    graph = build_defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert list(node.owners) == [OWNER], key
        refs = node.metadata.get("dagster/code_references")
        assert refs is not None and refs.code_references, f"{key} has no code reference"
    deadlines = graph.get(dg.AssetKey(["marts", "deadlines"])).metadata["dagster/code_references"]
    assert any(
        str(getattr(r, "file_path", "")).endswith("sql/models/marts/deadlines.sql")
        for r in deadlines.code_references
    )
