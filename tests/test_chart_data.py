"""What a trend chart puts on the page is what the former pandas construction gave (the points,
the indicator lookup and their dataset names), and a spec taken from the cache of specs is the
one altair builds for that chart with its own dataset names."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import altair as alt
import pandas as pd
import pytest

from pipelines.dashboards import charts
from pipelines.dashboards.i18n import Bi

TITLE = Bi("Xu hướng", "Trend")


def _former_points(frame: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """The points and the lookup as `charts.trend` built them with pandas before."""
    data = frame.copy()
    for col in ("period_start", "period_end"):
        data[col] = pd.to_datetime(data[col])
    rolling = data["period_kind"] == "rolling_12m"
    data.loc[rolling, "period_start"] = data.loc[rolling, "period_end"].dt.to_period(
        "M").dt.start_time
    for col in ("period_start", "period_end"):
        data[col] = data[col].dt.strftime("%Y-%m-%d")
    names = data[["indicator_vi", "indicator_en"]].drop_duplicates().reset_index(drop=True)
    names["k"] = range(len(names))
    data = data.merge(names, on=["indicator_vi", "indicator_en"]).drop(
        columns=["indicator_vi", "indicator_en"])

    def records(f: pd.DataFrame) -> list[dict]:
        return json.loads(f.to_json(orient="records", date_format="iso", force_ascii=False))

    return records(data), records(names)


def _name(records: list[dict]) -> str:
    return "d" + hashlib.sha1(json.dumps(records, sort_keys=True, ensure_ascii=False)
                              .encode()).hexdigest()[:12]


def _frame(seed: int) -> pd.DataFrame:
    """Trend rows as the models give them, with awkward values: missing targets, long
    fractions, whole numbers, two indicators sharing their names, dates with and without
    time, a missing end."""
    rnd = random.Random(seed)
    indicators = [("Tỷ lệ giải quyết", "Resolution rate"), ("Số vụ", "Cases"),
                  ("Tỷ lệ giải quyết", "Resolution rate"), ("Án treo / tổng", "Suspended")]
    rows = []
    for n in range(rnd.randint(20, 60)):
        vi, en = rnd.choice(indicators)
        start = dt.date(2023, 1, 1) + dt.timedelta(days=rnd.randint(0, 900))
        end = start + dt.timedelta(days=rnd.randint(0, 400))
        kind = rnd.choice(["month", "rolling_12m", "statistical_year"])
        value = rnd.choice([rnd.random(), rnd.random() * 12, float(rnd.randint(0, 5000)),
                            round(rnd.random(), 4), None, 1 / 3, 0.1 * 3])
        target = rnd.choice([None, 0.85, rnd.random(), 1e-7])
        rows.append({"unit": rnd.choice(["BTR", "BTR-TP", "VLG"]), "period_kind": kind,
                     "period_start": pd.Timestamp(start) if n % 3 else start,
                     "period_end": (None if n == 7 else
                                    pd.Timestamp(end) + pd.Timedelta(hours=n % 5)),
                     "value": value, "target_value": target,
                     "indicator_vi": vi, "indicator_en": en})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(8))
def test_trend_points_are_what_pandas_gave(seed) -> None:
    frame = _frame(seed)
    points, lookup = _former_points(frame)
    for given in (frame, frame.to_dict("records")):  # a frame, or its rows
        chart = charts.trend("t", given, is_rate=seed % 2 == 0, title=TITLE)
        assert chart.datasets == {_name(points): points, _name(lookup): lookup}
        assert list(chart.datasets[_name(points)][0]) == list(points[0])  # column order


def test_a_cached_spec_is_the_one_altair_builds_with_the_chart_s_own_names(
        monkeypatch) -> None:
    charts._SPECS.clear()
    frames = [_frame(1), _frame(2)]
    bars = [pd.DataFrame({"label": ["a", "b"], "rate": [0.1, 0.25 * k]}) for k in (1, 2)]
    stacks = [pd.DataFrame({"cat_vi": ["X", "Y"], "cat_en": ["X", "Y"],
                            "status": ["late", "open"], "status_vi": ["trễ", "mở"],
                            "status_en": ["late", "open"], "n": [k, 2 * k]})
              for k in (1, 3)]

    def built() -> list[charts.Chart]:
        return [*(charts.trend("t", f, is_rate=r, title=TITLE) for f in frames
                  for r in (True, False)),
                *(charts.rate_bar("r", b, title=TITLE, x_title=TITLE) for b in bars),
                *(charts.stacked_bar("s", s, category="cat", stack="status",
                                     stack_order=["open", "late"], colors=["#111", "#222"],
                                     title=TITLE, x_title=TITLE) for s in stacks)]

    cached = built()
    assert charts._SPECS  # the second chart of each kind came from the cache

    def direct(key, build, names):  # altair, with the chart's own dataset names
        spec, inline = charts._spec(build(*(alt.Data(name=n) for n in names)))
        assert not inline
        return spec

    monkeypatch.setattr(charts, "_cached_spec", direct)
    for mine, theirs in zip(cached, built(), strict=True):
        assert mine.specs == theirs.specs
        assert mine.datasets == theirs.datasets
