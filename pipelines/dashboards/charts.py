"""Altair charts for the dashboards, built from small aggregated frames (never raw rows).

Each chart is made twice, once per language; the page embeds both and shows the one of the
current language. Specs carry their data inline; the vega bundle is inlined once per page.

A chart's spec depends on its kind, its options (titles, language, the labels of its stacks)
and the names of its datasets, never on the rows themselves: each spec is built with altair
once per kind and options, with stand-in dataset names, and every later chart of the same
kind and options reuses it with its own dataset names put in (`_cached_spec`). Building
layered and faceted charts in altair costs a large fraction of a second each (altair copies
the whole chart at every step), which the per-unit bundles would otherwise pay for every chart
of every unit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from pipelines.dashboards.i18n import Bi

WIDTH = 300  # per facet; two facets side by side fit an A4 page
STATUS_COLORS = {
    "on_time": "#2e7d32",
    "late": "#ef6c00",
    "open": "#1565c0",
    "overdue": "#c62828",
    "suspended": "#9e9e9e",
}
# One number style in both languages (`pipelines.numbers`): "1.311", "0,30 %".
_NUMBER_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"],
                  "percent": "\u00a0%"}
LOCALES = {"vi": _NUMBER_LOCALE, "en": _NUMBER_LOCALE}
#  Axis number formats (d3-format, rendered with the locale above). A rate's ticks carry as many
#  decimals as they need and no trailing zeros ("0,1 %", "0,15 %"), so two ticks never read the
#  same; a count's ticks are whole numbers with the thousands separator ("2.600").
RATE_AXIS = "~%"
COUNT_AXIS = ",d"
#  Labels that would overlap are dropped (never drawn on top of each other: "26002800").
_NO_OVERLAP = {"labelOverlap": "greedy", "labelSeparation": 6}


def rate_axis(**kw: Any) -> alt.Axis:
    return alt.Axis(format=RATE_AXIS, **_NO_OVERLAP, **kw)


def count_axis(**kw: Any) -> alt.Axis:
    return alt.Axis(format=COUNT_AXIS, tickMinStep=1, **_NO_OVERLAP, **kw)


def month_axis(**kw: Any) -> alt.Axis:
    """Months as 03/2025, one tick per quarter at most (never two ticks in one month)."""
    return alt.Axis(format="%m/%Y", tickCount={"interval": "month", "step": 3}, **_NO_OVERLAP,
                    **kw)


@dataclass
class Chart:
    """A chart in both languages: `specs[lang]` is a Vega-Lite spec without its data;
    `datasets` holds the data by name (altair names a dataset by a hash of its content, so
    both languages, and charts over the same frame, share one copy on the page)."""

    chart_id: str
    specs: dict[str, dict[str, Any]]
    datasets: dict[str, list[dict[str, Any]]]

    def entry(self) -> dict[str, Any]:
        return {"id": self.chart_id, "specs": self.specs, "data": sorted(self.datasets)}


def page_json(charts: list[Chart]) -> str:
    """`{"charts": [...], "datasets": {...}}` for a page: each dataset once, by columns
    (`{"columns": [...], "rows": [[...], ...]}`: the field names are not repeated on every
    row); the page turns them back into records (`records` in base.html) for vega."""
    datasets: dict[str, Any] = {}
    for c in charts:
        datasets.update(c.datasets)
    return json.dumps({"charts": [c.entry() for c in charts],
                       "datasets": {name: columnar(rows) for name, rows in datasets.items()}},
                      ensure_ascii=False, default=str, separators=(",", ":"))


def columnar(rows: list[dict[str, Any]]) -> dict[str, list]:
    """Records as one list of column names and one list of values per row."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return {"columns": columns, "rows": [[r.get(k) for k in columns] for r in rows]}


def _spec(chart: alt.TopLevelMixin) -> tuple[dict[str, Any], dict[str, Any]]:
    # Validation against the Vega-Lite schema costs seconds per page; the browser tests
    # render every chart and fail on any error vega-embed reports.
    spec = chart.to_dict(validate=False)
    spec.pop("$schema", None)  # a URL; never fetched, but the page should name none
    return spec, spec.pop("datasets", {})


def _named(data: pd.DataFrame | list[dict[str, Any]]
           ) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The rows as a named dataset (records passed to the page as they are, not through
    altair's per-row processing): its name and {name: records}. A frame's records are what
    its `to_json` gives; records are taken as they are (`_json_floats`)."""
    if isinstance(data, pd.DataFrame):
        records = json.loads(data.to_json(orient="records", date_format="iso",
                                          force_ascii=False))
    else:
        records = data
    name = "d" + hashlib.sha1(
        json.dumps(records, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:12]
    return name, {name: records}


def _json_floats(records: list[dict[str, Any]]) -> None:
    """Every column of floats (`None` for a missing value) as a frame's `to_json` writes it
    and `json.loads` reads it back (ten decimals, NaN as null), in place: records built
    without a frame give the page the numbers a frame would."""
    if not records:
        return
    for col in records[0]:
        values = [r[col] for r in records]
        if any(isinstance(v, float) for v in values) and all(
                v is None or isinstance(v, float) for v in values):
            for r, v in zip(records, json.loads(pd.Series(values, dtype="float64").to_json(
                    orient="values")), strict=True):
                r[col] = v


#  Stand-ins for the dataset names while a spec is built (no dataset name has this form: a
#  dataset is named "d" and twelve hex digits, `_named`).
_STAND_INS = ("\x00data", "\x00lookup")
_SPECS: dict[tuple, str] = {}  # key -> the spec as JSON text, with the stand-ins
_CACHE_SIZE = 512  # kinds × options; a national run has a few dozen


def _cached_spec(key: tuple, build: Callable[..., alt.TopLevelMixin],
                 names: Sequence[str]) -> dict[str, Any]:
    """The spec `build(*stand-in data)` gives, with the dataset `names` in place of the
    stand-ins; built once per `key` (everything the spec depends on but the names) and kept
    as JSON text, so each chart gets a spec of its own."""
    template = _SPECS.get(key)
    if template is None:
        spec, inline = _spec(build(*(alt.Data(name=s) for s in _STAND_INS[:len(names)])))
        if inline:  # a spec with inline data depends on its rows: never reused
            raise ValueError(f"chart {key[0]}: inline datasets {sorted(inline)}")
        if len(_SPECS) >= _CACHE_SIZE:
            _SPECS.clear()
        template = _SPECS[key] = json.dumps(spec, ensure_ascii=False)
    for stand_in, name in zip(_STAND_INS, names, strict=False):
        template = template.replace(json.dumps(stand_in), json.dumps(name))
    return json.loads(template)


def both(chart_id: str, data: pd.DataFrame | list[dict[str, Any]], key: tuple,
         build: Callable[..., alt.TopLevelMixin], *more: str) -> Chart:
    """The chart in both languages over `data` (and the datasets named `more`, already in
    the chart's datasets by their caller): `build(lang, data, *more_data)`; `key` names the
    kind of chart and every option its spec depends on besides the data (`_cached_spec`)."""
    name, datasets = _named(data)
    specs = {lang: _cached_spec((*key, lang),
                                lambda *data, lang=lang: build(lang, *data), (name, *more))
             for lang in ("vi", "en")}
    return Chart(chart_id, specs, datasets)


def _day(value: Any) -> str | None:
    """A date as the page's "YYYY-MM-DD" (what pandas' `to_datetime` then `strftime` give)."""
    if value is None or value is pd.NaT or isinstance(value, float):
        return None
    if not isinstance(value, dt.date):
        value = pd.Timestamp(value)
        if value is pd.NaT:
            return None
    return value.strftime("%Y-%m-%d")


def _month_of(value: Any) -> str | None:
    """The first day of the date's month, as `_day` writes it."""
    day = _day(value)
    return None if day is None else day[:8] + "01"


def _t(label: Bi, lang: str) -> str:
    return label.vi if lang == "vi" else label.en


def trend(
    chart_id: str, frame: pd.DataFrame | list[dict[str, Any]], *, is_rate: bool, title: Bi
) -> Chart:
    """Indicator values by month (thin line), over the rolling twelve months ending with each
    month (thick line), and by statistical year (bars over the year), with the annual target as
    a dashed step line on the rolling twelve months only: a target is drawn on a series of its
    own period length, never on the months. Columns: indicator_vi, indicator_en, unit,
    period_kind (month / rolling_12m / statistical_year), period_start, period_end, value,
    target_value (a frame, or its rows as dicts); a rolling_12m row is placed at its last month
    (`period_end`).

    The indicator names are not repeated in every point: the points carry a short key and
    the chart looks the names up in a small dataset of its own (a page of national trends is
    mostly these points)."""
    rows = frame.to_dict("records") if isinstance(frame, pd.DataFrame) else frame
    keys: dict[tuple[Any, Any], int] = {}  # (indicator_vi, indicator_en) -> k
    data = []
    for row in rows:
        k = keys.setdefault((row["indicator_vi"], row["indicator_en"]), len(keys))
        point = {c: v for c, v in row.items() if c not in ("indicator_vi", "indicator_en")}
        # a rolling window is drawn at the month it ends with
        point["period_start"] = (_month_of(row["period_end"])
                                 if row["period_kind"] == "rolling_12m"
                                 else _day(row["period_start"]))
        point["period_end"] = _day(row["period_end"])
        point["k"] = k
        data.append(point)
    _json_floats(data)
    lookup_name, lookup_sets = _named([{"indicator_vi": vi, "indicator_en": en, "k": k}
                                       for (vi, en), k in keys.items()])

    def build(lang: str, source: alt.Data, lookup_data: alt.Data) -> alt.TopLevelMixin:
        vi = lang == "vi"
        ind = f"indicator_{lang}"
        x_title = "Kỳ" if vi else "Period"
        month_title = ("Giá trị" if vi else "Value") if is_rate else (
            "Theo tháng" if vi else "Per month")
        rolling_title = "12 tháng gần nhất" if vi else "Last twelve months"
        annual_title = ("12 tháng, năm thống kê" if vi else "Twelve months, statistical year")
        year_title = "Năm thống kê" if vi else "Statistical year"
        unit_title = "Đơn vị" if vi else "Unit"
        target_title = "Chỉ tiêu" if vi else "Target"
        base = alt.Chart().encode(
            x=alt.X("period_start:T", title=x_title, axis=month_axis()),
        )
        color = alt.Color("unit:N", title=unit_title)
        axis = rate_axis() if is_rate else count_axis()
        value_format = ".1%" if is_rate else ",.0f"
        month = base.transform_filter(alt.datum.period_kind == "month").mark_line(
            point=alt.OverlayMarkDef(size=12), strokeWidth=1, opacity=0.6
        ).encode(
            y=alt.Y("value:Q", title=month_title, axis=axis),
            color=color,
            tooltip=[
                alt.Tooltip("unit:N", title=unit_title),
                alt.Tooltip("period_start:T", title=x_title, format="%m/%Y"),
                alt.Tooltip("value:Q", title=month_title, format=value_format),
            ],
        )
        rolled = base.transform_filter(alt.datum.period_kind == "rolling_12m").mark_line(
            strokeWidth=2.5
        ).encode(
            y=alt.Y("value:Q", title=month_title if is_rate else annual_title,
                    axis=axis if is_rate else count_axis(orient="right")),
            color=color,
            tooltip=[
                alt.Tooltip("unit:N", title=unit_title),
                alt.Tooltip("period_start:T", title=rolling_title, format="%m/%Y"),
                alt.Tooltip("value:Q", title=rolling_title, format=value_format),
                alt.Tooltip("target_value:Q", title=target_title, format=value_format),
            ],
        )
        target = base.transform_filter(
            (alt.datum.period_kind == "rolling_12m") & alt.expr.isValid(alt.datum.target_value)
        ).mark_line(strokeDash=[5, 4], color="#c62828", interpolate="step-after").encode(
            y=alt.Y("target_value:Q", axis=None), detail="unit:N"
        )
        year = base.transform_filter(
            alt.datum.period_kind == "statistical_year"
        ).mark_rule(strokeWidth=4, opacity=0.45).encode(
            x2="period_end:T",
            color=color,
            y=alt.Y("value:Q", title=month_title if is_rate else annual_title,
                    axis=axis if is_rate else count_axis(orient="right")),
            tooltip=[
                alt.Tooltip("unit:N", title=unit_title),
                alt.Tooltip("period_start:T", title=year_title, format="%m/%Y"),
                alt.Tooltip("value:Q", title=year_title, format=value_format),
            ],
        )
        if is_rate:  # one scale: a rate per month, twelve months and year compare directly
            layered = alt.layer(month, rolled, year, target, data=source)
        else:  # twelve months' count is a year's: the year scale, on the right
            layered = alt.layer(month, alt.layer(rolled, year, target), data=source
                                ).resolve_scale(y="independent")
        return (
            layered.properties(width=WIDTH, height=150)
            .facet(facet=alt.Facet(f"{ind}:N", title=None), columns=2)
            .transform_lookup(lookup="k", from_=alt.LookupData(
                data=lookup_data, key="k", fields=["indicator_vi", "indicator_en"]))
            .resolve_scale(y="independent")
            .properties(title=_t(title, lang))
        )

    chart = both(chart_id, data, ("trend", is_rate, title), build, lookup_name)
    chart.datasets.update(lookup_sets)
    return chart


def stacked_bar(
    chart_id: str,
    frame: pd.DataFrame,
    *,
    category: str,
    stack: str,
    stack_order: list[str],
    colors: list[str] | None,
    title: Bi,
    x_title: Bi,
) -> Chart:
    """Horizontal stacked counts: one bar per `category_<lang>`, stacked by `stack_<lang>`
    (with `stack` holding the code used for colour and order). Column `n` is the count."""
    data = frame.copy()
    labels_of = {lang: data.drop_duplicates(stack).set_index(stack)[f"{stack}_{lang}"].to_dict()
                 for lang in ("vi", "en")}

    def build(lang: str, source: alt.Data) -> alt.TopLevelMixin:
        labels = labels_of[lang]
        domain = [labels[s] for s in stack_order if s in labels]
        rng = [c for s, c in zip(stack_order, colors or [], strict=False) if s in labels]
        color = alt.Color(
            f"{stack}_{lang}:N",
            title=None,
            scale=alt.Scale(domain=domain, range=rng) if colors else alt.Scale(domain=domain),
            sort=domain,
            legend=alt.Legend(orient="bottom"),
        )
        order_expr = {s: i for i, s in enumerate(stack_order)}
        return (
            alt.Chart(source)
            .transform_calculate(
                _order=f"indexof({json.dumps(list(order_expr))}, datum['{stack}'])"
            )
            .mark_bar()
            .encode(
                y=alt.Y(f"{category}_{lang}:N", title=None, sort=None),
                x=alt.X("n:Q", title=_t(x_title, lang), stack="zero", axis=count_axis()),
                color=color,
                order=alt.Order("_order:Q"),
                tooltip=[f"{category}_{lang}:N", f"{stack}_{lang}:N",
                         alt.Tooltip("n:Q", format=",")],
            )
            .properties(width=2 * WIDTH - 120, title=_t(title, lang))
        )

    key = ("stacked_bar", category, stack, tuple(stack_order), tuple(colors or ()), title,
           x_title, *(tuple(labels_of[lang].items()) for lang in ("vi", "en")))
    return both(chart_id, data, key, build)


def rate_bar(chart_id: str, frame: pd.DataFrame, *, title: Bi, x_title: Bi) -> Chart:
    """One horizontal bar per `label` with `rate` (a fraction) as a percentage."""
    data = frame.copy()

    def build(lang: str, source: alt.Data) -> alt.TopLevelMixin:
        return (
            alt.Chart(source)
            .mark_bar(color="#ef6c00")
            .encode(
                y=alt.Y("label:N", title=None, sort="-x"),
                x=alt.X("rate:Q", title=_t(x_title, lang), axis=rate_axis()),
                tooltip=["label:N", alt.Tooltip("rate:Q", format=".2%")],
            )
            .properties(width=2 * WIDTH - 160, title=_t(title, lang))
        )

    return both(chart_id, data, ("rate_bar", title, x_title), build)
