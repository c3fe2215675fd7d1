"""The deployment files: instance config valid for this Dagster, one nightly run at a time, run
monitoring on, webservers on loopback, the viewers' webserver read-only."""

from __future__ import annotations

import shlex

import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config_schema

from pipelines import paths
from pipelines.operations.serve import ensure_instance

DEPLOY = paths.ROOT / "deploy"


def _exec_start(unit: str) -> list[str]:
    for line in (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart="))
    raise AssertionError(f"{unit} has no ExecStart")


def test_instance_config_is_valid_and_limits_the_nightly_job_to_one_run() -> None:
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    result = validate_config(dagster_instance_config_schema(), config)
    assert result.success, result.errors
    assert config["telemetry"] == {"enabled": False}
    assert {"key": "casewatch/job", "value": "nightly", "limit": 1} in (
        config["concurrency"]["runs"]["tag_concurrency_limits"])
    assert config["run_monitoring"]["enabled"] is True
    assert "sqlite" in config["storage"]


def test_the_nightly_job_carries_the_limited_tag() -> None:
    from pipelines.definitions import defs

    assert defs.resolve_job_def("nightly").tags["casewatch/job"] == "nightly"


def test_webservers_bind_to_loopback_and_the_viewers_one_is_read_only() -> None:
    for unit in ("casewatch-webserver.service", "casewatch-webserver-readonly.service"):
        argv = _exec_start(unit)
        assert argv[argv.index("-h") + 1] == "127.0.0.1", unit
    assert "--read-only" in _exec_start("casewatch-webserver-readonly.service")
    assert "--read-only" not in _exec_start("casewatch-webserver.service")
    assert _exec_start("casewatch-daemon.service")[1:2] == ["run"]


def test_a_trial_instance_gets_the_deploy_config_under_its_own_home(tmp_path) -> None:
    config = ensure_instance(tmp_path / "home")
    text = config.read_text(encoding="utf-8")
    assert "/var/lib/casewatch" not in text
    assert str((tmp_path / "home").resolve() / "storage") in text
    config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    ensure_instance(tmp_path / "home")  # an existing config is the operator's: kept
    assert config.read_text(encoding="utf-8") == "telemetry:\n  enabled: false\n"
