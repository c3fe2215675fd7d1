"""`make bench`: speed and peak memory of the pipeline's phases on national-scale data.

Generates (once) national-scale landing data for 2020-2025 under data/bench/, then measures, each
phase in a fresh process so its peak RSS is its own:

- ingest: reading, validating and loading every batch into the raw layer;
- scan: the same DuckDB merely scanning the event tables (the baseline for the ratio);
- clocks: every clock, the findings and the watchlist (`marts.deadlines` and friends);
- indicators: every indicator value for all period kinds, on top of the clocks;
- dbt: what the nightly run does, one `dbt build` of every model and test (dbt start-up and
  parse included) in a child process, whose peak memory is reported apart;
- bare: the same landing files loaded into DuckDB with no checks at all (the floor of ingestion);
- nightly: the real `casewatch run` on the landing folder, as a separate process, with the peak
  RSS of its whole process tree (dbt and the isolated readers included) and the duration of
  every step from the run's event log (ingestion, dbt build, each Great Expectations check,
  publication, pages); then one more run at half the measured peak as `--memory-limit`;
- year: the same nightly run and bare load on one national year (2024-07-01..2025-06-30).

clocks and indicators run the models' compiled SQL (`pipelines.dbt_compiled`), so they time
the SQL alone; dbt minus (clocks + indicators) is what dbt itself adds.

Then the realism report (`pipelines.generator.realism`) on the same warehouse: every calibrated
measure of the benchmark data beside its published range, also written to data/bench/realism.md.
The data is regenerated when the calibration file changes (its hash is in the marker's name).

Each measured phase runs `--repeat` times (the nightly runs `--nightly-repeat` times); the report
gives medians and ranges, every goal of the benchmark beside its figure, and the clocks/scan
ratio of the same run. Figures go to data/bench/results.json and data/bench/results.md. Nothing
here is asserted: the machines are noisy, so the numbers are read, not tested.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pipelines import paths
from pipelines.bench_measure import bare_load, measure

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


def _phase(name: str, warehouse: Path, landing: Path, memory_limit: str) -> dict:
    import duckdb

    from pipelines import dbt_compiled
    from pipelines.contract import create_raw_tables
    from pipelines.memory import duckdb_limit, temp_directory
    from pipelines.reference.load import load_reference, merge_landing_reference

    config = {"memory_limit": duckdb_limit(memory_limit),  # as in a run given this limit
              "temp_directory": temp_directory(warehouse)}
    con = duckdb.connect(str(warehouse), config=config)
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
            env=dbt_project.dbt_env(warehouse, memory_limit, as_of=AS_OF.isoformat(),
                                    run_id="bench"),
        )
        con = duckdb.connect(str(warehouse), config=config)
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


def _run_phase(name: str, warehouse: Path, landing: Path, memory_limit: str) -> dict:
    m = measure([sys.executable, "-m", "pipelines.bench", "--phase", name,
                 "--warehouse", str(warehouse), "--landing", str(landing),
                 "--memory-limit", memory_limit])
    if m.returncode != 0:
        raise subprocess.CalledProcessError(m.returncode, name, m.stdout, m.stderr)
    result = json.loads(m.stdout.strip().splitlines()[-1])
    result["tree_peak_rss_mb"] = m.peak_rss_mb  # the process and its children (readers)
    return result


def _bare(landing: Path, memory_limit: str) -> dict:
    m = measure([sys.executable, "-m", "pipelines.bench", "--phase", "bare",
                 "--landing", str(landing), "--warehouse", str(BENCH_DIR / "bare.duckdb"),
                 "--memory-limit", memory_limit])
    if m.returncode != 0:
        raise subprocess.CalledProcessError(m.returncode, "bare", m.stdout, m.stderr)
    return {**json.loads(m.stdout.strip().splitlines()[-1]), "peak_rss_mb": m.peak_rss_mb}


GX_STEP = "_matches_contract"
INGEST_STEPS = ("raw_tables",)


def _step_seconds(home: Path, run_id: str) -> dict[str, float]:
    """Duration of every step of the run, from the run's own event log."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        return {
            s.step_key: round((s.end_time or 0) - (s.start_time or 0), 2)
            for s in instance.get_run_step_stats(run_id)
            if s.start_time and s.end_time
        }


def _every_row_validated(warehouse: Path, run_id: str) -> dict[str, bool]:
    """Per GX suite: did the check see as many rows as the mart holds (from the check log)?"""
    import duckdb

    from pipelines.quality import suites

    out: dict[str, bool] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for name in suites.suite_names():
            (rows,) = con.execute(f"select count(*) from marts.{name}").fetchall()[0]
            details = [d for (d,) in con.execute(
                "select detail from marts.validation_results where run_id = ? and "
                "asset = ? and tool = 'great_expectations'", [run_id, f"marts.{name}"]
            ).fetchall()]
            seen = [int(m.group(1)) for d in details
                    if (m := re.search(r"of (\d+) rows unexpected", d or ""))]
            out[name] = bool(seen) and max(seen) == rows
    finally:
        con.close()
    return out


BUNDLE_SAMPLE = 0  # units whose bundles are timed after a run without bundles (0: all)


def _bundles(warehouse: Path, out: Path, sample: int) -> dict:
    """Time the per-unit bundles on a finished warehouse: all of them as the nightly run
    writes them (`write_unit_bundles`, with its helper processes), or with `sample` > 0 that
    many units spread over the scope sizes (smallest to largest), written in this process
    as one batch after a first one written untimed (chart specs and templates are made
    once per process); the estimate for every unit is then their mean × units."""
    import duckdb

    from pipelines.operations import units

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        scopes = units.unit_scopes(con)
        if sample <= 0 or sample >= len(scopes):
            start = time.perf_counter()
            units.write_unit_bundles(con, out, run_id="bench", as_of=AS_OF)
            seconds = round(time.perf_counter() - start, 1)
            return {"units": len(scopes), "sampled": [], "seconds": [seconds],
                    "estimate_seconds": seconds}
        ordered = sorted(scopes, key=lambda u: (len(scopes[u]), u))
        picks = sorted({ordered[round(i * (len(ordered) - 1) / max(sample - 1, 1))]
                        for i in range(sample)})
        units.write_bundles(con, {ordered[0]: scopes[ordered[0]]}, out, run_id="bench",
                            as_of=AS_OF, workers=1)
        start = time.perf_counter()
        units.write_bundles(con, {u: scopes[u] for u in picks}, out, run_id="bench",
                            as_of=AS_OF, workers=1)
        mean = (time.perf_counter() - start) / len(picks)
    finally:
        con.close()
    return {"units": len(scopes), "sampled": picks, "seconds": [round(mean, 2)],
            "estimate_seconds": round(mean * len(scopes), 1)}


def _nightly(landing: Path, work: Path, memory_limit: str | None = None,
             bundles: bool = True, bundle_sample: int = BUNDLE_SAMPLE) -> dict:
    """One `casewatch run` on `landing` in a fresh warehouse, measured as a process tree."""
    shutil.rmtree(work, ignore_errors=True)
    home = work / "dagster_home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(home), "GX_ANALYTICS_ENABLED": "false"}
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--landing", str(landing),
           "--warehouse", str(work / "warehouse.duckdb"), "--out", str(work / "out"),
           "--published", str(work / "published" / "casewatch.duckdb"),
           "--as-of", AS_OF.isoformat()]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    if not bundles:
        cmd.append("--no-unit-bundles")
    m = measure(cmd, env=env)
    (work / "run.log").write_text(m.stdout + m.stderr, encoding="utf-8")
    found = re.search(r"run id:\s+(\S+)", m.stdout)
    run_id = found.group(1) if found else ""
    steps = _step_seconds(home, run_id) if run_id and run_id != "–" else {}
    pages = sorted((work / "out").rglob("*.html"), key=lambda p: p.stat().st_size)
    result = {
        "succeeded": m.returncode == 0,
        "returncode": m.returncode,
        "memory_limit": memory_limit or "default",
        "seconds": round(m.seconds, 2),
        "peak_rss_mb": m.peak_rss_mb,
        "ingest_seconds": round(sum(v for k, v in steps.items() if k in INGEST_STEPS), 2),
        "gx_seconds": round(sum(v for k, v in steps.items() if k.endswith(GX_STEP)), 2),
        "dbt_seconds": steps.get("sql_models"),
        "steps": steps,
        "largest_page": pages[-1].name if pages else None,
        "largest_page_mb": round(pages[-1].stat().st_size / 1e6, 2) if pages else None,
    }
    result["unit_bundles"] = bundles
    if m.returncode == 0 and run_id:
        result["every_row_validated"] = _every_row_validated(work / "warehouse.duckdb", run_id)
        if not bundles:
            b = measure([sys.executable, "-m", "pipelines.bench", "--phase", "bundles",
                         "--warehouse", str(work / "warehouse.duckdb"),
                         "--landing", str(work / "bundles"),
                         "--bundle-sample", str(bundle_sample)])
            if b.returncode == 0:
                result["bundles"] = {**json.loads(b.stdout.strip().splitlines()[-1]),
                                     "peak_rss_mb": b.peak_rss_mb}
                result["seconds_with_bundles"] = round(
                    result["seconds"] + result["bundles"]["estimate_seconds"], 1)
    return result


YEAR = ("2024-07-01", "2025-06-30")  # one national year, as the goal is stated
GOALS = {  # measure: (goal, how the figure compares)
    "nightly_seconds": ("≤ 240 s", lambda v: v <= 240),
    "nightly_peak_rss_mb": ("≤ 6,000 MB", lambda v: v <= 6000),
    "ingest_to_bare": ("≤ 2×", lambda v: v <= 2),
    "ingest_peak_rss_mb": ("≤ 3,000 MB", lambda v: v <= 3000),
    "gx_seconds": ("≤ 45 s", lambda v: v <= 45),
    "largest_page_mb": ("≤ 2 MB", lambda v: v <= 2),
    "year_to_bare": ("≤ 35×", lambda v: v <= 35),
    "year_peak_rss_mb": ("≤ 2,000 MB", lambda v: v <= 2000),
}


def _generate(landing: Path, scale: str, start: str, end: str) -> None:
    """Generate the landing data once per scale, period and calibration (see the docstring)."""
    from pipelines.generator.calibration import CALIBRATION_FILE

    calibration = hashlib.sha256(
        (paths.REFERENCE_DIR / CALIBRATION_FILE).read_bytes()).hexdigest()[:12]
    marker = landing / f".generated-{scale}-{start}-{end}-{calibration}"
    if marker.exists():
        return
    from pipelines.generator import generate

    shutil.rmtree(landing, ignore_errors=True)
    print(f"bench: generating {scale} data {start}..{end} ...", flush=True)
    t0 = time.perf_counter()
    print(generate(out=landing, seed=7, scale=scale, start=dt.date.fromisoformat(start),
                   end=dt.date.fromisoformat(end), defect_rate=0.0, batches="single"))
    print(f"bench: generated in {time.perf_counter() - t0:.1f} s", flush=True)
    marker.touch()


def _stats(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2),
            "max": round(max(values), 2), "n": len(values)}


def _fmt(stat: dict, unit: str = "") -> tuple[str, str]:
    if stat["median"] is None:
        return "not measured", ""
    median = f"{stat['median']:,}{unit}"
    spread = (f"{stat['min']:,} – {stat['max']:,}{unit} ({stat['n']} runs)"
              if stat["n"] > 1 else "1 run")
    return median, spread


def _bundle_note(r: dict) -> str:
    b = r.get("bundles")
    if r.get("unit_bundles", True):
        return f"; unit bundles {r.get('steps', {}).get('dashboards__unit_bundles')} s"
    if not b:
        return "; run without unit bundles, which were not timed"
    if not b["sampled"]:
        return (f"; run without unit bundles, whose {b['units']} bundles were written after it "
                f"in {b['estimate_seconds']:,} s (peak {b['peak_rss_mb']:,} MB): "
                f"{r['seconds_with_bundles']:,} s in all")
    return (f"; run without unit bundles, whose time for all {b['units']} units is estimated "
            f"at {b['estimate_seconds']:,} s from {len(b['sampled'])} units timed after it "
            f"({', '.join(b['sampled'])}: {b['seconds'][0]} s a unit; peak "
            f"{b['peak_rss_mb']:,} MB): {r['seconds_with_bundles']:,} s in all")


def _report(summary: dict) -> list[str]:
    m = summary["measures"]
    rows = [
        ("whole `casewatch run`, wall time", "nightly_seconds", " s"),
        ("whole `casewatch run`, peak RSS of the process tree", "nightly_peak_rss_mb", " MB"),
        ("ingestion, time / bare DuckDB load of the same files", "ingest_to_bare", "×"),
        ("ingestion, peak RSS (process tree)", "ingest_peak_rss_mb", " MB"),
        ("all Great Expectations validations together", "gx_seconds", " s"),
        ("largest HTML page", "largest_page_mb", " MB"),
        ("one national year: whole run / bare load", "year_to_bare", "×"),
        ("one national year: peak RSS of the process tree", "year_peak_rss_mb", " MB"),
    ]
    lines = ["| measure | goal | median | range | goal met |", "|---|---|---|---|---|"]
    for label, key, unit in rows:
        stat = m[key]
        median, spread = _fmt(stat, unit)
        goal, ok = GOALS[key]
        met = "" if stat["median"] is None else ("yes" if ok(stat["median"]) else "**no**")
        lines.append(f"| {label} | {goal} | {median} | {spread} | {met} |")
    every = summary.get("every_row_validated")
    lines.append(
        "| every mart validated by GX on every row | yes, no sampling | "
        + ("not measured" if every is None else
           f"{'yes' if all(every.values()) else 'no'} ({sum(every.values())} of {len(every)} "
           "marts: rows checked = rows in the mart)")
        + " | | " + ("" if every is None else "yes" if all(every.values()) else "**no**") + " |"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, default=BENCH_DIR / "bench.duckdb")
    parser.add_argument("--landing", type=Path, default=BENCH_DIR / "landing")
    parser.add_argument("--period", default="full", choices=["full", "year"],
                        help="full: national 2020-2025 (and the one-year part); year: only "
                        "one national year (2024-07-01..2025-06-30), its nightly and bare load")
    parser.add_argument("--scale", default="national", choices=["district", "province", "national"])
    parser.add_argument("--start", default="2020-01-01")
    parser.add_argument("--end", default="2025-12-31")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase")
    parser.add_argument("--nightly-repeat", type=int, default=None,
                        help="runs of the whole nightly (default: --repeat)")
    parser.add_argument("--memory-limit", default="6GB",
                        help="--memory-limit of the measured nightly runs")
    parser.add_argument("--unit-bundles", choices=["run", "sample"], default="run",
                        help="run: the nightly runs write every unit's bundle; sample: they "
                        "run with --no-unit-bundles and the bundles are written and timed "
                        "after, in a process of their own (all of them, or --bundle-sample "
                        "units and an estimate for all), the time added to the run's")
    parser.add_argument("--bundle-sample", type=int, default=BUNDLE_SAMPLE,
                        help="with --unit-bundles sample: units timed (0: every unit)")
    parser.add_argument("--tag", default="", help="write results-<tag>.md/.json instead")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["ingest", "phases", "nightly", "half", "year", "realism"],
                        help="leave a part out (repeatable); the report says what was")
    args = parser.parse_args(argv)

    if args.phase == "bundles":  # --landing: where the sampled bundles are written
        print(json.dumps(_bundles(args.warehouse, args.landing, args.bundle_sample)))
        return 0
    if args.phase == "bare":
        print(json.dumps({"phase": "bare", **bare_load(args.landing, args.warehouse,
                                                         args.memory_limit)}))
        return 0
    if args.phase:
        print(json.dumps(_phase(args.phase, args.warehouse, args.landing, args.memory_limit)))
        return 0

    if args.period == "year":  # the one-national-year figures alone, in their own report
        args.landing, args.scale, (args.start, args.end) = BENCH_DIR / "year", "national", YEAR
        args.skip = sorted({*args.skip, "phases", "year", "realism"})
        args.tag = args.tag or "year"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _generate(args.landing, args.scale, args.start, args.end)
    nightly_repeat = args.nightly_repeat or args.repeat
    bundles = args.unit_bundles == "run"
    results: dict[str, list[dict]] = {}

    print("bench: bare load ...", flush=True)
    results["bare"] = [_bare(args.landing, args.memory_limit) for _ in range(args.repeat)]
    if "ingest" not in args.skip or "phases" not in args.skip:
        args.warehouse.unlink(missing_ok=True)
        print("bench: ingest ...", flush=True)
        results["ingest"] = [_run_phase("ingest", args.warehouse, args.landing,
                                         args.memory_limit)]
    if "phases" not in args.skip:
        for name in ("scan", "clocks", "indicators", "dbt"):
            results[name] = []
            for i in range(args.repeat):
                print(f"bench: {name} {i + 1}/{args.repeat} ...", flush=True)
                results[name].append(_run_phase(name, args.warehouse, args.landing,
                                                args.memory_limit))
    if "nightly" not in args.skip:
        results["nightly"] = []
        for i in range(nightly_repeat):
            print(f"bench: nightly {i + 1}/{nightly_repeat} ...", flush=True)
            results["nightly"].append(
                _nightly(args.landing, BENCH_DIR / "nightly", args.memory_limit, bundles,
                         args.bundle_sample))
        need = statistics.median(r["peak_rss_mb"] for r in results["nightly"])
        if "half" not in args.skip:
            half = f"{int(need / 2)}MB"
            print(f"bench: nightly at half the measured need ({half}) ...", flush=True)
            results["nightly_half"] = [
                _nightly(args.landing, BENCH_DIR / "nightly", half, bundles, args.bundle_sample)]
    if "year" not in args.skip:
        year_landing = BENCH_DIR / "year"
        _generate(year_landing, "national", *YEAR)
        results["year_bare"] = [_bare(year_landing, args.memory_limit)
                                for _ in range(args.repeat)]
        results["year"] = []
        for i in range(nightly_repeat):
            print(f"bench: one national year {i + 1}/{nightly_repeat} ...", flush=True)
            results["year"].append(_nightly(year_landing, BENCH_DIR / "nightly-year",
                                            args.memory_limit, bundles, args.bundle_sample))

    if args.period == "year":  # the nightly runs are the year's: its goals, not the 6 years'
        results["year"], results["year_bare"] = results.pop("nightly", []), results["bare"]

    def values(name: str, key: str) -> list[float]:
        return [r.get(key) for r in results.get(name, []) if r.get("succeeded", True)]

    for r in results.get("nightly", []) + results.get("year", []):  # bundles timed apart
        r["total_seconds"] = r.get("seconds_with_bundles", r["seconds"])
        r["total_peak_rss_mb"] = max(r["peak_rss_mb"],
                                     r.get("bundles", {}).get("peak_rss_mb", 0))

    bare = statistics.median(values("bare", "seconds")) if results.get("bare") else None
    year_bare = (statistics.median(values("year_bare", "seconds"))
                 if results.get("year_bare") else None)
    ok_nightly = [r for r in results.get("nightly", results.get("year", [])) if r["succeeded"]]
    measures = {
        "nightly_seconds": _stats(values("nightly", "total_seconds")),
        "nightly_peak_rss_mb": _stats(values("nightly", "total_peak_rss_mb")),
        "ingest_to_bare": _stats([r["ingest_seconds"] / bare for r in ok_nightly]
                                 if bare else []),
        "ingest_peak_rss_mb": _stats(values("ingest", "tree_peak_rss_mb")),
        "gx_seconds": _stats(values("nightly", "gx_seconds")),
        "largest_page_mb": _stats(values("nightly", "largest_page_mb")
                                  + values("year", "largest_page_mb")),
        "year_to_bare": _stats([r["total_seconds"] / year_bare for r in results.get("year", [])
                                if r["succeeded"]] if year_bare else []),
        "year_peak_rss_mb": _stats(values("year", "total_peak_rss_mb")),
    }
    every = None
    if ok_nightly and "every_row_validated" in ok_nightly[0]:
        every = ok_nightly[0]["every_row_validated"]
    phase_names = [n for n in ("bare", "ingest", "scan", "clocks", "indicators", "dbt")
                   if n in results]
    summary = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "period": f"{args.start}..{args.end}",
        "repeat": args.repeat,
        "nightly_repeat": nightly_repeat,
        "memory_limit": args.memory_limit,
        "skipped": args.skip,
        "raw_rows": results["ingest"][0].get("raw_rows") if "ingest" in results else None,
        "landed_rows": results["bare"][0]["rows"],
        "measures": measures,
        "every_row_validated": every,
        "median_seconds": {n: statistics.median(values(n, "seconds")) for n in phase_names},
        "median_peak_rss_mb": {
            n: statistics.median(values(n, "tree_peak_rss_mb" if n != "bare" else "peak_rss_mb"))
            for n in phase_names},
        "runs": results,
    }
    if "scan" in results:
        summary["clocks_to_scan_ratio"] = round(
            summary["median_seconds"]["clocks"] / max(summary["median_seconds"]["scan"], 1e-9),
            1)
    stem = BENCH_DIR / f"results{'-' + args.tag if args.tag else ''}"
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2), encoding="utf-8")

    lines = [
        f"# casewatch benchmark ({summary['measured_at']})",
        "",
        f"Data: {args.scale} scale, {summary['period']}; {summary['landed_rows']:,} landed rows"
        + (f"; one national year {YEAR[0]}..{YEAR[1]}: "
           f"{results['year_bare'][0]['rows']:,} landed rows" if "year_bare" in results else "")
        + f". Nightly runs with `--memory-limit {args.memory_limit}`"
        + ("." if bundles else ", without the unit bundles, timed apart on a sample of units "
           "(the whole-run figures add the estimate for every unit).")
        + (f" Left out: {', '.join(args.skip)}." if args.skip else ""),
        "",
        *_report(summary),
        "",
    ]
    for name, label in (("nightly", f"{args.scale} {summary['period']}"),
                        ("year", "one national year")):
        for r in results.get(name, []):
            lines.append(
                f"- nightly ({label}): {'succeeded' if r['succeeded'] else 'FAILED'} in "
                f"{r['seconds']} s, peak {r['peak_rss_mb']:,} MB; ingestion "
                f"{r['ingest_seconds']} s, dbt build {r['dbt_seconds']} s, GX "
                f"{r['gx_seconds']} s; largest page {r['largest_page']} "
                f"({r['largest_page_mb']} MB)" + _bundle_note(r))
    for r in results.get("nightly_half", []):
        lines.append(
            f"- nightly at half the measured need (`--memory-limit {r['memory_limit']}`): "
            f"{'completed' if r['succeeded'] else 'FAILED'} in {r['seconds']} s, "
            f"peak {r['peak_rss_mb']:,} MB")
    lines += [
        "",
        "| phase | median seconds | median peak RSS (MB) | runs (s) |",
        "|---|---|---|---|",
        *[
            f"| {n} | {summary['median_seconds'][n]} | {summary['median_peak_rss_mb'][n]} | "
            + " / ".join(str(r["seconds"]) for r in results[n]) + " |"
            for n in phase_names
        ],
    ]
    if "clocks_to_scan_ratio" in summary:
        lines += ["", f"Clocks / scan time ratio (same run): {summary['clocks_to_scan_ratio']}"]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))

    if "realism" in args.skip or "ingest" not in results:
        return 0
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
