"""The dbt project in `sql/`: where it lives, how its manifest is prepared, what it holds.

`make setup` prepares the manifest (`dbt parse`, into `sql/target/`, never committed);
`ensure_manifest()` re-parses when a file of the project is newer than the manifest, so a run
or a test never works from a stale graph.

dbt keeps its parse state (`partial_parse.msgpack`) to skip re-parsing unchanged files, but
throws it away and parses the whole project (about twice the CPU) whenever the profile it
renders differs from the one the state was saved with: the warehouse path, DuckDB's memory
limit and spill folder are part of it. The nightly run therefore restores the state saved by
the last build with the same profile (`restore_parse_state`) and saves its own
(`keep_parse_state`); dbt still checks every file and the profile itself, so a stale or
mismatched state only costs the full parse it would have done anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pipelines.paths import DEFAULT_WAREHOUSE, SQL_DIR

MODEL_SCHEMAS = ("staging", "intermediate", "marts")
SOURCE_SCHEMAS = ("raw", "reference")
PROJECT_NAME = "casewatch"

# dbt's default target path; pipelines.dbt_assets points dagster-dbt's DbtProject at the same
# project (imported there only: the test harness and the benchmark need no dbt import)
MANIFEST_PATH = SQL_DIR / "target" / "manifest.json"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# the environment variables profiles.yml renders: the profile dbt compares its state with
PROFILE_ENV = (
    "CASEWATCH_WAREHOUSE", "CASEWATCH_DUCKDB_MEMORY_LIMIT", "CASEWATCH_DUCKDB_TEMP_DIRECTORY"
)
KEPT_PARSE_STATES = 8
# Each `dbt build` of a run writes into a target folder of its own (`sql_models-<run>`, about
# 12 MB at national scale: compiled SQL, run_results.json); the newest few are kept to look
# into a night that went wrong, the older ones go (a nightly server would otherwise gain
# 4 GB a year).
KEPT_BUILD_TARGETS = 5
BUILD_TARGET_PREFIX = "sql_models-"


def dbt_executable() -> str:
    """The `dbt` installed next to this interpreter (the project's virtual environment)."""
    local = Path(sys.executable).parent / "dbt"
    return str(local) if local.exists() else "dbt"


def dbt_env(
    warehouse: str | Path = DEFAULT_WAREHOUSE, memory_limit: str = "", **params: str
) -> dict[str, str]:
    """The environment dbt runs in: the warehouse file, DuckDB's memory limit and spill folder
    (`profiles.yml`, from the run's `memory_limit`, see `pipelines.memory`) and run parameters
    (`CASEWATCH_AS_OF`, `CASEWATCH_RUN_ID`, see `sql/macros/run_vars.sql`)."""
    from pipelines import memory

    return {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "CASEWATCH_WAREHOUSE": str(Path(warehouse).resolve()),
        "CASEWATCH_DUCKDB_MEMORY_LIMIT": memory.duckdb_limit(memory_limit),
        "CASEWATCH_DUCKDB_TEMP_DIRECTORY": memory.temp_directory(warehouse),
        **{f"CASEWATCH_{k.upper()}": v for k, v in params.items()},
    }


def project_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """Every file dbt reads: project and profile, models, macros, checks."""
    files = [sql_dir / "dbt_project.yml", sql_dir / "profiles.yml"]
    for folder in ("models", "macros", "checks", "seeds"):
        files += sorted(p for p in (sql_dir / folder).rglob("*") if p.is_file())
    return files


def is_stale(artifact: Path, sql_dir: Path = SQL_DIR) -> bool:
    if not artifact.exists():
        return True
    built = artifact.stat().st_mtime
    return any(p.stat().st_mtime > built for p in project_files(sql_dir))


def run_dbt(
    args: Iterable[str], sql_dir: Path = SQL_DIR, env: Mapping[str, str] | None = None
) -> None:
    """Run one dbt command on the project, quietly; raise with dbt's output when it fails."""
    args = list(args)
    cmd = [dbt_executable(), *args, "--project-dir", str(sql_dir), "--profiles-dir", str(sql_dir)]
    done = subprocess.run(
        cmd, cwd=sql_dir, env=dict(env or dbt_env()), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def ensure_manifest() -> Path:
    """Parse the project when the manifest is missing or older than a project file."""
    if is_stale(MANIFEST_PATH):
        env = dbt_env()
        run_dbt(["parse", "--quiet"], env=env)
        keep_parse_state(env, MANIFEST_PATH.parent)
    return MANIFEST_PATH


def parse_state_path(env: Mapping[str, str], sql_dir: Path = SQL_DIR) -> Path:
    """Where the parse state of dbt runs with this environment's profile is kept."""
    profile = "\0".join(f"{k}={env.get(k, '')}" for k in PROFILE_ENV)
    key = hashlib.sha256(profile.encode("utf-8")).hexdigest()[:16]
    return sql_dir / "target" / "parse_states" / f"{key}.msgpack"


def restore_parse_state(
    env: Mapping[str, str], target_path: Path, sql_dir: Path = SQL_DIR
) -> bool:
    """Put the parse state saved for this profile into a dbt target folder; False if none."""
    saved = parse_state_path(env, sql_dir)
    target_path.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(saved, target_path / PARTIAL_PARSE_FILE)
        os.utime(saved)  # recently used: kept
    except FileNotFoundError:  # none yet, or just pruned by another run
        return False
    return True


def keep_parse_state(env: Mapping[str, str], target_path: Path, sql_dir: Path = SQL_DIR) -> None:
    """Save the parse state a dbt command left in `target_path` for the next one with the same
    profile; only the most recently used few profiles are kept."""
    fresh = target_path / PARTIAL_PARSE_FILE
    if not fresh.exists():
        return
    saved = parse_state_path(env, sql_dir)
    saved.parent.mkdir(parents=True, exist_ok=True)
    partial = saved.with_name(f"{saved.stem}.{os.getpid()}.tmp")
    shutil.copyfile(fresh, partial)
    os.replace(partial, saved)  # atomic: a concurrent run reads the old state or the new
    states = sorted(saved.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in states[KEPT_PARSE_STATES:]:
        old.unlink(missing_ok=True)


def prune_build_targets(sql_dir: Path = SQL_DIR, keep: int = KEPT_BUILD_TARGETS) -> list[Path]:
    """Remove all but the `keep` newest per-run build folders (`sql_models-*`) of
    `<sql_dir>/target`; the folders removed."""
    folders = sorted(
        (p for p in (sql_dir / "target").glob(f"{BUILD_TARGET_PREFIX}*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)  # a folder another run is pruning: fine
    return folders[keep:]


@cache
def _load(path: str, mtime: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_manifest(path: Path | None = None) -> Mapping[str, Any]:
    path = path or ensure_manifest()
    return _load(str(path), path.stat().st_mtime)


def model_nodes(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """unique_id -> node, for the models only."""
    return {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def model_keys(manifest: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """(schema, table) of every model."""
    manifest = manifest or load_manifest()
    return sorted((n["schema"], n["name"]) for n in model_nodes(manifest).values())


def leading_comment(sql: str) -> str:
    """The `--` lines a file starts with, joined: what a check states."""
    lines = []
    for line in sql.splitlines():
        s = line.strip()
        if not s.startswith("--"):
            if lines or s:
                break
            continue
        lines.append(s[2:].strip())
    return " ".join(lines).strip()


def grain(manifest: Mapping[str, Any], model_id: str) -> list[str]:
    """The columns of a model's `grain_is_unique` test (its grain), or none."""
    for child in manifest["child_map"].get(model_id, []):
        node = manifest["nodes"].get(child, {})
        meta = node.get("test_metadata") or {}
        if meta.get("name") == "grain_is_unique" and node.get("attached_node") == model_id:
            return list(meta["kwargs"]["columns"])
    return []


def check_description(manifest: Mapping[str, Any], test_id: str) -> str:
    node = manifest["nodes"][test_id]
    if node.get("description"):
        return node["description"]
    meta = node.get("test_metadata") or {}
    if meta.get("name") == "grain_is_unique":
        return f"One row per ({', '.join(meta['kwargs']['columns'])})."
    return leading_comment(node.get("raw_code", "")) or node["name"]


def check_detail(manifest: Mapping[str, Any], test_id: str) -> str:
    """What `marts.validation_results` says a check states."""
    meta = manifest["nodes"][test_id].get("test_metadata") or {}
    if meta.get("name") == "grain_is_unique":
        return f"duplicate keys on ({', '.join(meta['kwargs']['columns'])})"
    return check_description(manifest, test_id)


if __name__ == "__main__":  # `make setup`: prepare the manifest
    print(f"dbt manifest: {ensure_manifest().relative_to(SQL_DIR.parent)}")
