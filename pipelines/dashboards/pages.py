"""Render the static dashboard pages from the marts.

Pages (all in one folder, linked to each other and to `steward-report.html`):

- `index.html` — the "Đồng Khởi mới" campaign overview (`campaign`);
- `criminal.html`, `custody.html`, `execution.html` — one per supervision area (`areas`);
- `worklist.html` — the triaged morning worklist per unit and prosecutor (`worklist`), with
  the whole list beside it as `worklist.csv` and `worklist.xlsx`;
- `interagency.html` — the cases to coordinate with the investigating body and the court
  (`interagency`);
- `quality.html` — data quality per unit, so every number carries its caveat (`quality`).

Everything shown is aggregated in DuckDB first; row tables are capped, say so and link the CSV
beside the page that holds all their rows (`full_lists`).
Only pseudonymous ids appear. Each page states its as-of date, the run id and the indicator
definition versions, and inlines the vega bundle once. An empty mart gives a "no data" message;
a missing mart is an error (`MissingMartError`): a page without it would be silently wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import vl_convert
from markupsafe import Markup

from pipelines.dashboards import charts
from pipelines.dashboards.areas import AREAS, area_page
from pipelines.dashboards.campaign import index_page
from pipelines.dashboards.db import column_names, query, query_value
from pipelines.dashboards.full_lists import write_full_lists
from pipelines.dashboards.grid import grid_assets
from pipelines.dashboards.i18n import Bi, bi, fmt_date, fmt_int, fmt_pct
from pipelines.dashboards.interagency import interagency_page
from pipelines.dashboards.model import (
    DRILL_ROWS,
    NEVER_SHOWN,
    UNIT_ROWS,
    WORKLIST_ROWS,
    Context,
    MissingMartError,
    check_marts,
    ratio,
)
from pipelines.dashboards.quality import quality_page
from pipelines.dashboards.scorecards import illustrative_note
from pipelines.dashboards.worklist import worklist_page
from pipelines.safe_output import finalize, script_json

__all__ = ["DRILL_ROWS", "UNIT_ROWS", "WORKLIST_ROWS", "MissingMartError", "render_pages"]

TEMPLATES = Path(__file__).parent / "templates"

NAV = (
    ("index.html", Bi("Tổng quan phong trào", "Campaign overview")),
    ("criminal.html", Bi("Hình sự", "Criminal cases")),
    ("custody.html", Bi("Tạm giữ, tạm giam", "Custody & detention")),
    ("execution.html", Bi("Thi hành án", "Execution")),
    ("worklist.html", Bi("Việc cần làm", "Worklist")),
    ("interagency.html", Bi("Phối hợp liên ngành", "Inter-agency")),
    ("quality.html", Bi("Chất lượng dữ liệu", "Data quality")),
)

# --------------------------------------------------------------------------------------------
# Common header and footer facts


def _common(ctx: Context) -> dict[str, Any]:
    con = ctx.con
    versions = query(
        con,
        "select indicator_code, string_agg(distinct cast(definition_version as varchar), ', ' "
        "order by cast(definition_version as varchar)) as versions "
        "from marts.indicator_values group by 1 order by 1",
    )
    distinct = sorted({v for r in versions for v in str(r["versions"]).split(", ")})
    ledger = query(
        con,
        "select count(*) filter (where status = 'loaded') as files_loaded, "
        "count(*) filter (where status = 'refused') as files_refused, "
        "sum(rows_landed) filter (where status = 'loaded') as landed, "
        "sum(rows_quarantined) filter (where status = 'loaded') as quarantined "
        "from marts.batch_ledger",
    )[0]
    pending = query_value(
        con,
        "select count(*) from marts.data_findings where rule = 'reference_pending' "
        "and status = 'open'",
    )
    return {
        "as_of": fmt_date(ctx.as_of),
        "run_id": ctx.run_id,
        "definition_versions": versions,
        "definition_versions_summary": ", ".join(f"v{v}" for v in distinct) if distinct else None,
        "nav": NAV,
        "illustrative_note": illustrative_note(ctx),
        "caveat": {
            "rate": fmt_pct(ratio(ledger["quarantined"], ledger["landed"]), 2),
            "files_refused": fmt_int(ledger["files_refused"] or 0),
            "pending": fmt_int(pending or 0),
            "has_ledger": bool(ledger["files_loaded"] or ledger["files_refused"]),
        },
    }


# --------------------------------------------------------------------------------------------
# Rendering


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process: each template is compiled once (and again only when its
    file changes), not once per page of every unit's bundle."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = bi
    env.finalize = finalize  # landed text: NUL removed, bidi controls visible, long cut
    return env


def _script_safe(text: str) -> Markup:
    """Text placed inside a <script> element cannot close it early. (Only `</script` is
    escaped: a blanket `</` escape would break regular-expression literals in the bundle.)"""
    return Markup(re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE))


@functools.cache
def _vega_bundle() -> Markup:
    """vega, vega-lite and vega-embed in one script (from vl-convert: no network)."""
    return _script_safe(vl_convert.javascript_bundle())


WORKLIST_CSV = "worklist.csv"


def write_worklist_csv(con: duckdb.DuckDBPyConnection, out: Path) -> Path:
    """The whole worklist (every row of `marts.deadline_watchlist`, most urgent first per
    unit) as a CSV beside worklist.html, which shows only the capped top of it."""
    path = out / WORKLIST_CSV
    tmp = out / f".{WORKLIST_CSV}.tmp"
    names = column_names(con, "marts", "deadline_watchlist")
    cols = set(names)
    shown = ", ".join(f'"{c}"' for c in names if c not in NEVER_SHOWN)
    order = ("urgency_rank" if "urgency_rank" in cols else
             "(status = 'overdue') desc, days_late desc nulls last, days_remaining nulls last")
    try:
        con.execute(
            f"copy (select {shown} from marts.deadline_watchlist order by unit_code, {order}, "
            f"clock_id) to '{tmp}' (header, delimiter ',')"
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_page_workbooks(con: duckdb.DuckDBPyConnection, out: Path, ctx: Context) -> None:
    """`worklist.xlsx` and `interagency.xlsx` beside the pages: the whole lists, for the
    office (`pipelines.operations.office`)."""
    from pipelines.operations import office

    write = office.write_workbook
    subtitle = f"số liệu đến {ctx.as_of:%d/%m/%Y}"
    write(out / "worklist.xlsx", [office.worklist_sheet(con, ctx.labels, ctx.staff)],
          subtitle=subtitle)
    write(out / "interagency.xlsx", [office.interagency_sheet(con, ctx.labels, ctx.staff)],
          subtitle=subtitle)


def render_pages(
    con: duckdb.DuckDBPyConnection, out_dir: str | Path, *, run_id: str, as_of: dt.date
) -> dict[str, Path]:
    """Write every page into `out_dir`; returns {file name: path}. Each file is written to a
    temporary name first and renamed, so a reader never sees half a page."""
    check_marts(con)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(con, run_id=run_id, as_of=as_of)
    env = _environment()
    common = _common(ctx)
    bundle = _vega_bundle()
    pages: list[tuple[str, str, dict[str, Any]]] = [
        ("index.html", "index.html", index_page(ctx)),
        *[(a.file, "area.html", area_page(ctx, a)) for a in AREAS],
        ("worklist.html", "worklist.html", worklist_page(ctx)),
        ("interagency.html", "interagency.html", interagency_page(ctx)),
        ("quality.html", "quality.html", quality_page(ctx)),
    ]
    written = {}
    for name, template, page in pages:
        html = env.get_template(template).render(
            **common,
            **page,
            current=name,
            vega_bundle=bundle if page["charts"] else "",  # pages without charts: no vega
            grid_assets=grid_assets() if page.get("grids") else "",
            chart_json=script_json(json.loads(charts.page_json(page["charts"]))),
            locales=script_json(charts.LOCALES),
        )
        path = out / name
        tmp = out / f".{name}.tmp"
        try:
            tmp.write_text(html, encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)  # a failed write leaves no temporary file
        written[name] = path
    write_worklist_csv(con, out)  # the whole list behind worklist.html's capped tables
    write_full_lists(con, out, [page for _, _, page in pages])  # every capped table's rows
    write_page_workbooks(con, out, ctx)
    return written
