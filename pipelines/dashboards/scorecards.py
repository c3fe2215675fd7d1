"""Every unit's scorecard on `index.html`, the individual targets of its prosecutors and the gap
to the exemplary ones ("Học tập – bắt kịp – vượt qua điển hình").

Everything is aggregated in the marts (`campaign_scorecard`, `prosecutor_scorecard`,
`exemplary_gaps`); this module only picks the periods and lays the rows out:

- a unit selector (one per unit view) with one card per unit: both pillars, every indicator,
  its target, the last ended statistical year, the running one (in progress, no verdict), the
  whole campaign and the trend between the last two ended years. The selected unit's card is
  HTML; every card of both views is one compact dataset (`Deck`: each distinct piece of HTML
  once, each distinct row once, a unit's card as indices into them), packed on the page
  (`packed.py`), from which the page builds a unit's card when the selector picks it;
- a target not confirmed from its document marks its badge itself ("Đạt †"), with the reason
  in the badge's title and in a footnote under the card (so it prints);
- "vượt" appears in the legend only when a target defines an `exceed_margin`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from pipelines.dashboards.db import column_names, query, query_value
from pipelines.dashboards.full_lists import FullList, mart_columns
from pipelines.dashboards.grid import CappedRows
from pipelines.dashboards.i18n import NA, Bi, bi, fmt_date, fmt_num, fmt_pct
from pipelines.dashboards.model import HIERARCHIES, Context, Table, missing
from pipelines.dashboards.packed import packed_json, textarea
from pipelines.safe_output import finalize

#  Unit cards on one page: at most SCORECARD_UNITS per view, in a packed deck of at most
#  SCORECARD_DECK_BYTES for both views (`Deck`): every unit of a national year (some 400 a
#  view) takes about 100 KB. Every unit's card is in index-scorecards-<view>.csv beside the
#  page, and every unit's own bundle (units/<unit_code>/index.html) opens on its own card.
SCORECARD_UNITS = 1000
SCORECARD_DECK_BYTES = 250_000
PROSECUTOR_ROWS = 100
GAP_ROWS = 40
LEVEL_ORDER = {"national": 0, "province": 1, "region": 2, "district": 3}
VERDICTS = ("met", "exceeded", "missed")
PROSECUTOR_INDICATORS = {
    "on_time_rate": Bi("Tỷ lệ việc giải quyết đúng hạn", "Clocks closed on time"),
    "closed_clocks": Bi("Số việc đã giải quyết", "Clocks closed"),
    "wrongful_prosecution_count": Bi("Án oan", "Wrongful prosecutions"),
    "court_return_count": Bi("Án trả hồ sơ", "Court returns"),
}


@dataclass
class UnitCard:
    unit_code: str
    label: Bi
    table: Table
    footnotes: list[Bi] = field(default_factory=list)


@dataclass(frozen=True)
class Joined:
    """Pieces of one cell shown side by side (a value and its badge), each kept once in the
    deck."""

    parts: tuple[Any, ...]

    def __html__(self) -> str:
        return " ".join(cell_html(p) for p in self.parts)


def cell_html(cell: Any) -> str:
    """A cell as the page's templates print it (`{{ cell }}`: landed text cleaned, escaped)."""
    return str(escape(finalize(cell)))


class Deck:
    """The cards of both views as one compact dataset for the page's script, packed
    (`packed.py`) within `budget` bytes:

    - `parts`: each distinct piece of HTML once (labels, values, badges, row attributes);
    - `rows`: each distinct row once, as `[attributes, cell, ...]`, a cell being a part's index
      or, for a value with its badge (`Joined`), a list of indices shown joined by a space;
    - `views[view]`: the table's headers, its right-aligned columns, its class, the text of an
      empty card, and the units in the selector's order, each `[unit_code, label, row, ...]`.

    The deck holds the first `shown` cards of each view: all of them when they fit in the
    budget (rows repeat from unit to unit, so some 400 units a view take about 100 KB), else
    as many as fit. Parts and rows are numbered in the order the cards are taken (the first
    card of each view, then the second, ...), so the deck of the first n cards is a prefix of
    every list."""

    def __init__(self, views: dict[str, list[UnitCard]], budget: int) -> None:
        self.parts: dict[str, int] = {}
        self.known: dict[int, tuple[Any, int]] = {}
        self.rows: dict[tuple, int] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.units: dict[str, list[list[Any]]] = {}
        for view, cards in views.items():
            if cards:
                table = cards[0].table
                self.views[view] = {"headers": [self._part(h) for h in table.headers],
                                    "numeric": sorted(table.numeric), "css": table.css,
                                    "empty": self._part(table.empty)}
                self.units[view] = []
        marks = []  # (parts, rows) after the first n cards of each view
        for i in range(max((len(c) for c in views.values()), default=0)):
            for view, cards in views.items():
                if i < len(cards):
                    self.units[view].append(self._entry(cards[i]))
            marks.append((len(self.parts), len(self.rows)))
        self.shown, self.packed = self._fit(marks, budget)

    def _part(self, piece: Any) -> int:
        # the same cell object recurs from card to card (`Scorecards._memo`): written once;
        # the entry keeps the object, so its id is not reused
        known = self.known.get(id(piece))
        if known is None or known[0] is not piece:
            known = self.known[id(piece)] = (
                piece, self.parts.setdefault(cell_html(piece), len(self.parts)))
        return known[1]

    def _cell(self, cell: Any) -> int | list[int]:
        if isinstance(cell, Joined):
            return [self._part(p) for p in cell.parts]
        return self._part(cell)

    def _entry(self, card: UnitCard) -> list[Any]:
        entry: list[Any] = [card.unit_code, self._part(card.label)]
        attrs = card.table.row_attrs or [""] * len(card.table.rows)
        for attr, cells in zip(attrs, card.table.rows, strict=True):
            row = (self._part(Markup(attr)), *(self._cell(c) for c in cells))
            key = tuple(tuple(c) if isinstance(c, list) else c for c in row)
            entry.append(self.rows.setdefault(key, len(self.rows)))
        return entry

    def data(self, n: int, marks: list[tuple[int, int]]) -> dict[str, Any]:
        """The deck of the first `n` cards of each view."""
        parts, rows = marks[n - 1] if n else (len(self.parts), 0)
        return {"parts": list(self.parts)[:parts],
                "rows": [[list(c) if isinstance(c, tuple) else c for c in row]
                         for row in list(self.rows)[:rows]],
                "views": {view: {**meta, "units": self.units[view][:n]}
                          for view, meta in self.views.items()}}

    def _fit(self, marks: list[tuple[int, int]], budget: int) -> tuple[int, str]:
        """The most cards per view whose packed deck fits in `budget` (at least one)."""
        most = len(marks)
        text = packed_json(self.data(most, marks))
        if len(text) <= budget or most <= 1:
            return most, text
        low, high = 1, most - 1  # one card always fits; `most` does not
        while low < high:
            mid = (low + high + 1) // 2
            if len(packed_json(self.data(mid, marks))) <= budget:
                low = mid
            else:
                high = mid - 1
        return low, packed_json(self.data(low, marks))

    def __html__(self) -> str:
        return textarea("scorecard-deck", self.packed).__html__()


@dataclass
class CappedCards(CappedRows):
    """The cards of a view on the page (`rows`) of `total`: when some are left out, the note
    says how many units the page holds, and links the file with every unit's card."""

    rows: list[UnitCard]
    total: int | None = None
    full: FullList | None = None  # written whether capped or not: linked by the selector
    CAP_NOTE = ("Trang này có bảng điểm của {shown} trên tổng số {total} đơn vị (bản trang "
                "riêng của mỗi đơn vị mở đúng bảng điểm của đơn vị đó)",
                "This page holds the scorecards of {shown} of {total} units (each unit's own "
                "copy of the pages opens on its scorecard)")


def _opt(have: set[str], column: str, fallback: str, alias: str = "s") -> str:
    return f"{alias}.{column}" if column in have else f"{fallback} as {column}"


def _period_end(kind: str, start: dt.date | None, campaign_end: dt.date | None) -> dt.date | None:
    if start is None:
        return None
    if kind == "campaign":
        return campaign_end
    if kind == "statistical_year":
        return dt.date(start.year + 1, start.month, start.day) - dt.timedelta(days=1)
    return None


class Scorecards:
    """The scorecard sections of the campaign page."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        con = ctx.con
        self.have = set(column_names(con, "marts", "campaign_scorecard"))
        self.targets = query(con, "select * from reference.targets") if "targets" in {
            r["table_name"] for r in query(
                con, "select table_name from duckdb_tables() where database_name = "
                     "current_database() and schema_name = 'reference'")} else []
        self.directions = {
            r["indicator_code"]: r["direction"] for r in query(
                con, "select indicator_code, any_value(direction) as direction "
                     "from reference.indicators group by 1")
        }
        campaign = ctx.labels.campaign or {}
        self.memo: dict[tuple, Any] = {}
        self.campaign_start = _as_date(campaign.get("valid_from"))
        self.campaign_end = _as_date(campaign.get("valid_to"))

    # ------------------------------------------------------------------------------------
    # Labels shared by the cards

    def exceed_defined(self) -> bool:
        """A target row sets an exceed margin: only then can anything be "vượt"."""
        return any(not missing(t.get("exceed_margin")) and str(t.get("exceed_margin")).strip()
                   not in ("", "None") for t in self.targets)

    def legend(self) -> Bi:
        exceeded = self.exceed_defined()
        return Bi(
            ("Đạt / vượt / không đạt" if exceeded else "Đạt / không đạt")
            + " so với chỉ tiêu của kỳ đã kết thúc; kỳ đang diễn ra chưa đánh giá. "
            "† chỉ tiêu chưa xác nhận từ văn bản gốc (lý do khi rê chuột và ở chú thích). "
            "Trụ cột không có dữ liệu vụ án lấy điểm các đơn vị nhập (bình quân; số cuộc "
            "kiểm sát: cộng).",
            ("Met / exceeded / missed" if exceeded else "Met / missed")
            + " against the target of an ended period; a running period has no verdict yet. "
            "† target not confirmed from the source document (reason on hover and in the "
            "footnote). Pillars without case data take the scores the units entered "
            "(averaged; inspections: summed).",
        )

    def data_span(self) -> tuple[str, str] | None:
        """The months the case data actually covers within the campaign (first and last month
        with any figure), the end capped at as-of."""
        row = query(
            self.ctx.con,
            "select min(period_start) as s, max(least(period_end, ?)) as e "
            "from marts.indicator_values where period_kind = 'month' "
            "and (coalesce(denominator, 0) > 0 or coalesce(numerator, 0) > 0)",
            [self.ctx.as_of],
        )[0]
        if row["s"] is None:
            return None
        start = max(row["s"], self.campaign_start) if self.campaign_start else row["s"]
        end = min(row["e"], self.campaign_end) if self.campaign_end else row["e"]
        return start.strftime("%m/%Y"), fmt_date(end)

    def badge(self, status: str | None, *, confirmed: Any = None,
              target_note: Bi | None = None) -> Markup:
        """The status badge; an unconfirmed target with a verdict gets "†" and its reason."""
        css, label = self.ctx.labels.target_status(status)
        unconfirmed = confirmed is False and status in VERDICTS
        if not unconfirmed:
            return Markup(f'<span class="badge s-{escape(css)}">{label.__html__()}</span>')
        note = target_note or Bi("Chỉ tiêu chưa xác nhận từ văn bản gốc",
                                 "Target not confirmed from its source document")
        return Markup(
            f'<span class="badge s-{escape(css)} unconfirmed-badge">'
            f'<span class="vi" lang="vi" title="{escape(note.vi)}">{escape(label.vi)} †</span>'
            f'<span class="en" lang="en" title="{escape(note.en)}">{escape(label.en)} †</span>'
            "</span>")

    def target_note(self, code: str) -> Bi:
        found = [t for t in self.targets if t.get("indicator_code") == code]
        doc = str(found[0].get("source_document") or "").strip() if found else ""
        note = str(found[0].get("note") or "").strip() if found else ""
        vi = "Chỉ tiêu chưa xác nhận từ văn bản gốc" + (f" ({doc})" if doc else "")
        # the documents are named in Vietnamese; the English view names a resolution by its
        # number only
        resolutions = sorted(set(re.findall(r"Nghị quyết (\d+/\d{4}/[A-Z]+\d*)", doc)))
        en = "Target not confirmed from its source document" + (
            f" (Resolution {', '.join(resolutions)})" if resolutions else "")
        return Bi(vi + ".", en + "." + (f" {note}" if note else ""))

    # ------------------------------------------------------------------------------------
    # Unit cards

    def units(self, hierarchy: str) -> list[str]:
        levels = {c: (u.get("level") or "") for c, u in self.ctx.labels.units.items()}
        codes = [r["unit_code"] for r in query(
            self.ctx.con, "select distinct unit_code from marts.campaign_scorecard "
                          "where hierarchy = ?", [hierarchy])]
        labels = self.ctx.labels

        def key(code: str) -> tuple:
            parent = labels.parent(code)
            in_scope = parent in codes
            return (in_scope, LEVEL_ORDER.get(levels.get(code, ""), 9), code)

        return sorted(codes, key=key)

    def periods(self, hierarchy: str) -> dict[str, dt.date | None]:
        con, as_of = self.ctx.con, self.ctx.as_of
        years = [r[0] for r in con.execute(
            "select distinct period_start from marts.campaign_scorecard where hierarchy = ? "
            "and period_kind = 'statistical_year' order by 1", [hierarchy]).fetchall()]
        ended = [y for y in years if _period_end("statistical_year", y, None) < as_of]
        running = [y for y in years if y <= as_of <= _period_end("statistical_year", y, None)]
        campaign = query_value(con, "select max(period_start) from marts.campaign_scorecard "
                                    "where hierarchy = ? and period_kind = 'campaign'",
                               [hierarchy])
        return {
            "ended": ended[-1] if ended else None,
            "previous": ended[-2] if len(ended) > 1 else None,
            "running": running[-1] if running else None,
            "campaign": campaign,
        }

    def _rows(self, hierarchy: str, units: list[str], periods: dict) -> list[dict]:
        have = self.have
        cols = ", ".join([
            "s.unit_code", "s.period_kind", "s.period_start", "s.pillar", "s.indicator_code",
            "s.value", "s.target_value", "s.target_is_confirmed", "s.status", "s.source",
            _opt(have, "target_comparator", "cast(null as varchar)"),
            _opt(have, "is_complete", "cast(null as boolean)"),
            _opt(have, "manual_units", "cast(null as varchar)"),
        ])
        starts = [p for p in periods.values() if p is not None]
        return query(
            self.ctx.con,
            f"select {cols} from marts.campaign_scorecard s where s.hierarchy = ? "
            "and list_contains(?, s.unit_code) and list_contains(?, s.period_start) "
            "and s.period_kind in ('statistical_year', 'campaign')",
            [hierarchy, units, starts],
        )

    def _status(self, r: dict | None) -> str | None:
        """The scorecard's status; a running period without the mart's is_complete column
        (an older snapshot) is still read as in progress."""
        if r is None:
            return None
        status = r["status"]
        complete = r.get("is_complete")
        if complete is None:
            end = _period_end(r["period_kind"], r["period_start"], self.campaign_end)
            complete = end is not None and end < self.ctx.as_of
        if not complete and status in VERDICTS:
            return "in_progress"
        return status

    def _memo(self, key: tuple, make: Callable[[], Any]) -> Any:
        """One object for every equal cell of every card (built once, written once)."""
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = make()
        return found

    def _cell(self, code: str, r: dict | None, footnotes: dict[str, Bi]) -> Markup | Bi:
        if r is None:
            return NA
        status = self._status(r)
        confirmed = r.get("target_is_confirmed")
        note = None
        if confirmed is False and status in VERDICTS:
            note = self._memo(("note", code), lambda: self.target_note(code))
            footnotes.setdefault(code, note)
        value = r["value"]
        return self._memo(("cell", code, value, status, confirmed), lambda: Joined((
            self.ctx.value(code, value),
            self.badge(status, confirmed=confirmed, target_note=note))))

    def _trend(self, code: str, last: dict | None, before: dict | None) -> Bi:
        if not last or not before or missing(last["value"]) or missing(before["value"]):
            return NA
        delta = float(last["value"]) - float(before["value"])
        if abs(delta) < 1e-9:
            return Bi("→ không đổi", "→ unchanged")
        better = (delta > 0) == (self.directions.get(code) != "lower_is_better")
        amount = (fmt_pct(abs(delta)) if self.ctx.is_rate(code)
                  else fmt_num(abs(delta), 0 if float(delta).is_integer() else 1))
        arrow = "↑" if delta > 0 else "↓"
        word = Bi(" tốt hơn", " better") if better else Bi(" kém hơn", " worse")
        return Bi(arrow + " ", arrow + " ") + amount + word

    def cards(self, hierarchy: str) -> tuple[list[UnitCard], int, dict]:
        """Every unit's card of the view (up to SCORECARD_UNITS), the number of units, the
        periods shown."""
        ctx, labels = self.ctx, self.ctx.labels
        all_units = self.units(hierarchy)
        units = all_units[:SCORECARD_UNITS]
        periods = self.periods(hierarchy)
        by_key: dict[tuple, dict] = {}
        for r in self._rows(hierarchy, units, periods):
            by_key[(r["unit_code"], r["indicator_code"], r["period_kind"],
                    r["period_start"])] = r
        span = self.data_span()
        campaign_head = bi("Cả giai đoạn", "Whole campaign")
        if span:
            campaign_head = Bi(f"Cả giai đoạn (số liệu từ {span[0]} đến {span[1]})",
                               f"Whole campaign (data from {span[0]} to {span[1]})")
        headers = [
            bi("Trụ cột, chỉ tiêu", "Pillar, indicator"), bi("Chỉ tiêu đặt ra", "Target"),
            self._year_head(periods["ended"], False), self._year_head(periods["running"], True),
            campaign_head, bi("Xu hướng so với năm trước", "Trend on the year before"),
            bi("Nguồn", "Source"),
        ]
        indicators = query(ctx.con, "select distinct pillar, indicator_code "
                                    "from marts.campaign_scorecard where hierarchy = ?",
                           [hierarchy])
        indicators.sort(key=lambda r: (labels.pillar_sort(r["pillar"]), r["indicator_code"]))
        out = []
        for unit in units:
            table = Table(headers=headers, rows=[], numeric={1, 2, 3, 4}, css="scorecard-table")
            table.row_attrs = []
            footnotes: dict[str, Bi] = {}
            pillar = None
            for ind in indicators:
                code = ind["indicator_code"]

                def row(kind: str, key: str, code: str = code, unit: str = unit) -> dict | None:
                    start = periods[key]
                    return by_key.get((unit, code, kind, start)) if start else None

                ended, running = row("statistical_year", "ended"), row(
                    "statistical_year", "running")
                campaign, previous = row("campaign", "campaign"), row(
                    "statistical_year", "previous")
                any_row = ended or running or campaign
                if any_row is None:
                    continue
                target = next((r for r in (running, ended, campaign)
                               if r and not missing(r["target_value"])), any_row)
                source = (Bi("Nhập thủ công", "Manual input") if any_row["source"] == "manual"
                          else Bi("Dữ liệu vụ án", "Case data"))
                if ind["pillar"] != pillar:  # the pillar's name once, above its indicators
                    pillar = ind["pillar"]
                    table.rows.append([Markup('<span class="pillar-name">')
                                       + Markup(labels.pillar(pillar).__html__())
                                       + Markup("</span>"), "", "", "", "", "", ""])
                    table.row_attrs.append(' class="pillar-row"')
                goal = (target["target_value"], target.get("target_comparator"),
                        target.get("target_is_confirmed"))
                trend = (ended and ended["value"], previous and previous["value"])
                table.rows.append([
                    labels.indicator(code),
                    self._memo(("target", code, *goal), lambda code=code, goal=goal:
                               ctx.target(code, *goal)),
                    self._cell(code, ended, footnotes),
                    self._cell(code, running, footnotes),
                    self._cell(code, campaign, footnotes),
                    self._memo(("trend", code, *trend), lambda code=code, e=ended, p=previous:
                               self._trend(code, e, p)),
                    source,
                ])
                table.row_attrs.append(f' data-indicator="{escape(code)}"')
            out.append(UnitCard(
                unit_code=unit, label=labels.unit(unit), table=table,
                footnotes=[Bi(f"† {labels.indicator(c).vi}: {n.vi}",
                              f"† {labels.indicator(c).en}: {n.en}")
                           for c, n in sorted(footnotes.items())],
            ))
        return out, len(all_units), periods

    def full_list(self, hierarchy: str, periods: dict[str, dt.date | None]) -> FullList:
        """Every unit's card of the view as a CSV, one row per unit and indicator: for the
        ended statistical year, the running one, the whole campaign and the year before the
        ended one (the trend), the value, the target and the status; then the source."""
        kinds = {"ended": "statistical_year", "running": "statistical_year",
                 "campaign": "campaign", "previous": "statistical_year"}
        wanted = ("value", "target_value", "target_comparator", "target_is_confirmed",
                  "status", "is_complete")
        cols, params = [], []
        for key, kind in kinds.items():
            for col in (c for c in wanted if c in self.have):
                cols.append(f"any_value({col}) filter (where period_kind = '{kind}' "
                            f"and period_start = ?) as {key}_{col}")
                params.append(periods[key])
        sql = (f"select unit_code, pillar, indicator_code, {', '.join(cols)}, "
               "any_value(source) as source from marts.campaign_scorecard "
               "where hierarchy = ? and period_kind in ('statistical_year', 'campaign') "
               "group by all order by unit_code, pillar, indicator_code")
        return FullList(f"index-scorecards-{hierarchy}.csv", sql, (*params, hierarchy),
                        always=True)

    def _year_head(self, start: dt.date | None, running: bool) -> Bi:
        if start is None:
            return (Bi("Năm thống kê đang diễn ra", "Statistical year in progress") if running
                    else Bi("Năm thống kê đã kết thúc", "Last ended statistical year"))
        end = start.year + 1
        head = Bi(f"Năm thống kê {end} ({fmt_date(start)}–30/11/{end})",
                  f"Statistical year {end} ({fmt_date(start)} – 30/11/{end})")
        if running:
            head = head + Bi(", đang diễn ra", ", in progress")
        return head

    # ------------------------------------------------------------------------------------
    # Individual targets and the gap to the best

    def _latest_year(self, table: str, where: str = "true") -> dt.date | None:
        return query_value(
            self.ctx.con,
            f"select coalesce(max(period_start) filter (where period_end < ?), "
            f"max(period_start)) from marts.{table} where {where}", [self.ctx.as_of])

    def prosecutors(self) -> tuple[Table, Bi | None]:
        con, ctx = self.ctx.con, self.ctx
        year = self._latest_year("prosecutor_scorecard")
        codes = list(PROSECUTOR_INDICATORS)
        headers = [bi("Đơn vị", "Unit"), bi("Kiểm sát viên", "Prosecutor")] + [
            PROSECUTOR_INDICATORS[c] for c in codes]
        table = Table(headers=headers, rows=[], numeric=set(range(2, 2 + len(codes))),
                      empty=Bi("Chưa có dữ liệu chỉ tiêu cá nhân.",
                               "No individual figures yet."))
        if year is None:
            return table, None
        rows = query(con, "select * from marts.prosecutor_scorecard where period_start = ? "
                          "order by unit_code, prosecutor_id", [year])
        table.full = FullList(
            "index-prosecutors.csv",
            f"select {mart_columns(con, 'prosecutor_scorecard')} from marts.prosecutor_scorecard "
            "where period_start = ? order by unit_code, prosecutor_id, indicator_code", (year,))
        people: dict[tuple[str, str], dict[str, dict]] = {}
        for r in rows:
            people.setdefault((r["unit_code"], r["prosecutor_id"]), {})[r["indicator_code"]] = r
        table.total = len(people)
        for (unit, prosecutor), by_code in list(people.items())[:PROSECUTOR_ROWS]:
            cells: list[Any] = [ctx.unit_cell(unit), prosecutor]
            for c in codes:
                r = by_code.get(c)
                if r is None:
                    cells.append(NA)
                elif r["is_suppressed"]:
                    cells.append(Bi("ít việc, không hiển thị", "small caseload, not shown"))
                else:
                    value = fmt_pct(r["value"]) if c == "on_time_rate" else fmt_num(r["value"])
                    cell = Markup(value.__html__())
                    if not missing(r["target_value"]):
                        target = (fmt_pct(r["target_value"]) if c == "on_time_rate"
                                  else fmt_num(r["target_value"]))
                        sign = {">=": "≥", "<=": "≤", "=": "="}.get(
                            str(r["target_comparator"] or ""), "")
                        cell += Markup(' <span class="target">(') + Markup(
                            (Bi(f"chỉ tiêu {sign} ", f"target {sign} ") + target).__html__()
                        ) + Markup(")</span> ") + self.badge(r["status"])
                    cells.append(cell)
            table.rows.append(cells)
        end = year.year + 1
        complete = query_value(con, "select bool_and(is_complete) from marts.prosecutor_scorecard "
                                    "where period_start = ?", [year])
        label = Bi(f"Năm thống kê {end}", f"Statistical year {end}")
        if not complete:
            label = label + Bi(" (đang diễn ra)", " (in progress)")
        return table, label

    def gaps(self, subject_type: str, hierarchy: str = "as_was") -> tuple[Table, Bi | None]:
        con, ctx = self.ctx.con, self.ctx
        where = f"subject_type = '{subject_type}' and period_kind = 'statistical_year'"
        year = self._latest_year("exemplary_gaps", where)
        headers = [bi("Đơn vị", "Unit")]
        if subject_type == "prosecutor":
            headers.append(bi("Kiểm sát viên", "Prosecutor"))
        headers += [bi("Chỉ tiêu", "Indicator"), bi("Giá trị", "Value"),
                    bi("Điển hình", "Exemplar"), bi("Giá trị điển hình", "Exemplar's value"),
                    bi("Khoảng cách", "Gap to the best")]
        first = len(headers) - 4
        table = Table(headers=headers, rows=[], numeric={first, first + 2, first + 3},
                      empty=Bi("Chưa có dữ liệu để so sánh.", "Nothing to compare yet."))
        if year is None:
            return table, None
        rows = query(
            con, f"select * from marts.exemplary_gaps where {where} and hierarchy = ? "
                 "and period_start = ? order by unit_code, subject_id, indicator_code",
            [hierarchy, year])
        name = "unit-gaps-" + hierarchy if subject_type == "unit" else "prosecutor-gaps"
        table.full = FullList(
            f"index-{name}.csv",
            f"select {mart_columns(con, 'exemplary_gaps')} from marts.exemplary_gaps "
            f"where {where} and hierarchy = ? and period_start = ? "
            "order by unit_code, subject_id, indicator_code", (hierarchy, year))
        table.total = len(rows)
        for r in rows[:GAP_ROWS]:
            code = r["indicator_code"]
            person = subject_type == "prosecutor"

            def show(v: Any, code: str = code, person: bool = person) -> Bi:
                if missing(v):
                    return NA
                if person:
                    return fmt_pct(v) if code == "on_time_rate" else fmt_num(v)
                return ctx.value(code, v)

            cells: list[Any] = [ctx.unit_cell(r["unit_code"])]
            if person:
                cells.append(r["subject_id"])
            cells.append(PROSECUTOR_INDICATORS.get(code, ctx.labels.indicator(code))
                         if person else ctx.labels.indicator(code))
            if r["is_suppressed"]:
                cells += [Bi("ít việc, không so sánh", "too few to compare"), NA, NA, NA]
            else:
                best = r["best_subject_id"]
                if r["is_best"]:
                    exemplar: Any = Bi("chính đơn vị / người này", "this one")
                elif not best:
                    exemplar = NA
                elif person:
                    exemplar = best
                elif best in ctx.labels.units:
                    exemplar = ctx.unit_cell(best)
                else:  # a unit's own copy names no unit outside its scope, only the value
                    exemplar = Bi("đơn vị dẫn đầu cùng cấp", "the leading unit of the level")
                cells += [
                    show(r["value"]),
                    exemplar,
                    show(r["best_value"]),
                    Bi("điển hình", "the exemplar") if r["is_best"] else show(r["gap_to_best"]),
                ]
            table.rows.append(cells)
        end = year.year + 1
        complete = query_value(con, f"select bool_and(is_complete) from marts.exemplary_gaps "
                                    f"where {where} and period_start = ?", [year])
        label = Bi(f"Năm thống kê {end}", f"Statistical year {end}")
        if not complete:
            label = label + Bi(" (đang diễn ra)", " (in progress)")
        return table, label


def illustrative_note(ctx: Context) -> Bi | None:
    """The one caveat of a page on illustrative unit mappings (which units), or None."""
    codes = sorted(c for c in ctx.labels.units if ctx.labels.is_illustrative(c))
    if not codes:
        return None
    names = ", ".join(codes)
    return Bi(f"* Ánh xạ minh họa, chưa xác nhận: việc chuyển số liệu của các đơn vị cũ sang "
              f"đơn vị kế thừa ({names}) là minh họa.",
              f"* Illustrative mapping, unconfirmed: the hand-over of the former units' figures "
              f"to their successors ({names}) is illustrative.")


def scorecard_page(ctx: Context) -> dict[str, Any]:
    """The template variables of the scorecard sections of index.html."""
    cards = Scorecards(ctx)
    views = {h: cards.cards(h) for h in HIERARCHIES}
    deck = Deck({h: found for h, (found, _, _) in views.items()}, SCORECARD_DECK_BYTES)
    unit_cards = {}
    for h, (found, total, periods) in views.items():
        shown = found[:deck.shown]
        # the reasons behind a † are the same for every card: written once under the cards
        notes = list(dict.fromkeys(note for card in shown for note in card.footnotes))
        capped = CappedCards(rows=shown, total=total, full=cards.full_list(h, periods))
        unit_cards[h] = {"selected": shown[0] if shown else None, "footnotes": notes,
                         "capped": capped}
    prosecutor_table, prosecutor_year = cards.prosecutors()
    unit_gaps = {h: cards.gaps("unit", h) for h in HIERARCHIES}
    prosecutor_gaps, prosecutor_gap_year = cards.gaps("prosecutor")
    span = cards.data_span()
    default = "as_is" if unit_cards["as_is"]["selected"] or not unit_cards["as_was"]["selected"] \
        else "as_was"
    return {
        "default_hierarchy": default,
        "unit_cards": unit_cards,
        "scorecard_legend": cards.legend(),
        "unit_note_in_page": True,  # the page shows illustrative_note by its unit selector
        "data_from": span[0] if span else None,
        "data_to": span[1] if span else None,
        "prosecutor_table": prosecutor_table,
        "prosecutor_year": prosecutor_year,
        "unit_gaps": unit_gaps,
        "prosecutor_gaps": prosecutor_gaps,
        "prosecutor_gap_year": prosecutor_gap_year,
        "scorecard_deck": deck,
    }


def _as_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
