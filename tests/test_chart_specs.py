"""Honest charts: the specs the pages embed, inspected, and rendered in Chromium.

- a target is drawn only on the rolling twelve months (a series of its own period length),
  never on the months;
- axes use the one number style (thousands ".", decimal ","), rates with as many decimals as
  their ticks need, counts as whole numbers, overlapping labels dropped;
- rendered, no axis repeats a tick label.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from test_dashboards import _open, browser  # noqa: F401 (the module's Chromium fixture)

from pipelines.dashboards import charts
from pipelines.dashboards import pages as dash
from pipelines.dashboards.i18n import Bi


def _frame(values: list[float], target: float | None, *, rate: bool) -> pd.DataFrame:
    rows = []
    months = pd.date_range("2024-01-01", periods=len(values), freq="MS")
    for start, v in zip(months, values, strict=True):
        end = start + pd.offsets.MonthEnd(0)
        rows.append(("month", start, end, v, target))
        rows.append(("rolling_12m", start - pd.DateOffset(months=11), end,
                     v * (1 if rate else 12), target))
    rows.append(("statistical_year", pd.Timestamp("2023-12-01"), pd.Timestamp("2024-11-30"),
                 values[0] * (1 if rate else 12), target))
    frame = pd.DataFrame(rows, columns=["period_kind", "period_start", "period_end", "value",
                                        "target_value"])
    frame["indicator_vi"], frame["indicator_en"], frame["unit"] = "Chỉ tiêu", "Indicator", "BTR"
    return frame


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _axes(spec: dict) -> list[tuple[str, dict, dict]]:
    """(channel, field definition, axis) of every positional encoding with an axis."""
    found = []
    for node in _walk(spec):
        enc = node.get("encoding")
        if not isinstance(enc, dict):
            continue
        for channel in ("x", "y"):
            field = enc.get(channel)
            if isinstance(field, dict) and field.get("axis") is not None:
                found.append((channel, field, field["axis"]))
    return found


def _charts() -> list[charts.Chart]:
    title = Bi("Tiêu đề", "Title")
    bars = pd.DataFrame({"cat_vi": ["A", "B"], "cat_en": ["A", "B"], "st": ["late", "on_time"],
                         "st_vi": ["Trễ", "Đúng"], "st_en": ["Late", "On time"],
                         "n": [1311, 2]})
    return [
        charts.trend("rates", _frame([0.55, 0.6, 0.58], 0.9, rate=True), is_rate=True,
                     title=title),
        charts.trend("counts", _frame([2600, 2800, 2700], 0, rate=False), is_rate=False,
                     title=title),
        charts.stacked_bar("bars", bars, category="cat", stack="st",
                           stack_order=["on_time", "late"], colors=None, title=title,
                           x_title=title),
        charts.rate_bar("rate-bar", pd.DataFrame({"label": ["A", "B"], "rate": [0.001, 0.0015]}),
                        title=title, x_title=title),
    ]


def test_a_target_is_drawn_only_on_the_rolling_twelve_months() -> None:
    for chart in _charts()[:2]:
        for lang, spec in chart.specs.items():
            dashed = [n for n in _walk(spec)
                      if isinstance(n.get("mark"), dict) and "strokeDash" in n["mark"]]
            assert dashed, (chart.chart_id, lang)
            for layer in dashed:
                filters = json.dumps(layer.get("transform", []))
                assert "rolling_12m" in filters and "'month'" not in filters and (
                    '"month"' not in filters), filters
            # the months are drawn, without any target
            months = [n for n in _walk(spec) if "month" in json.dumps(n.get("transform", []))
                      and "rolling_12m" not in json.dumps(n.get("transform", []))]
            assert months and all("target_value" not in json.dumps(n.get("encoding", {}))
                                  for n in months)


def test_axes_use_the_one_number_style_without_repeats_or_overlaps() -> None:
    assert charts.LOCALES["vi"]["thousands"] == charts.LOCALES["en"]["thousands"] == "."
    assert charts.LOCALES["vi"]["decimal"] == charts.LOCALES["en"]["decimal"] == ","
    seen = {"rate": 0, "count": 0, "time": 0}
    for chart in _charts():
        for lang, spec in chart.specs.items():
            for channel, field, axis in _axes(spec):
                kind = str(field.get("type") or field.get("field", ""))
                where = (chart.chart_id, lang, channel, axis)
                assert axis.get("labelOverlap") == "greedy", where
                if kind == "temporal":
                    seen["time"] += 1
                    assert axis["format"] == "%m/%Y", where
                    assert axis["tickCount"] == {"interval": "month", "step": 3}, where
                elif kind == "quantitative":
                    assert axis["format"] in (charts.RATE_AXIS, charts.COUNT_AXIS), where
                    if axis["format"] == charts.COUNT_AXIS:
                        seen["count"] += 1
                        assert axis["tickMinStep"] == 1, where  # whole numbers only
                    else:
                        seen["rate"] += 1
    assert all(seen.values()), seen


def _render_page(tmp_path, chart: charts.Chart):
    page = {"charts": [chart.entry()], "datasets": chart.datasets}
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script>{dash._vega_bundle()}</script></head><body>
<div id="c"></div>
<script>
const PAGE = {json.dumps(page, ensure_ascii=False, default=str)};
const spec = PAGE.charts[0].specs.vi;
spec.datasets = PAGE.datasets;
window.done = vegaEmbed("#c", spec, {{actions: false, renderer: "svg",
  formatLocale: {json.dumps(charts.LOCALES["vi"], ensure_ascii=False)}}});
</script></body></html>"""
    path = tmp_path / f"{chart.chart_id}.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.browser
def test_rendered_tick_labels_never_repeat_and_use_the_separators(browser, tmp_path) -> None:  # noqa: F811
    small_rates = charts.rate_bar(
        "small-rates", pd.DataFrame({"label": ["A", "B", "C"], "rate": [0.001, 0.0012, 0.0021]}),
        title=Bi("Tỷ lệ", "Rate"), x_title=Bi("Tỷ lệ", "Rate"))
    big_counts = charts.trend("big-counts", _frame([2600, 2650, 2810, 2700], 0, rate=False),
                              is_rate=False, title=Bi("Số", "Count"))
    for chart in (small_rates, big_counts):
        page, errors, _ = _open(browser, _render_page(tmp_path, chart))
        try:
            page.wait_for_function("document.querySelector('#c svg') !== null")
            axes = page.evaluate("""() => [...document.querySelectorAll('#c g.role-axis')].map(
                a => [...a.querySelectorAll('g.role-axis-label text')].map(t => t.textContent)
                  .filter(t => t !== ''))""")
            assert errors == [], errors
            assert axes and any(axes), chart.chart_id
            for labels in axes:
                assert len(labels) == len(set(labels)), (chart.chart_id, labels)
            flat = [t for labels in axes for t in labels]
            if chart is small_rates:
                assert any("," in t and "%" in t for t in flat), flat  # "0,15 %"
            else:
                assert any("." in t and len(t) >= 5 for t in flat), flat  # "2.800"
                assert not any(t.isdigit() and len(t) > 3 for t in flat), flat  # never "2800"
        finally:
            page.close()
