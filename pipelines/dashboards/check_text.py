"""What each check protects, in one sentence (Vietnamese, English), for `quality.html`.

A check of `marts.validation_results` is known by its tool, asset and technical name
(`gx:not_null:unit_code`, `grain_is_unique`, `matches_contract`). The page shows instead what it
protects and its result; the technical name and the raw detail go in a tooltip.

- Great Expectations: the expectation's own `description_vi` / `description` (expectations/).
- SQL: the grain test, and each singular check of sql/checks by its name (below).
- pandera: the landing contract of each raw table.
A check not known here still gets a sentence naming its table.
"""

from __future__ import annotations

import csv
import functools
from typing import Any

from markupsafe import Markup

from pipelines import paths
from pipelines.dashboards.i18n import Bi, tech, tech_names
from pipelines.numbers import format_int
from pipelines.quality import suites

SQL_CHECKS: dict[str, tuple[str, str]] = {
    "rows_balance": (
        "Không dòng nào bị mất: mỗi tệp đã nạp có số dòng nhận = số dòng hợp lệ + số dòng "
        "bị cách ly.",
        "No row is lost: every loaded file has rows landed = rows accepted + rows quarantined.",
    ),
    "raw_matches_ledger": (
        "Sổ nhận dữ liệu nói đúng: lớp dữ liệu thô giữ đúng số dòng hợp lệ và số dòng cách ly "
        "mà sổ ghi cho mỗi tệp.",
        "The ledger tells the truth: the raw layer holds exactly the accepted and quarantined "
        "rows it records for each file.",
    ),
    "rule_is_known": (
        "Mỗi phát hiện về thời hạn nêu một quy tắc có trong hợp đồng dữ liệu và một mức độ.",
        "Every deadline finding names a rule of the output contract and a severity.",
    ),
    "clock_exists": (
        "Phát hiện nào nêu một thời hạn thì thời hạn đó có trong bảng thời hạn.",
        "A finding that names a clock names one that is in the deadlines table.",
    ),
    "status_consistent_with_dates": (
        "Trạng thái của mỗi thời hạn (đúng hạn, quá hạn, đang trong hạn...) khớp với các ngày "
        "và số ngày trễ hoặc còn lại.",
        "Each clock's status agrees with its dates and its days late or remaining.",
    ),
    "due_not_before_nominal": (
        "Hạn cuối không bao giờ sớm hơn hạn theo luật: việc lùi sang ngày làm việc chỉ làm "
        "hạn muộn hơn.",
        "A deadline is never earlier than the nominal one: rolling to a working day only "
        "moves it later.",
    ),
    "rolled_never_due_on_day_off": (
        "Các thời hạn được lùi ngày không bao giờ rơi vào ngày nghỉ.",
        "Rolled deadlines never fall on a day off.",
    ),
    "started_before_as_of": (
        "Không thời hạn nào bắt đầu sau ngày tính, hay kết thúc trước khi bắt đầu.",
        "No clock starts after the as-of date or closes before it starts.",
    ),
    "two_windows_per_judgement": (
        "Mỗi bản án sơ thẩm có đủ hai thời hạn kháng nghị (cùng cấp và cấp trên).",
        "Every first-instance judgement has both protest windows (same level and superior).",
    ),
    "closes_on_never_rolled": (
        "Thời hạn kháng nghị tính từ ngày tuyên án và không bị lùi sang ngày làm việc.",
        "Protest windows run from pronouncement and are never rolled to a working day.",
    ),
    "status_is_consistent": (
        "Trạng thái của thời hạn kháng nghị khớp với việc kháng nghị và ngày tính.",
        "A protest window's status agrees with its protest and the as-of date.",
    ),
    "view_totals_agree": (
        "Hai cách xem đơn vị (theo đơn vị tại thời điểm và theo đơn vị hiện nay) đếm cùng một "
        "khối lượng công việc.",
        "Both views of the unit history (as it was, as it is) count the same work.",
    ),
    "overdue_within_open": (
        "Số việc quá hạn luôn nằm trong số việc đang giải quyết.",
        "Overdue work is always part of open work.",
    ),
    "stock_flow_balances": (
        "Số tồn đầu kỳ + thụ lý mới + chuyển đến − chuyển đi − giải quyết = số tồn cuối kỳ, "
        "cho mỗi giai đoạn, đơn vị và tháng.",
        "Opening stock + received + transferred in − out − resolved = closing stock, for every "
        "stage, unit and month.",
    ),
}


@functools.cache
def _expectations() -> dict[tuple[str, str], tuple[str, str]]:
    """(asset, check_name) -> (description_vi, description) of every expectation suite."""
    out = {}
    for name in suites.suite_names():
        spec = suites.load_spec(name)
        mart = spec.get("meta", {}).get("mart") or f"marts.{name}"
        for e in spec["expectations"]:
            meta = e.get("meta", {})
            if meta.get("name"):
                out[(mart, f"gx:{meta['name']}")] = (meta.get("description_vi") or "",
                                                     e.get("description") or "")
    return out


@functools.cache
def _code_labels(lst: str) -> dict[str, tuple[str, str]]:
    """{code: (label_vi, label_en)} of one list of data/reference/codes.csv (the one home of
    code labels; the pages read the same rows from reference.codes)."""
    with (paths.REFERENCE_DIR / "codes.csv").open(encoding="utf-8", newline="") as f:
        return {r["code"]: (r["label_vi"], r["label_en"])
                for r in csv.DictReader(f) if r["list"] == lst}


def _label(lst: str, code: str) -> Bi:
    vi, en = _code_labels(lst).get(code, (code, code))
    return Bi(vi, en)


def tool_label(tool: str) -> Bi:
    return _label("check_tool", tool)


def severity_label(severity: str) -> Bi:
    return _label("check_severity", severity)


def table_label(table: str) -> Bi:
    """A table by its label (`cases` → "Vụ án"); a table without one keeps its name."""
    return _label("landing_table", table)


def _table(asset: str) -> str:
    return asset.split(".", 1)[-1]


def protects(asset: str, check_name: str, tool: str) -> Bi:
    """One sentence: what the check protects (tables and columns by their technical names,
    marked by `tech`)."""
    table = tech(_table(asset))
    if tool == "great_expectations":
        vi, en = _expectations().get((asset, check_name), ("", ""))
        if vi:
            return Bi(Markup("Bảng {}: {}").format(table, tech_names(vi)),
                      Markup("Table {}: {}").format(table, tech_names(en or vi)))
    if check_name == "grain_is_unique":
        return Bi(Markup("Mỗi dòng của bảng {} là duy nhất theo khóa của bảng, nên không có gì "
                         "bị đếm hai lần.").format(table),
                  Markup("Each row of {} is unique on its key, so nothing is counted twice.")
                  .format(table))
    if check_name in SQL_CHECKS:
        vi, en = SQL_CHECKS[check_name]
        return Bi(Markup("Bảng {}: {}").format(table, vi),
                  Markup("Table {}: {}").format(table, en))
    if tool == "pandera":
        return Bi(Markup("Các dòng nhận được của bảng {} đúng hợp đồng dữ liệu (kiểu, mã, ngày); "
                         "dòng sai được cách ly để gửi trả đơn vị.").format(table),
                  Markup("Rows landed for {} follow the landing contract (types, codes, dates); "
                         "wrong rows are quarantined to be sent back.").format(table))
    return Bi(Markup("Bảng {}: quy tắc kiểm tra {} được tuân thủ.").format(table,
                                                                          tech(check_name)),
              Markup("Table {}: the rule {} holds.").format(table, tech(check_name)))


def result(row: dict[str, Any]) -> Bi:
    """Passed, or what failed, in words."""
    if row["passed"]:
        return Bi("✓ Đạt", "✓ Passed")
    n = row.get("failing_count") or 0
    if row.get("tool") == "pandera" and not n:
        return Bi("! Có tệp bị từ chối, không có dòng nào bị cách ly",
                  "! A file was refused; no row was quarantined")
    if row.get("tool") == "pandera":
        return Bi(f"! {format_int(n)} dòng bị cách ly, cần gửi trả đơn vị",
                  f"! {format_int(n)} row(s) quarantined, to be sent back")
    mark = ("✗ Không đạt (chặn công bố)", "✗ Failed (blocks publication)") \
        if row.get("severity") == "error" else ("! Cảnh báo", "! Warning")
    if n:
        return Bi(f"{mark[0]}: {format_int(n)} dòng", f"{mark[1]}: {format_int(n)} row(s)")
    return Bi(mark[0], mark[1])


def tooltip(row: dict[str, Any]) -> str:
    """The technical name and raw detail, for the title attribute."""
    detail = (row.get("detail") or "").strip()
    text = f"{row['tool']} · {row['asset']} · {row['check_name']}"
    return f"{text} — {detail[:300]}" if detail else text
