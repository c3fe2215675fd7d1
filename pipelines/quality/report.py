"""The data stewards' report: one self-contained HTML page per run, plus per-unit CSV exports.

`<out>/steward-report.html` (Vietnamese by default, English one click away, both in the page;
no external CSS, script, font or image) shows the batches received, the quarantined rows by rule
and by unit, the data findings, this run's check results, the quarantine-rate trend per unit and
what to send back to each unit. `<out>/steward/<unit_code>-open-rejections.csv` lists each
unit's open rejections (UTF-8 with BOM, so Excel reads the Vietnamese correctly).

Inputs: `marts.batch_ledger`, `marts.quarantine`, `marts.quarantine_routes` (where each row
goes back), `marts.quarantine_rates` (trend), `marts.data_findings` with
`marts.data_finding_ages`, and `marts.validation_results`; `reference.units` for unit names.
A missing table shows as "not available", never as an error.
Personal data never reaches the page: record ids are pseudonymous and the raw value of
`full_name`, `national_id` and `birth_date` is shown as `***` whatever the input says.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from pipelines.contract import PII_COLUMNS
from pipelines.ingest.hints import code_labels
from pipelines.ingest.masking import mask_value
from pipelines.numbers import format_int, format_pct
from pipelines.resources import TIMEZONE, CasewatchSettings, Warehouse
from pipelines.safe_output import csv_cell, finalize

TEMPLATES = Path(__file__).parent / "templates"
REPORT_FILE = "steward-report.html"
STEWARD_DIR = "steward"
CSV_SUFFIX = "-open-rejections.csv"
NO_UNIT = "_no-unit"  # file stem for rejections whose unit cannot be read

MAX_BATCHES = 10  # newest batches shown file by file
MAX_OLDER_BATCHES = 100  # then one line per batch; the rest are counted
MAX_EXAMPLES = 3  # examples per quarantine rule
MAX_ROWS_PER_UNIT = 200  # open rejections per unit shown in the page (the CSV has them all)
MAX_FINDINGS_PER_RULE = 50
MAX_RESOLVED = 50
TREND_BATCHES = 20


RULE_LABELS = {
    # quarantine rules (landing.md §5)
    "missing_required": ("Thiếu giá trị bắt buộc", "Required value missing"),
    "unparseable": ("Giá trị không đọc được", "Value cannot be read"),
    "unknown_code": ("Mã không có trong danh mục", "Code not in the code list"),
    "date_order": ("Thứ tự ngày không hợp lệ", "Dates out of order"),
    "duplicate_conflict": (
        "Trùng khóa và thời điểm cập nhật nhưng nội dung khác nhau",
        "Same key and update time, different content",
    ),
    "implausible_date": ("Ngày không hợp lý", "Implausible date"),
    "future_updated_at": ("Thời điểm cập nhật ở tương lai", "Update time in the future"),
    "unknown_reference": ("Mã không có trong danh mục tham chiếu", "Not in the reference data"),
    # data findings (outputs.md §4)
    "reference_pending": ("Chưa có bản ghi liên quan", "Referenced record not yet received"),
    "movement_order": ("Thứ tự biến động không hợp lệ", "Movements out of order"),
    "fact_conflict": ("Dữ liệu mâu thuẫn giữa hai nguồn", "Two sources disagree"),
}

# How the unit a rejection is sent to was found (`marts.quarantine_routes.route_via`):
# (Vietnamese, English) for the page and the CSV.
VIA = {
    "row": ("mã đơn vị của dòng", "the row's unit_code"),
    "record": ("phiên bản trước của bản ghi", "an earlier version of the record"),
    "case": ("vụ án liên quan", "the related case"),
    "judgement": ("bản án liên quan", "the related judgement"),
    "report": ("nguồn tin liên quan", "the related crime report"),
    "person": ("bị can liên quan", "the related person"),
    "batch": ("lô chỉ có một đơn vị", "the batch names one unit only"),
    "source_system": ("hệ thống nguồn của lô", "the batch's source system"),
}
UNIT_FROM = {k: f"{vi} ({en})" for k, (vi, en) in VIA.items()}

FINDING_RULES = ("reference_pending", "movement_order", "fact_conflict")

# Refusal codes that refuse a whole batch (the reason sits on the file that broke it).
BATCH_CODES = ("manifest_mismatch", "manifest_invalid", "unsupported_contract_version")

CSV_HEADER = [
    "Lô dữ liệu (batch_id)",
    "Tệp (file_name)",
    "Dòng số (row_number)",
    "Bảng (table_name)",
    "Mã bản ghi (record_id)",
    "Đơn vị (unit_code)",
    "Đơn vị xác định theo (unit_from)",
    "Cột (column_name)",
    "Giá trị gốc (raw_value)",
    "Quy tắc (rule)",
    "Lý do và cách sửa (detail_vi)",
    "Reason and fix (detail_en)",
    "Ngày nhận lô (received_on)",
    "Phát hiện từ ngày (first_seen_on)",
    "Số ngày chưa khắc phục (days_open)",
]


# ------------------------------------------------------------------------------ reading


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (n,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()[0]
    return bool(n)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _records(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None
) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _local(ts: Any) -> dt.datetime | None:
    if ts is None:
        return None
    if isinstance(ts, dt.datetime):
        return ts.astimezone(TIMEZONE) if ts.tzinfo else ts
    return None


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (_local(value) or value).date()
    if isinstance(value, dt.date):
        return value
    return None


def _masked(column: str | None, value: Any) -> str:
    # Masked at ingestion already; checked again for rows quarantined by older versions.
    if column in PII_COLUMNS and value is not None:
        return "***"
    return mask_value(value, column)


# ------------------------------------------------------------------------------ model


@dataclass
class Report:
    """What the page shows; also what the asset reports as metadata."""

    run_id: str
    as_of: dt.date
    generated_at: dt.datetime
    units: dict[str, str]
    ledger: dict[str, Any]
    quarantine: dict[str, Any]
    findings: dict[str, Any]
    checks: dict[str, Any]
    trend: dict[str, Any]

    @property
    def open_rows(self) -> int:
        return self.quarantine.get("open_rows", 0)


def _unit_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not _exists(con, "reference", "units"):
        return {}
    return {r["unit_code"]: r["name_vi"] for r in _records(
        con, "select unit_code, name_vi from reference.units")}


def _ledger(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if not _exists(con, "marts", "batch_ledger"):
        return {"available": False}
    files = _records(con, "select * from marts.batch_ledger order by batch_id desc, file_name")
    batches: dict[str, dict[str, Any]] = {}
    for f in files:
        f["loaded_at_local"] = _local(f.get("loaded_at"))
        loaded = f.get("status") == "loaded"
        parts = [f.get(k) for k in ("rows_landed", "rows_accepted", "rows_quarantined")]
        f["balances"] = (not loaded) or (
            None not in parts and parts[0] == parts[1] + parts[2])  # type: ignore[operator]
        b = batches.setdefault(f["batch_id"], {
            "batch_id": f["batch_id"], "files": [], "landed": 0, "accepted": 0,
            "quarantined": 0, "refused_files": 0, "loaded_at": None,
            "manifest": set(), "source_system": None, "received_on": None,
        })
        b["files"].append(f)
        if loaded:
            b["landed"] += f.get("rows_landed") or 0
            b["accepted"] += f.get("rows_accepted") or 0
            b["quarantined"] += f.get("rows_quarantined") or 0
        elif f.get("status") == "ignored":  # never read: shown with its reason, not counted
            b["ignored_files"] = b.get("ignored_files", 0) + 1
        else:
            b["refused_files"] += 1
        when = f["loaded_at_local"]
        if when and (b["loaded_at"] is None or when > b["loaded_at"]):
            b["loaded_at"] = when
        if f.get("manifest_status"):
            b["manifest"].add(f["manifest_status"])
        b["source_system"] = b["source_system"] or f.get("source_system")
        b["received_on"] = b["received_on"] or f.get("received_on")
    for b in batches.values():
        b["manifest"] = ", ".join(sorted(b["manifest"]))
        n = len(b["files"]) - b.get("ignored_files", 0)
        b["status"] = ("ignored" if n == 0 else "refused" if b["refused_files"] == n
                       else "partial" if b["refused_files"] else "loaded")
        b["balances"] = all(f["balances"] for f in b["files"])
    ordered = list(batches.values())  # newest batch first
    loaded_files = [f for f in files if f.get("status") == "loaded"]
    refused = _refusals(files)
    return {
        "available": True,
        "batches": ordered[:MAX_BATCHES],
        "older": ordered[MAX_BATCHES:MAX_BATCHES + MAX_OLDER_BATCHES],
        "older_batches": max(0, len(ordered) - MAX_BATCHES - MAX_OLDER_BATCHES),
        "n_batches": len(ordered),
        "n_files": len(files),
        "refused": refused,
        "landed": sum(f.get("rows_landed") or 0 for f in loaded_files),
        "accepted": sum(f.get("rows_accepted") or 0 for f in loaded_files),
        "quarantined": sum(f.get("rows_quarantined") or 0 for f in loaded_files),
        "unbalanced": [f for f in files if not f["balances"]],
        "loaded_at": {b["batch_id"]: b["loaded_at"] for b in ordered},
        "received_on": {b["batch_id"]: b["received_on"] for b in ordered},
    }


def _refusals(files: list[dict]) -> list[dict]:
    """Refused files; a refused batch is one entry: the file that broke it with the reason,
    and the files not loaded because of it (`batch_refused`)."""
    single: list[dict] = []
    by_batch: dict[str, dict] = {}
    for f in files:
        if f.get("status") != "refused":
            continue
        code = f.get("refusal_code")
        if code not in BATCH_CODES and code != "batch_refused":
            single.append({**f, "whole_batch": False, "others": []})
            continue
        entry = by_batch.setdefault(f["batch_id"], {"batch_id": f["batch_id"], "file_name": None,
                                                    "whole_batch": True, "others": []})
        if code == "batch_refused" or entry["file_name"] is not None:
            entry["others"].append(f["file_name"])  # not loaded because of the batch
        else:
            entry.update({k: v for k, v in f.items() if k != "others"})
    for entry in by_batch.values():
        entry["others"].sort()
    return sorted([*by_batch.values(), *single],
                  key=lambda e: (e["batch_id"], not e["whole_batch"], e.get("file_name") or ""))


def _routes(con: duckdb.DuckDBPyConnection) -> dict[tuple, dict]:
    """Where each quarantined row goes back to (`marts.quarantine_routes`)."""
    if not _exists(con, "marts", "quarantine_routes"):
        return {}
    return {(r["batch_id"], r["file_name"], r["row_number"]): r
            for r in _records(con, "select * from marts.quarantine_routes")}


def _quarantine(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, loaded_at: dict[str, Any],
    received_on: dict[str, Any] | None = None,
) -> dict[str, Any]:
    received_on = received_on or {}
    if not _exists(con, "marts", "quarantine"):
        return {"available": False, "open_rows": 0}
    rows = _records(con, """
        select * from marts.quarantine
        order by batch_id, file_name, row_number, column_name, rule
    """)
    routes = _routes(con)
    for r in rows:
        r["raw_value"] = _masked(r.get("column_name"), r.get("raw_value"))
        route = routes.get((r["batch_id"], r["file_name"], r["row_number"]), {})
        r["route_unit"], r["route_via"] = route.get("route_unit"), route.get("route_via")
        r["unrouted_reason"] = (route.get("unrouted_reason_vi"), route.get("unrouted_reason_en"))
        r["received_on"] = received_on.get(r["batch_id"]) or _as_date(loaded_at.get(r["batch_id"]))
        r["first_seen_on"] = r.get("first_seen_on") or r["received_on"]
        r["detail_vi"] = r.get("detail_vi") or r.get("message_vi")
        r["detail_en"] = r.get("detail_en") or r.get("message_en")
        if r.get("resolved_at") is None:
            r["resolved_at"] = loaded_at.get(r.get("resolved_by_batch") or "")
        r["unit_key"] = r["route_unit"] or NO_UNIT
    open_ = [r for r in rows if r.get("status") == "open"]
    resolved = [r for r in rows if r.get("status") != "open"]

    def row_key(r: dict) -> tuple:
        return (r["batch_id"], r["file_name"], r["row_number"])

    by_rule: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = by_rule.setdefault(r["rule"], {
            "rule": r["rule"], "open": 0, "resolved": 0, "open_rows": set(), "examples": [],
            "label": RULE_LABELS.get(r["rule"], (r["rule"], r["rule"])),
        })
        if r.get("status") == "open":
            g["open"] += 1
            g["open_rows"].add(row_key(r))
            if len(g["examples"]) < MAX_EXAMPLES:
                g["examples"].append(r)
        else:
            g["resolved"] += 1
    for g in by_rule.values():
        g["open_rows"] = len(g["open_rows"])

    by_unit: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = by_unit.setdefault(r["unit_key"], {
            "unit_key": r["unit_key"], "unit_code": r["route_unit"], "open": 0,
            "resolved": 0, "open_rows": set(), "oldest_age": None, "rows": [],
            "rules": defaultdict(int), "reasons": set(),
        })
        if r.get("status") == "open":
            g["open"] += 1
            g["open_rows"].add(row_key(r))
            g["rows"].append(r)
            g["rules"][r["rule"]] += 1
            if r["route_unit"] is None and r["unrouted_reason"][0]:
                g["reasons"].add(r["unrouted_reason"])
            if r["days_open"] is not None:
                g["oldest_age"] = max(g["oldest_age"] or 0, r["days_open"])
        else:
            g["resolved"] += 1
    for g in by_unit.values():
        g["open_rows"] = len(g["open_rows"])
        g["rows"].sort(key=lambda r: (-(r["days_open"] or 0), r["batch_id"], r["file_name"],
                                      r["row_number"], r.get("column_name") or ""))
        g["shown_rows"] = g["rows"][:MAX_ROWS_PER_UNIT]
        g["rules"] = dict(sorted(g["rules"].items()))
        g["reasons"] = sorted(g["reasons"])
        g["csv"] = f"{STEWARD_DIR}/{_file_stem(g['unit_key'])}{CSV_SUFFIX}" if g["open"] else None

    resolved_sorted = sorted(
        resolved,
        key=lambda r: (str(r.get("resolved_by_batch") or ""), r["batch_id"], r["row_number"]),
        reverse=True,
    )
    routed = {row_key(r) for r in rows if r["route_unit"] is not None}
    all_rows = {row_key(r) for r in rows}
    return {
        "available": True,
        "rows": len(all_rows),
        "routed_rows": len(routed),
        "routed_share": len(routed) / len(all_rows) if all_rows else None,
        "open": len(open_),
        "resolved": len(resolved),
        "open_rows": len({row_key(r) for r in open_}),
        "resolved_rows": len({row_key(r) for r in resolved}),
        "by_rule": sorted(by_rule.values(), key=lambda g: (-g["open"], g["rule"])),
        "by_unit": sorted(by_unit.values(),
                          key=lambda g: (-g["open"], g["unit_key"] == NO_UNIT, g["unit_key"])),
        "recently_resolved": resolved_sorted[:MAX_RESOLVED],
        "open_list": open_,
    }


def _findings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if not _exists(con, "marts", "data_findings"):
        return {"available": False}
    rows = _records(con, "select * from marts.data_findings order by rule, finding_id")
    ages = {r["finding_id"]: r for r in _records(
        con, "select finding_id, first_seen_on, days_open from marts.data_finding_ages")
    } if _exists(con, "marts", "data_finding_ages") else {}
    groups: dict[str, dict[str, Any]] = {}

    def group(rule: str) -> dict[str, Any]:
        return groups.setdefault(rule, {
            "rule": rule, "label": RULE_LABELS.get(rule, (rule, rule)),
            "open": [], "closed": 0, "units": defaultdict(int),
        })

    for rule in FINDING_RULES:  # always shown, also when there are none
        group(rule)
    for r in rows:
        age = ages.get(r["finding_id"], {})
        r["first_seen_on"], r["days_open"] = age.get("first_seen_on"), age.get("days_open")
        r["detail_vi"] = r.get("detail_vi") or r.get("detail")
        r["detail_en"] = r.get("detail_en") or r.get("detail")
        g = group(r["rule"])
        if r.get("status") in (None, "open"):
            g["open"].append(r)
            g["units"][r.get("unit_code") or NO_UNIT] += 1
        else:
            g["closed"] += 1
    for g in groups.values():
        g["open"].sort(key=lambda r: (-(r["days_open"] or 0), r["finding_id"]))
        g["n_open"] = len(g["open"])
        g["shown"] = g["open"][:MAX_FINDINGS_PER_RULE]
        g["units"] = dict(sorted(g["units"].items(), key=lambda kv: (-kv[1], kv[0])))
    return {
        "available": True,
        "groups": sorted(groups.values(), key=lambda g: (
            FINDING_RULES.index(g["rule"]) if g["rule"] in FINDING_RULES else 9, g["rule"])),
        "open": sum(g["n_open"] for g in groups.values()),
    }


def _checks(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    if not _exists(con, "marts", "validation_results"):
        return {"available": False, "this_run": [], "earlier": [], "failed_errors": 0}
    this_run = _records(con, """
        select * from marts.validation_results where run_id = ?
        order by passed, case severity when 'error' then 0 else 1 end, asset, check_name
    """, [run_id])
    earlier = _records(con, """
        select * from marts.validation_results as v
        where run_id <> $run_id
            and not exists (select 1 from marts.validation_results as t
                            where t.run_id = $run_id and t.asset = v.asset
                                and t.check_name = v.check_name)
        qualify row_number() over (partition by asset, check_name order by checked_at desc) = 1
        order by passed, case severity when 'error' then 0 else 1 end, asset, check_name
    """, {"run_id": run_id})
    for r in this_run + earlier:
        r["checked_at_local"] = _local(r.get("checked_at"))
    tools: dict[str, dict[str, int]] = {}
    for r in this_run:
        t = tools.setdefault(r["tool"], {"evaluated": 0, "failed_error": 0, "failed_warn": 0})
        t["evaluated"] += 1
        if not r["passed"]:
            t["failed_error" if r["severity"] == "error" else "failed_warn"] += 1
    return {
        "available": True,
        "this_run": this_run,
        "earlier": earlier,
        "tools": dict(sorted(tools.items())),
        "failed_errors": sum(t["failed_error"] for t in tools.values()),
        "failed_warnings": sum(t["failed_warn"] for t in tools.values()),
    }


def _trend(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Quarantine rate per unit and batch over the tables whose rows carry a unit code:
    quarantined rows / (accepted + quarantined rows), for the last `TREND_BATCHES` batches."""
    if not _exists(con, "marts", "quarantine_rates"):
        return {"available": False}
    # marts.quarantine_rates for the last batches, every unit shown in each of them
    rows = _records(con, f"""
        with rates as (select * from marts.quarantine_rates where unit_code is not null),
        batches as (
            select distinct batch_id from rates order by batch_id desc limit {TREND_BATCHES}
        )
        select b.batch_id, u.unit_code,
            coalesce(r.accepted, 0) as accepted, coalesce(r.quarantined, 0) as quarantined
        from batches as b
        cross join (select distinct unit_code from rates) as u
        left join rates as r using (batch_id, unit_code)
        order by u.unit_code, b.batch_id
    """)
    batches = sorted({r["batch_id"] for r in rows})
    units: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        landed = r["accepted"] + r["quarantined"]
        r["rate"] = r["quarantined"] / landed if landed else None
        units[r["unit_code"]].append(r)
    series = []
    for unit, points in sorted(units.items()):
        landed = sum(p["accepted"] + p["quarantined"] for p in points)
        quarantined = sum(p["quarantined"] for p in points)
        if not landed:
            continue
        last = next((p for p in reversed(points) if p["rate"] is not None), None)
        series.append({
            "unit_code": unit,
            "points": points,
            "landed": landed,
            "quarantined": quarantined,
            "rate": quarantined / landed,
            "last_rate": last["rate"] if last else None,
            "last_batch": last["batch_id"] if last else None,
            "svg": sparkline(points),
        })
    return {"available": True, "batches": batches, "series": series}


def collect(con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date) -> Report:
    ledger = _ledger(con)
    loaded_at = ledger.get("loaded_at", {})
    received_on = ledger.get("received_on", {})
    return Report(
        run_id=run_id,
        as_of=as_of,
        generated_at=dt.datetime.now(TIMEZONE),
        units=_unit_names(con),
        ledger=ledger,
        quarantine=_quarantine(con, as_of, loaded_at, received_on),
        findings=_findings(con),
        checks=_checks(con, run_id),
        trend=_trend(con),
    )


# ------------------------------------------------------------------------------ rendering


def sparkline(points: list[dict], width: int = 160, height: int = 28) -> Markup:
    """An inline SVG line of the quarantine rate per batch (0 at the bottom, the unit's
    highest rate at the top); batches where the unit landed nothing are gaps."""
    rates = [p["rate"] for p in points]
    known = [r for r in rates if r is not None]
    if not known:
        return Markup("")
    top = max(max(known), 0.01)
    n = len(points)
    step = (width - 6) / max(n - 1, 1)

    def xy(i: int, r: float) -> tuple[float, float]:
        return 3 + i * step, height - 3 - (r / top) * (height - 6)

    segments, current = [], []
    for i, r in enumerate(rates):
        if r is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(xy(i, r))
    if current:
        segments.append(current)
    parts = [
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="quarantine rate per batch">',
        f'<line x1="0" y1="{height - 3}" x2="{width}" y2="{height - 3}" class="axis"/>',
    ]
    for seg in segments:
        if len(seg) > 1:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline points="{pts}"/>')
    for i, r in enumerate(rates):
        if r is not None:
            x, y = xy(i, r)
            label = escape(f"{points[i]['batch_id']}: {format_pct(r, 2)}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"><title>{label}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _file_stem(unit_key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", unit_key)


def _fmt_int(n: Any) -> str:
    return format_int(n)


def _fmt_date(d: Any) -> str:
    day = _as_date(d)
    return day.strftime("%d/%m/%Y") if day else "–"


def _fmt_time(t: Any) -> str:
    t = _local(t)
    return t.strftime("%H:%M %d/%m/%Y") if t else "–"


def _fmt_pct(x: Any, decimals: int = 2) -> str:
    return format_pct(x, decimals)


#  Technical names inside a message, shown as they are (`translate="no"`): a column quoted with
#  its header, a quoted or back-quoted name, a list of valid codes, a JSON object, a file name,
#  a snake_case name, a one-word code in brackets. The rest of the message is prose.
_TECH = re.compile(
    r"'[^']+'(?: \([^)]*\))?|`[^`]+`|\{[^}]*\}|\b(?:marts|raw|reference)\.[a-z_]+\b"
    r"|(?<=nearest first: )[\w-]+(?:, [\w-]+)*|(?<=gần nhất trước: )[\w-]+(?:, [\w-]+)*"
    r"|(?<=columns that differ: )[\w-]+(?:, [\w-]+)*|(?<=các cột khác nhau: )[\w-]+(?:, [\w-]+)*"
    r"|(?<![\w])(?:YYYY|DD|HH)[-/:YMDHS\[\]]*"
    r"|(?<![\w.-])_?[\w.-]+\.(?:csv|parquet|xlsx|json|duckdb)\b"
    r"|(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])|(?<=\()[a-z]+(?=\))"
)
_CODE_PREFIX = re.compile(r"^[a-z][a-z0-9_]*:\s*")


def _tech_text(text: Any) -> Markup:
    """A message with its technical names marked `<code translate="no">` (a leading `code: `,
    which the rule column already shows, is dropped)."""
    if isinstance(text, Markup):
        return text
    text = _CODE_PREFIX.sub("", str(text or ""))
    out, last = Markup(""), 0
    for m in _TECH.finditer(text):
        out += escape(text[last:m.start()]) + Markup('<code translate="no">{}</code>').format(
            m.group())
        last = m.end()
    return out + escape(text[last:])


def _code_label(lst: str, code: Any) -> tuple[str, str]:
    """(label_vi, label_en) of a code of data/reference/codes.csv; the code if it has none."""
    return code_labels().get((lst, str(code)), (str(code), str(code)))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(int=_fmt_int, date=_fmt_date, time=_fmt_time, pct=_fmt_pct,
                       tech=_tech_text)
    env.globals["code_label"] = _code_label
    env.finalize = finalize  # landed text: NUL removed, bidi controls visible, long cut
    return env


def render(report: Report) -> str:
    css = (TEMPLATES / "steward_report.css").read_text(encoding="utf-8")
    script = (TEMPLATES / "steward_report.js").read_text(encoding="utf-8")
    return _environment().get_template("steward_report.html.j2").render(
        r=report, css=Markup(css), script=Markup(script), rule_labels=RULE_LABELS,
        no_unit=NO_UNIT, max_rows_per_unit=MAX_ROWS_PER_UNIT,
        via=VIA,
    )


# ------------------------------------------------------------------------------ writing


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a failed write (disk full) leaves no temporary file


def write_csv_exports(report: Report, out_dir: Path) -> list[Path]:
    """One CSV of open rejections per unit with any; stale files of units now clean go."""
    folder = out_dir / STEWARD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"*{CSV_SUFFIX}"):
        old.unlink()
    written = []
    for unit in report.quarantine.get("by_unit", []):
        if not unit["open"]:
            continue
        path = out_dir / unit["csv"]

        def write(tmp: Path, rows: list[dict] = unit["rows"]) -> None:
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(CSV_HEADER)
                for r in rows:
                    w.writerow(csv_cell(v) for v in [
                        r["batch_id"], r["file_name"], r["row_number"], r["table_name"],
                        r.get("record_id") or "", r["route_unit"] or "",
                        UNIT_FROM.get(r["route_via"] or "", ""),
                        r.get("column_name") or "", r["raw_value"],
                        r["rule"], r.get("detail_vi") or "", r.get("detail_en") or "",
                        _fmt_date(r["received_on"]) if r["received_on"] else "",
                        _fmt_date(r["first_seen_on"]) if r.get("first_seen_on") else "",
                        "" if r.get("days_open") is None else r["days_open"],
                    ])

        _atomic_write(path, write)
        written.append(path)
    return written


def write_steward_report(
    con: duckdb.DuckDBPyConnection, out_dir: Path, *, run_id: str, as_of: dt.date
) -> tuple[Report, Path, list[Path]]:
    """Collect, render and write the report and the CSV exports; returns what was written."""
    report = collect(con, run_id, as_of)
    html = render(report)
    path = out_dir / REPORT_FILE
    _atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    exports = write_csv_exports(report, out_dir)
    return report, path, exports



def refresh_steward_report(settings: CasewatchSettings, run_id: str) -> Path:
    """Rewrite the report once a run has ended, so it holds every check of that run.

    The `reports/steward_report` asset runs early in the graph (it must not sit downstream of
    marts whose blocking checks may fail); checks that Dagster runs after it are only in the
    database. Every `nightly` run calls this after its last step, whatever its outcome
    (`pipelines.orchestration.finish_nightly_run`).
    """
    with Warehouse(path=settings.warehouse_path,
                   memory_limit=settings.memory_limit).connect() as con:
        _, path, _ = write_steward_report(
            con, settings.out, run_id=run_id, as_of=settings.as_of_date()
        )
    return path
