"""Altair charts for the dashboards, built from small aggregated frames (never raw rows).

Each chart is made twice, once per language; the page embeds both and shows the one of the
current language. Specs carry their data inline; the vega bundle is inlined once per page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
LOCALES = {
    "vi": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", " VND"]},
}


@dataclass
class Chart:
    """A chart in both languages: `specs[lang]` is a Vega-Lite spec (dict)."""

    chart_id: str
    specs: dict[str, dict[str, Any]]

    def json(self) -> str:
        return json.dumps(
            {"id": self.chart_id, "specs": self.specs}, ensure_ascii=False, default=str
        )


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL; never fetched, but the page should name none
    return spec


def both(chart_id: str, build: Callable[[str], alt.TopLevelMixin]) -> Chart:
    return Chart(chart_id, {lang: _spec(build(lang)) for lang in ("vi", "en")})


def _t(label: Bi, lang: str) -> str:
    return label.vi if lang == "vi" else label.en


def trend(
    chart_id: str, frame: pd.DataFrame, *, is_rate: bool, title: Bi
) -> Chart:
    """Indicator values by month (line) and statistical year (bars over the year), with the
    target as a dashed step line. Columns: indicator_vi, indicator_en, unit, period_kind,
    period_start, period_end, value, target_value."""
    data = frame.copy()
    for col in ("period_start", "period_end"):
        data[col] = pd.to_datetime(data[col]).dt.strftime("%Y-%m-%d")
    fmt = ".0%" if is_rate else ",d"

    def build(lang: str) -> alt.TopLevelMixin:
        ind = f"indicator_{lang}"
        x_title = "Kỳ" if lang == "vi" else "Period"
        y_title = "Giá trị" if lang == "vi" else "Value"
        unit_title = "Đơn vị" if lang == "vi" else "Unit"
        base = alt.Chart().encode(
            x=alt.X("period_start:T", title=x_title, axis=alt.Axis(format="%m/%Y")),
        )
        month = base.transform_filter(alt.datum.period_kind == "month").mark_line(
            point=alt.OverlayMarkDef(size=12)
        ).encode(
            y=alt.Y("value:Q", title=y_title,
                    axis=alt.Axis(format=fmt) if is_rate else alt.Axis(format=fmt, tickMinStep=1)),
            color=alt.Color("unit:N", title=unit_title),
            tooltip=[
                alt.Tooltip("unit:N", title=unit_title),
                alt.Tooltip("period_start:T", title=x_title, format="%m/%Y"),
                alt.Tooltip("value:Q", title=y_title, format=".1%" if is_rate else ",.0f"),
            ],
        )
        year = base.transform_filter(
            alt.datum.period_kind == "statistical_year"
        ).mark_rule(strokeWidth=4, opacity=0.45).encode(
            x2="period_end:T",
            y="value:Q",
            color=alt.Color("unit:N", title=unit_title),
        )
        target = base.transform_filter(
            (alt.datum.period_kind == "month") & alt.expr.isValid(alt.datum.target_value)
        ).mark_line(strokeDash=[5, 4], color="#c62828", interpolate="step-after").encode(
            y="target_value:Q", detail="unit:N"
        )
        layered = alt.layer(month, year, target, data=data).properties(width=WIDTH, height=150)
        return (
            layered.facet(facet=alt.Facet(f"{ind}:N", title=None), columns=2)
            .resolve_scale(y="independent")
            .properties(title=_t(title, lang))
        )

    return both(chart_id, build)


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

    def build(lang: str) -> alt.TopLevelMixin:
        labels = (
            data.drop_duplicates(stack).set_index(stack)[f"{stack}_{lang}"].to_dict()
        )
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
            alt.Chart(data)
            .transform_calculate(
                _order=f"indexof({json.dumps(list(order_expr))}, datum['{stack}'])"
            )
            .mark_bar()
            .encode(
                y=alt.Y(f"{category}_{lang}:N", title=None, sort=None),
                x=alt.X("n:Q", title=_t(x_title, lang), stack="zero",
                        axis=alt.Axis(format="d", tickMinStep=1)),
                color=color,
                order=alt.Order("_order:Q"),
                tooltip=[f"{category}_{lang}:N", f"{stack}_{lang}:N",
                         alt.Tooltip("n:Q", format=",")],
            )
            .properties(width=2 * WIDTH - 120, title=_t(title, lang))
        )

    return both(chart_id, build)


def rate_bar(chart_id: str, frame: pd.DataFrame, *, title: Bi, x_title: Bi) -> Chart:
    """One horizontal bar per `label` with `rate` (a fraction) as a percentage."""
    data = frame.copy()

    def build(lang: str) -> alt.TopLevelMixin:
        return (
            alt.Chart(data)
            .mark_bar(color="#ef6c00")
            .encode(
                y=alt.Y("label:N", title=None, sort="-x"),
                x=alt.X("rate:Q", title=_t(x_title, lang), axis=alt.Axis(format=".1%")),
                tooltip=["label:N", alt.Tooltip("rate:Q", format=".2%")],
            )
            .properties(width=2 * WIDTH - 160, title=_t(title, lang))
        )

    return both(chart_id, build)
