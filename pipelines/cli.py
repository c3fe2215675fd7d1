"""The `casewatch` command: generate sample batches, run the nightly graph, open the UI."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import paths

if TYPE_CHECKING:
    from pipelines.resources import CasewatchSettings


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.generator import generate

    if args.sample:
        from pipelines.generator import SAMPLE

        out = Path(args.out or paths.DEFAULT_LANDING)
        print(generate(out=out, **SAMPLE))
    elif not args.out:
        print("casewatch generate: --out is required (or --sample)", file=sys.stderr)
        return 2
    else:
        out = Path(args.out)
        print(generate(
            out=out,
            seed=args.seed,
            scale=args.scale,
            start=args.start,
            end=args.end,
            defect_rate=args.defect_rate,
            batches=args.batches,
            units=args.units,
        ))
    if args.report:
        from pipelines.generator.realism import realism_report

        report = realism_report(out)
        print(report.text())
        return 0 if not report.outside() else 3
    return 0


EXIT_LOCKED = 3  # another run holds the warehouse


def _limits(pairs: list[str]) -> dict[str, str]:
    """`--limit NAME=VALUE` options as a mapping (checked by `Limits.from_mapping`)."""
    from pipelines.ingest.limits import Limits

    values = dict(p.split("=", 1) for p in pairs if "=" in p)
    if len(values) != len(pairs):
        raise ValueError("--limit takes NAME=VALUE")
    Limits.from_mapping(values)  # unknown names and bad values fail here, before the run
    return values


def _remove_temporary_files(*folders: Path) -> None:
    """Temporary files a write cut short may have left (`.<name>.tmp`)."""
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink():
            for tmp in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()


def _cmd_run(args: argparse.Namespace) -> int:
    from pipelines.resources import CasewatchSettings, today_local
    from pipelines.run_lock import WarehouseLocked, warehouse_lock

    landing = Path(args.landing)
    if not landing.is_dir():
        print(f"casewatch: landing folder not found: {landing}", file=sys.stderr)
        return 2
    try:
        limits = _limits(args.limit or [])
    except ValueError as exc:
        print(f"casewatch: {exc}", file=sys.stderr)
        return 2
    if args.memory_limit:
        from pipelines.memory import parse_size

        try:
            parse_size(args.memory_limit)
        except ValueError as exc:
            print(f"casewatch: --memory-limit: {exc}", file=sys.stderr)
            return 2
    as_of = args.as_of or today_local()
    settings = CasewatchSettings(
        landing_dir=str(landing.resolve()),
        warehouse_path=str(Path(args.warehouse).resolve()),
        out_dir=str(Path(args.out).resolve()),
        published_path=str(Path(args.published).resolve()),
        as_of=as_of.isoformat(),
        ingest_limits=limits,
        memory_limit=args.memory_limit or "",
        unit_bundles=not args.no_unit_bundles,
    )
    try:
        with warehouse_lock(Path(settings.warehouse_path), log=lambda m: print(m, flush=True)):
            return _run_locked(settings, landing, as_of)
    except WarehouseLocked as exc:
        print(f"casewatch: {exc} ({settings.warehouse_path}); not started.", file=sys.stderr)
        return EXIT_LOCKED
    except OSError as exc:  # the lock file itself cannot be created
        print(f"casewatch: cannot lock the warehouse ({exc}); not started.", file=sys.stderr)
        return 1


def _run_locked(settings: CasewatchSettings, landing: Path, as_of: dt.date) -> int:
    from pipelines.memory import describe
    from pipelines.runner import RunOutcome, run_nightly

    print(f"casewatch: running the nightly graph on {landing} as of {as_of:%d/%m/%Y} "
          f"(memory limit {describe(settings.memory_limit)}) ...", flush=True)
    out = Path(settings.out_dir)
    try:
        outcome = run_nightly(settings)
    except Exception as exc:  # noqa: BLE001 - whatever happens, the summary is printed
        outcome = RunOutcome(success=False, run_id="–",
                             failed_steps=[f"run: {type(exc).__name__}: {exc}"])
    finally:
        published = Path(settings.published_path)
        _remove_temporary_files(out, out / "steward", published.parent / "parquet")
    print(f"  run id:      {outcome.run_id}")
    print(f"  warehouse:   {settings.warehouse_path}")
    print(f"  published:   {settings.published_path}")
    print(f"  reports:     {out / 'steward-report.html'}")
    print(f"  dashboards:  {out / 'index.html'}")
    if outcome.success:
        print("casewatch: run succeeded; every blocking check passed.")
        return 0
    print("casewatch: RUN FAILED.", file=sys.stderr)
    for check in outcome.failed_checks:
        print(f"  blocking check failed: {check}", file=sys.stderr)
    for step in outcome.failed_steps:
        print(f"  step failed: {step}", file=sys.stderr)
    print(f"  the last good snapshot stays at {settings.published_path}; "
          f"see {out / 'steward-report.html'} for details.", file=sys.stderr)
    return 1


def _cmd_ui(args: argparse.Namespace) -> int:
    from pipelines.operations.serve import ensure_instance

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.ROOT / ".dagster_home")))
    ensure_instance(home)  # deploy/dagster.yaml: one nightly run at a time, run monitoring
    for sig in (signal.SIGINT, signal.SIGTERM):  # background shells may start us with these ignored
        signal.signal(sig, signal.SIG_DFL)
    argv = ["dagster", "dev", "-w", str(paths.ROOT / "workspace.yaml"),
            "-h", args.host, "-p", str(args.port)]
    os.execvp(argv[0], argv)
    return 0  # not reached


def _cmd_serve(args: argparse.Namespace) -> int:
    from pipelines.operations.serve import serve

    return serve(args.host, args.port, args.read_only_port)


def _cmd_backup(args: argparse.Namespace) -> int:
    from pipelines.operations.backup import BackupError, backup

    try:
        summary = backup(args.dir, args.warehouse, args.landing)
    except BackupError as exc:
        print(f"casewatch backup: {exc}", file=sys.stderr)
        return 2
    rows = sum(summary.tables.values())
    print(f"casewatch: backup written to {summary.path}: {len(summary.tables)} table(s), "
          f"{rows} row(s), {summary.landing_files} landing file(s), checksums in manifest.json")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from pipelines.operations.backup import BackupError, restore
    from pipelines.operations.versions import WarehouseVersionError

    try:
        restored = restore(args.dir, args.warehouse)
    except (BackupError, WarehouseVersionError) as exc:
        print(f"casewatch restore: {exc}", file=sys.stderr)
        return 2
    print(f"casewatch: warehouse {args.warehouse} restored from {args.dir}: "
          f"{len(restored)} table(s), {sum(restored.values())} row(s). The next run rebuilds "
          "every mart; the landing copy is in the backup's landing/ folder.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casewatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic landing batches (contract version 1)")
    gen.add_argument("--out", help="landing folder to write")
    gen.add_argument("--sample", action="store_true",
                     help="write the bundled sample (fixed seed and size) to --out or data/landing")
    gen.add_argument("--seed", type=int, default=20200101)
    gen.add_argument("--scale", choices=["district", "province", "national"], default="province")
    gen.add_argument("--start", type=_date, default=dt.date(2020, 1, 1))
    gen.add_argument("--end", type=_date, default=None, help="last day (default: today)")
    gen.add_argument("--defect-rate", type=float, default=0.0)
    gen.add_argument("--batches", choices=["daily", "single"], default="single")
    gen.add_argument("--units", type=int, default=None,
                     help="national scale: simulate only this many of the 355 units")
    gen.add_argument("--report", action="store_true",
                     help="then run the pipeline on it and print the realism report "
                          "(calibrated measures beside their published ranges)")
    gen.set_defaults(func=_cmd_generate)

    run = sub.add_parser("run", help="run the whole asset graph in-process")
    run.add_argument("--landing", default=str(paths.DEFAULT_LANDING))
    run.add_argument("--warehouse", default=str(paths.DEFAULT_WAREHOUSE))
    run.add_argument("--out", default=str(paths.DEFAULT_OUT))
    run.add_argument("--published", default=str(paths.DEFAULT_PUBLISHED))
    run.add_argument("--as-of", type=_date, default=None,
                     help="status date YYYY-MM-DD (default: today in Asia/Ho_Chi_Minh)")
    run.add_argument("--limit", action="append", metavar="NAME=VALUE",
                     help="override an ingestion cap, e.g. max_rows=2000000 (repeatable; "
                     "names in docs/ingestion.md)")
    run.add_argument("--memory-limit", metavar="SIZE", default=None,
                     help="memory the run may use, e.g. 6GB (default: a quarter of the "
                     "machine's memory); DuckDB gets half and spills to disk beyond it")
    run.add_argument("--no-unit-bundles", action="store_true",
                     help="do not write the per-unit bundles (out/units/); the run says so")
    run.set_defaults(func=_cmd_run)

    ui = sub.add_parser("ui", help="the Dagster UI (dagster dev) on this project")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=_cmd_ui)

    serve = sub.add_parser("serve", help="the Dagster webserver and daemon (schedule, sensors)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address the webserver binds to (default: loopback only)")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--read-only-port", type=int, default=None,
                       help="also start a read-only webserver on this port")
    serve.set_defaults(func=_cmd_serve)

    bak = sub.add_parser("backup", help="export the raw and ledger layers and the landing folder")
    bak.add_argument("dir", help="new backup folder")
    bak.add_argument("--warehouse", default=str(paths.DEFAULT_WAREHOUSE))
    bak.add_argument("--landing", default=None, help="landing folder to copy (with checksums)")
    bak.set_defaults(func=_cmd_backup)

    res = sub.add_parser("restore", help="rebuild an empty warehouse from a backup")
    res.add_argument("dir", help="backup folder written by `casewatch backup`")
    res.add_argument("--warehouse", default=str(paths.DEFAULT_WAREHOUSE))
    res.set_defaults(func=_cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
