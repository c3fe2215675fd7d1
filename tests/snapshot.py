"""Whole runs for tests: a generated province run end to end, and what two runs are compared
on (every mart's rows, without the run-stamped columns)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import duckdb

#  Reproducibility covers every mart except these run-stamped columns (outputs.md §4).
RUN_STAMPS = {"loaded_at", "checked_at", "run_id", "resolved_at"}


def mart_rows(path: Path) -> dict[str, list[tuple]]:
    """Every mart of the warehouse at `path` (validation history aside), rows sorted."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' "
            "and table_name <> 'validation_results' order by 1").fetchall()]
        out = {}
        for t in tables:
            cols = [r[0] for r in con.execute(f"describe marts.{t}").fetchall()
                    if r[0] not in RUN_STAMPS]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[t] = con.execute(f"select {sel} from marts.{t} order by all").fetchall()
        return out
    finally:
        con.close()


def generated_site(tmp: Path, *, seed: int, start: dt.date, as_of: dt.date,
                   defect_rate: float = 0.02) -> Path:
    """A province generated from `start` to `as_of` in one batch and run as of `as_of` in
    `tmp` (landing/, w.duckdb, out/, pub/); returns `tmp`."""
    from pipelines.cli import main
    from pipelines.generator import generate

    generate(out=tmp / "landing", seed=seed, scale="province", start=start, end=as_of,
             defect_rate=defect_rate, batches="single")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "--landing", str(tmp / "landing"),
                     "--warehouse", str(tmp / "w.duckdb"), "--out", str(tmp / "out"),
                     "--published", str(tmp / "pub" / "cw.duckdb"),
                     "--as-of", as_of.isoformat()]) == 0
    return tmp
