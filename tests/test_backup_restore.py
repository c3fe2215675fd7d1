"""Backups and restore: three nights, back up, lose the warehouse, restore, run again; the
marts come back identical and the ledger holds no duplicate. Damaged backups are refused."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from snapshot import mart_rows

from pipelines.cli import main
from pipelines.generator import generate

NIGHTS = (dt.date(2025, 6, 10), dt.date(2025, 6, 20), dt.date(2025, 6, 30))
def _ledger(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select batch_id, file_name, sha256, status from raw.batch_ledger "
                           "order by all").fetchall()
    finally:
        con.close()


def _run(landing: Path, tmp: Path, as_of: dt.date) -> None:
    args = ["run", "--landing", str(landing), "--warehouse", str(tmp / "w.duckdb"),
            "--out", str(tmp / "out"), "--published", str(tmp / "pub" / "cw.duckdb"),
            "--as-of", as_of.isoformat()]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 0


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory) -> dict:
    """Batches arrive over June 2025; the nightly run on the 10th, 20th and 30th; a backup."""
    source = tmp_path_factory.mktemp("delivered")
    generate(out=source, seed=5, scale="district", start=dt.date(2025, 6, 1), end=NIGHTS[-1],
             defect_rate=0.02, batches="daily")
    tmp = tmp_path_factory.mktemp("site")
    landing = tmp / "landing"
    landing.mkdir()
    for extra in source.glob("_*"):
        (shutil.copytree if extra.is_dir() else shutil.copy2)(extra, landing / extra.name)
    for night in NIGHTS:
        for batch in sorted(p for p in source.iterdir() if p.is_dir() and p.name[0] != "_"):
            if batch.name[:8] <= night.strftime("%Y%m%d") and not (landing / batch.name).exists():
                shutil.copytree(batch, landing / batch.name)
        _run(landing, tmp, night)
    before = mart_rows(tmp / "pub" / "cw.duckdb")
    ledger = _ledger(tmp / "w.duckdb")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["backup", str(tmp / "backup"), "--warehouse", str(tmp / "w.duckdb"),
                     "--landing", str(landing)]) == 0
    return {"tmp": tmp, "landing": landing, "before": before, "ledger": ledger,
            "printed": printed.getvalue()}


@pytest.mark.slow
def test_restore_then_run_gives_the_same_marts_and_no_ledger_duplicate(three_nights) -> None:
    tmp, landing = three_nights["tmp"], three_nights["landing"]
    assert "backup written" in three_nights["printed"]
    manifest = json.loads((tmp / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["raw.batch_ledger"] == len(three_nights["ledger"])
    assert any(f.startswith("landing/") for f in manifest["files"])

    (tmp / "w.duckdb").unlink()
    (tmp / "w.duckdb.wal").unlink(missing_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["restore", str(tmp / "backup"), "--warehouse", str(tmp / "w.duckdb")]) == 0
    assert _ledger(tmp / "w.duckdb") == three_nights["ledger"]

    _run(landing, tmp, NIGHTS[-1])
    after = mart_rows(tmp / "pub" / "cw.duckdb")
    assert set(after) == set(three_nights["before"])
    for table, rows in three_nights["before"].items():
        assert after[table] == rows, f"marts.{table} differs after restore"
    ledger = _ledger(tmp / "w.duckdb")
    assert ledger == three_nights["ledger"]  # nothing loaded twice
    assert len(ledger) == len(set(ledger))


@pytest.mark.slow
def test_history_keeps_one_snapshot_per_night(three_nights) -> None:
    history = sorted(p.name for p in (three_nights["tmp"] / "pub" / "history").glob("*.duckdb"))
    assert history == [f"cw-{night.isoformat()}.duckdb" for night in NIGHTS]


@pytest.mark.slow
def test_a_damaged_backup_is_refused(three_nights, tmp_path, capsys) -> None:
    damaged = tmp_path / "backup"
    shutil.copytree(three_nights["tmp"] / "backup", damaged)
    target = damaged / "warehouse" / "raw.batch_ledger.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    assert main(["restore", str(damaged), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and "raw.batch_ledger.parquet: checksum mismatch" in err
    assert "nothing was restored" in err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.slow
def test_restore_never_writes_over_a_warehouse_with_data(three_nights, capsys) -> None:
    tmp = three_nights["tmp"]
    assert main(["restore", str(tmp / "backup"), "--warehouse", str(tmp / "w.duckdb")]) == 2
    assert "already holds data" in capsys.readouterr().err


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path, capsys) -> None:
    (tmp_path / "w.duckdb").touch()
    (tmp_path / "bak").mkdir()
    (tmp_path / "bak" / "x").touch()
    assert main(["backup", str(tmp_path / "bak"), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "is not empty" in capsys.readouterr().err
