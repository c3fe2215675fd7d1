"""`make bench`: speed and peak memory of the pipeline's phases on national-scale data.

Generates (once) national-scale landing data for 2020-2025 under data/bench/, then measures, each
phase in a fresh process so its peak RSS is its own:

- ingest: reading, validating and loading every batch into the raw layer;
- scan: the same DuckDB merely scanning the event tables (the baseline for the ratio);
- clocks: every clock, the findings and the watchlist (`marts.deadlines` and friends);
- indicators: every indicator value for all period kinds, on top of the clocks;
- dbt: what the nightly run does, one `dbt build` of every model and test (dbt start-up and
  parse included) in a child process, whose peak memory is reported apart.

clocks and indicators run the models' compiled SQL (`pipelines.dbt_compiled`), so they time
the SQL alone; dbt minus (clocks + indicators) is what dbt itself adds.

Then the realism report (`pipelines.generator.realism`) on the same warehouse: every calibrated
measure of the benchmark data beside its published range, also written to data/bench/realism.md.
The data is regenerated when the calibration file changes (its hash is in the marker's name).

Each measured phase runs `--repeat` times; the report gives medians and the clocks/scan ratio of
the same run. Figures go to data/bench/results.json and data/bench/results.md. Nothing here is
asserted: the machines are noisy, so the numbers are read, not tested.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pipelines import paths

BENCH_DIR = paths.ROOT / "data" / "bench"
AS_OF = dt.date(2025, 12, 31)
CLOCK_MARTS = [
    "marts.deadlines",
    "marts.deadline_watchlist",
    "marts.deadline_findings",
    "marts.protest_windows",
]
EVENT_TABLES = [
    "case_events",
    "detention_orders",
    "detention_movements",
    "execution_events",
    "judgements",
    "crime_reports",
    "cases",
    "persons",
]


def _peak_mb() -> float:
    """Peak resident memory of this process (VmHWM: reset at exec, unlike ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(name: str, warehouse: Path, landing: Path) -> dict:
    import duckdb

    from pipelines import dbt_compiled
    from pipelines.contract import create_raw_tables
    from pipelines.reference.load import load_reference, merge_landing_reference

    con = duckdb.connect(str(warehouse))
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    project = dbt_compiled.load()
    dbt_compiled.set_run_vars(con, AS_OF, "bench")
    start = time.perf_counter()
    detail: dict = {}
    if name == "ingest":
        from pipelines.ingest import ingest_landing

        for schema in ("raw", "reference", "staging", "intermediate", "marts"):
            con.execute(f"create schema if not exists {schema}")
        load_reference(con, paths.REFERENCE_DIR)
        merge_landing_reference(con, landing)
        create_raw_tables(con)
        ingest_landing(con, landing, log=lambda *_: None)
        detail["raw_rows"] = {
            t: con.execute(f"select count(*) from raw.{t}").fetchall()[0][0] for t in EVENT_TABLES
        }
    elif name == "scan":
        for t in EVENT_TABLES:
            con.execute(f"select count(*), max(columns(*)) from raw.{t}").fetchall()
    elif name == "clocks":
        built = dbt_compiled.build(con, AS_OF, only=CLOCK_MARTS, run_id="bench", project=project)
        detail["clocks"] = con.execute("select count(*) from marts.deadlines").fetchall()[0][0]
        detail["models"] = len(built)
    elif name == "indicators":
        upstream = project.upstream(CLOCK_MARTS)
        order = [
            m
            for m in project.order(["marts.indicator_values", "marts.campaign_scorecard"])
            if m.table not in upstream
        ]
        for m in order:
            dbt_compiled.build_model(con, m)
        detail["indicator_values"] = con.execute(
            "select count(*) from marts.indicator_values"
        ).fetchall()[0][0]
        detail["models"] = len(order)
    elif name == "dbt":
        # the nightly run's path: one `dbt build` (parse, every model, every test) in its own
        # process, on the same warehouse
        from pipelines import dbt_project

        con.close()
        dbt_project.run_dbt(
            ["build", "--quiet"],
            env=dbt_project.dbt_env(warehouse, as_of=AS_OF.isoformat(), run_id="bench"),
        )
        con = duckdb.connect(str(warehouse))
        detail["clocks"] = con.execute("select count(*) from marts.deadlines").fetchall()[0][0]
        detail["dbt_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        )
    else:
        raise SystemExit(f"unknown phase {name}")
    seconds = time.perf_counter() - start
    con.close()
    return {
        "phase": name,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
        **detail,
    }


def _run_phase(name: str, warehouse: Path, landing: Path) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.bench",
            "--phase",
            name,
            "--warehouse",
            str(warehouse),
            "--landing",
            str(landing),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, default=BENCH_DIR / "bench.duckdb")
    parser.add_argument("--landing", type=Path, default=BENCH_DIR / "landing")
    parser.add_argument("--scale", default="national", choices=["district", "province", "national"])
    parser.add_argument("--start", default="2020-01-01")
    parser.add_argument("--end", default="2025-12-31")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    if args.phase:
        print(json.dumps(_phase(args.phase, args.warehouse, args.landing)))
        return 0

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    from pipelines.generator.calibration import CALIBRATION_FILE

    calibration = hashlib.sha256(
        (paths.REFERENCE_DIR / CALIBRATION_FILE).read_bytes()).hexdigest()[:12]
    marker = args.landing / f".generated-{args.scale}-{args.start}-{args.end}-{calibration}"
    if not marker.exists():
        from pipelines.generator import generate

        shutil.rmtree(args.landing, ignore_errors=True)
        print(f"bench: generating {args.scale} data {args.start}..{args.end} ...", flush=True)
        t0 = time.perf_counter()
        print(
            generate(
                out=args.landing,
                seed=7,
                scale=args.scale,
                start=dt.date.fromisoformat(args.start),
                end=dt.date.fromisoformat(args.end),
                defect_rate=0.0,
                batches="single",
            )
        )
        print(f"bench: generated in {time.perf_counter() - t0:.1f} s", flush=True)
        marker.touch()

    args.warehouse.unlink(missing_ok=True)
    results: dict[str, list[dict]] = {}
    print("bench: ingest ...", flush=True)
    results["ingest"] = [_run_phase("ingest", args.warehouse, args.landing)]
    for name in ("scan", "clocks", "indicators", "dbt"):
        results[name] = []
        for i in range(args.repeat):
            print(f"bench: {name} {i + 1}/{args.repeat} ...", flush=True)
            results[name].append(_run_phase(name, args.warehouse, args.landing))

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    summary = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "period": f"{args.start}..{args.end}",
        "repeat": args.repeat,
        "raw_rows": results["ingest"][0].get("raw_rows"),
        "clocks": results["clocks"][0].get("clocks"),
        "indicator_values": results["indicators"][0].get("indicator_values"),
        "median_seconds": {n: med(n, "seconds") for n in results},
        "median_peak_rss_mb": {n: med(n, "peak_rss_mb") for n in results},
        "clocks_to_scan_ratio": round(
            med("clocks", "seconds") / max(med("scan", "seconds"), 1e-9), 1
        ),
        "runs": results,
    }
    (BENCH_DIR / "results.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    lines = [
        f"# casewatch benchmark ({summary['measured_at']})",
        "",
        f"Data: {args.scale} scale, {summary['period']}; raw rows: {summary['raw_rows']}; "
        f"clocks: {summary['clocks']}; indicator values: {summary['indicator_values']}.",
        "",
        "| phase | median seconds | median peak RSS (MB) |",
        "|---|---|---|",
        *[
            f"| {n} | {summary['median_seconds'][n]} | {summary['median_peak_rss_mb'][n]} |"
            for n in results
        ],
        "",
        f"Clocks / scan time ratio (same run): {summary['clocks_to_scan_ratio']}",
    ]
    (BENCH_DIR / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))

    import duckdb

    from pipelines.generator.realism import realism_report

    print("bench: realism report ...", flush=True)
    con = duckdb.connect(str(args.warehouse), read_only=False)
    try:
        report = realism_report(args.landing, con=con).text()
    finally:
        con.close()
    (BENCH_DIR / "realism.md").write_text(report + "\n", encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
