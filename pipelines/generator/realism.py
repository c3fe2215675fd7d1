"""The realism report: every calibrated measure of generated data beside its published range.

`realism_report(landing)` runs the pipeline on a landing folder the generator wrote (ingest,
staging, clocks, indicators) and measures each row of `data/reference/calibration.csv`:

- where the pipeline has the indicator, from `marts.indicator_values` (the leaf units' numerators
  and denominators, summed), and the same figure counted directly from the staged events beside
  it, so the report shows that pipeline and generator agree;
- otherwise from the staged records (`staging.*`), the way the published figure counts.

A measure is judged over the complete periods of its kind (National Assembly year 01/10–30/09
or statistical year 01/12–30/11) that start at least `WARM_UP_DAYS` after the first generated
day (the generator starts cold, with nothing pending) and end at least `SETTLE_DAYS` before
the last (late data entry has caught up). National volumes from a sample of units
are weighted back to the whole (`_generation.json`). A value is outside when it is farther
from the published range than the calibration file's tolerance plus the sampling margin (two
standard errors at the published value, for the size of what was counted).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import paths
from pipelines.generator.calibration import Target, load_targets

# investigations run for months: a period is judged once the simulation has run this long
# before it, so that the cases carried over into it exist
WARM_UP_DAYS = 270
# a period is judged once the data ran this long past its end: late data entry has caught up
# (as the published yearly figures are compiled weeks after the period)
SETTLE_DAYS = 45
REFORM_DAY = dt.date(2025, 7, 1)

# measures the pipeline computes as an indicator: calibration measure -> indicator_code
INDICATORS = {
    "report_resolution_rate": "report_resolution_rate",
    "prosecution_on_time_rate": "prosecution_on_time_rate",
    "vks_return_rate_rural": "vks_return_rate",
    "vks_return_rate_city": "vks_return_rate",
    "court_return_rate_rural": "court_return_rate",
    "court_return_rate_city": "court_return_rate",
    "protest_acceptance_rate": "protest_acceptance_rate",
    "wrongful_zero_unit_years": "wrongful_prosecution_count",
    "national_wrongful_persons": "wrongful_prosecution_count",
    "overdue_custody_zero_unit_years": "overdue_custody_count",
    "overdue_detention_zero_unit_years": "overdue_detention_count",
}
NOT_MODELLED = {"correct_charge_rate": "the landing contract has no wrong-charge field"}


@dataclass
class Measure:
    target: Target
    periods: list[str]
    value: float | None = None
    count: float = 0  # what the value was counted over (denominator, unit-years, cases)
    margin: float = 0.0  # sampling margin added to the tolerance
    computed_from: str = ""  # marts.indicator_values / staging
    direct: float | None = None  # the same measure counted directly from staging
    spread: tuple[float, float] | None = None  # min and max over unit-years or years
    skipped: str = ""  # why the measure is not judged on this data

    @property
    def status(self) -> str:
        if self.skipped:
            return "n/a"
        if self.value is None:
            return "no data"
        lo, hi = self.target.band()
        slack = self.margin + 1e-9  # shares like 2/3 are not exact in floating point
        if lo - slack <= self.value <= hi + slack:
            return "ok"
        return "OUTSIDE"

    @property
    def agrees(self) -> bool | None:
        if self.direct is None or self.value is None:
            return None
        return abs(self.direct - self.value) <= max(self.target.tolerance, 1e-9) / 2

    @property
    def name(self) -> str:
        t = self.target
        return t.measure + (f" {t.year}" if t.year else "")


@dataclass
class Report:
    landing: Path
    generation: dict
    measures: list[Measure]

    def outside(self) -> list[Measure]:
        return [m for m in self.measures if m.status == "OUTSIDE"]

    def judged(self) -> list[Measure]:
        return [m for m in self.measures if m.status in ("ok", "OUTSIDE")]

    def text(self) -> str:
        g = self.generation
        lines = [
            f"Realism report: {g['scale']} scale, {g['units_simulated']} of {g['units_total']} "
            f"units (weight {g['weight']}), {g['start']} .. {g['end']}, seed {g['seed']}",
            "measure | periods | generated | published range ± tolerance (± sampling) | "
            "status | computed from | direct count | spread | source",
        ]
        for m in self.measures:
            t = m.target
            if m.skipped:
                lines.append(f"{m.name} | - | - | {_fmt(t.low)}–{_fmt(t.high)} | n/a: "
                             f"{m.skipped} | | | | {t.source}")
                continue
            agree = ""
            if m.direct is not None:
                agree = f"{_fmt(m.direct)} ({'agrees' if m.agrees else 'DISAGREES'})"
            spread = f"{_fmt(m.spread[0])}–{_fmt(m.spread[1])}" if m.spread else ""
            periods = ", ".join(m.periods) if len(m.periods) <= 3 else (
                f"{m.periods[0]}..{m.periods[-1]} ({len(m.periods)})")
            lines.append(
                f"{m.name} | {periods} | {_fmt(m.value)} | {_fmt(t.low)}–{_fmt(t.high)} "
                f"± {_fmt(t.tolerance)} (± {_fmt(m.margin)}) | {m.status} | {m.computed_from} | "
                f"{agree} | {spread} | {t.source}")
        judged, outside = self.judged(), self.outside()
        lines.append(f"{len(judged)} measures judged, {len(outside)} outside their range"
                     + (": " + ", ".join(m.name for m in outside) if outside else "")
                     + f"; {len(self.measures) - len(judged)} not applicable to this data.")
        if g.get("defect_rate"):
            lines.append(f"Defects were planted at rate {g['defect_rate']}: rows lost to the "
                         "quarantine show as irregularities (overdue custody and detention, for "
                         "one). Judge realism on clean data (--defect-rate 0).")
        if g.get("showcase"):
            lines.append("Showcase on: the first unit has one of each rare outcome (an "
                         "acquittal, a wrongful termination, a superior and a withdrawn protest).")
        return "\n".join(lines)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.4g}"


# ------------------------------------------------------------------ the pipeline on the data


def build_warehouse(con: duckdb.DuckDBPyConnection, landing: Path, as_of: dt.date) -> None:
    """Ingest `landing` and build every model up to the indicator values."""
    from pipelines import dbt_compiled
    from pipelines.contract import create_raw_tables
    from pipelines.ingest import ingest_landing
    from pipelines.reference.load import load_reference, merge_landing_reference

    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    merge_landing_reference(con, landing)
    create_raw_tables(con)
    ingest_landing(con, landing, log=lambda *_: None)
    dbt_compiled.build(con, as_of, only=["marts.indicator_values"], run_id="realism")


def realism_report(landing: Path, con: duckdb.DuckDBPyConnection | None = None,
                   targets: tuple[Target, ...] | None = None) -> Report:
    """Measure the generated data in `landing`. `con`: a warehouse the pipeline already built
    on it (the benchmark's); otherwise one is built in a temporary folder."""
    landing = Path(landing)
    generation = json.loads((landing / "_generation.json").read_text(encoding="utf-8"))
    end = dt.date.fromisoformat(generation["end"])
    if con is not None:
        return _measure(con, generation, landing, targets or load_targets())
    with tempfile.TemporaryDirectory() as tmp:
        own = duckdb.connect(str(Path(tmp) / "realism.duckdb"))
        try:
            build_warehouse(own, landing, end)
            return _measure(own, generation, landing, targets or load_targets())
        finally:
            own.close()


def _periods(kind: str, start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Complete periods of `kind` within the generated days, after the warm-up."""
    first = start + dt.timedelta(days=WARM_UP_DAYS)
    out = []
    for year in range(start.year, end.year + 2):
        if kind == "na_year":
            p = (f"NA{year}", dt.date(year - 1, 10, 1), dt.date(year, 9, 30))
        else:
            p = (f"SY{year}", dt.date(year - 1, 12, 1), dt.date(year, 11, 30))
        if p[1] >= first and p[2] + dt.timedelta(days=SETTLE_DAYS) <= end:
            out.append(p)
    return out


def _setup(con: duckdb.DuckDBPyConnection, generation: dict) -> None:
    city = generation.get("city_units", [])
    con.execute("create or replace temp table rz_units as select unnest(?::varchar[]) as unit_code",
                [generation["units"]])
    con.execute("create or replace temp table rz_city as select unnest(?::varchar[]) as unit_code",
                [city])
    con.execute("""
        create or replace temp table rz_cases as
        select case_id, unit_code, instituted_date from staging.stg_landing__cases""")
    con.execute("""
        create or replace temp table rz_events as
        select e.*, c.unit_code, c.instituted_date
        from staging.stg_landing__case_events as e
        join rz_cases as c using (case_id)""")
    # when a case's investigation closes: proposed for prosecution, dropped or suspended
    con.execute("""
        create or replace temp table rz_closures as
        select case_id, unit_code, event_type, event_date from rz_events
        where subject_type = 'case' and (event_type = 'file_received_by_vks'
            or (event_type = 'case_terminated' and issuing_body = 'cqdt')
            or event_type = 'investigation_suspended')""")


def _sql_by_unit(measure: str) -> str | None:
    """SQL returning (unit_code, num, den) for the period [$1, $2]."""
    under_investigation = """
        select c.case_id, c.unit_code from rz_cases as c
        where c.instituted_date <= $2 and (
            not exists (select 1 from rz_closures as x where x.case_id = c.case_id
                        and x.event_date < $1)
            or exists (select 1 from rz_events as e where e.case_id = c.case_id
                       and e.event_type = 'investigation_resumed'
                       and e.event_date between $1 and $2))"""
    first_instance = """
        select * from staging.stg_landing__judgements
        where instance = 'first' and pronounced_date between $1 and $2"""
    q = {
        "crime_reports": """
            select unit_code, count(*), null from staging.stg_landing__crime_reports
            where received_date between $1 and $2 group by all""",
        "new_cases": """
            select unit_code, count(*), null from rz_cases
            where instituted_date between $1 and $2 group by all""",
        "cases_under_investigation": f"""
            select unit_code, count(*), null from ({under_investigation}) group by all""",
        "investigation_caseload_ratio": f"""
            select u.unit_code, u.n, coalesce(c.n, 0) from
                (select unit_code, count(*) as n from ({under_investigation}) group by all) as u
            left join (select unit_code, count(*) as n from rz_cases
                       where instituted_date between $1 and $2 group by all) as c
                using (unit_code)""",
        "accused_per_case_investigation": f"""
            select u.unit_code, count(p.person_id), count(distinct u.case_id)
            from ({under_investigation}) as u
            left join staging.stg_landing__persons as p using (case_id) group by all""",
        "accused_per_case_trial": f"""
            select unit_code, count(distinct person_id), count(distinct case_id)
            from ({first_instance}) group by all""",
        "investigation_resolution_rate": f"""
            select u.unit_code, count(distinct x.case_id), count(distinct u.case_id)
            from ({under_investigation}) as u
            left join rz_closures as x on x.case_id = u.case_id and x.event_date between $1 and $2
            group by all""",
        "investigation_dropped_share": """
            with firsts as (
                select case_id, unit_code, min(event_date) as filed from rz_closures
                where event_type = 'file_received_by_vks' group by all),
            dropped as (
                select case_id, unit_code from rz_closures
                where event_type = 'case_terminated' and event_date between $1 and $2)
            select unit_code, count(*) filter (where d),
                   count(*) from (
                select unit_code, true as d from dropped
                union all
                select unit_code, false from firsts where filed between $1 and $2)
            group by all""",
        "custody_passed_on_rate": """
            with held as (
                select distinct person_id, unit_code from staging.stg_landing__detention_orders
                where measure = 'custody' and extension_no = 0
                  and cast(start_at as date) between $1 and $2)
            select h.unit_code,
                   count(*) filter (where h.person_id in
                       (select person_id from staging.stg_landing__persons)),
                   count(*)
            from held as h group by all""",
        "custody_released_rate": """
            with held as (
                select distinct person_id, unit_code from staging.stg_landing__detention_orders
                where measure = 'custody' and extension_no = 0
                  and cast(start_at as date) between $1 and $2)
            select h.unit_code,
                   count(*) filter (where h.person_id not in
                       (select person_id from staging.stg_landing__persons)),
                   count(*)
            from held as h group by all""",
        "vks_returns": """
            select unit_code,
                   count(distinct case_id) filter (where event_type = 'returned_by_vks'),
                   count(distinct case_id) filter (where event_type = 'file_received_by_vks')
            from rz_events where event_date between $1 and $2 group by all""",
        "court_returns": """
            select unit_code,
                   count(distinct case_id) filter (where event_type = 'returned_by_court'
                                                   and is_accepted),
                   count(distinct case_id) filter (where event_type = 'court_accepted')
            from rz_events where event_date between $1 and $2 group by all""",
        "appellate_protests_per_100_cases": f"""
            with protests as (
                select unit_code, count(*) as n from rz_events
                where event_type in ('protest_filed_same_level', 'protest_filed_superior')
                  and event_date between $1 and $2 group by all),
            tried as (select unit_code, count(distinct case_id) as n from ({first_instance})
                      group by all)
            select t.unit_code, 100 * coalesce(p.n, 0), t.n
            from tried as t left join protests as p using (unit_code)""",
        "protest_acceptance_rate": """
            select unit_code, count(*) filter (where is_accepted), count(*) from rz_events
            where event_type = 'protest_decided' and event_date between $1 and $2
            group by all""",
        "national_acquitted_persons": f"""
            select unit_code, count(*) filter (where verdict = 'acquitted'), null
            from ({first_instance}) group by all""",
        "sentence_noncustodial_share": f"""
            select unit_code,
                   count(*) filter (where sentence_type in ('suspended', 'non_custodial_reform')),
                   count(*)
            from ({first_instance}) where verdict = 'convicted' group by all""",
        "suspended_reopened_share": """
            with suspended as (
                select subject_id, min(event_date) as day,
                       any_value(r.unit_code) as unit_code
                from staging.stg_landing__case_events as e
                join staging.stg_landing__crime_reports as r on r.report_id = e.subject_id
                where e.event_type = 'report_suspended' group by all
                union all
                select case_id, min(event_date), any_value(unit_code) from rz_events
                where event_type = 'investigation_suspended' and subject_type = 'case'
                group by all),
            reopened as (
                select distinct subject_id from staging.stg_landing__case_events
                where event_type in ('report_resumed', 'report_suspension_cancelled',
                                     'investigation_resumed'))
            select unit_code, count(*) filter (where subject_id in
                                               (select subject_id from reopened)), count(*)
            from suspended where day between $1 and $2 group by all""",
        "suspended_stock": """
            with changes as (
                select e.event_date as day, case when e.event_type = 'report_suspended' then 1
                       else -1 end as delta
                from staging.stg_landing__case_events as e
                where e.subject_type = 'report' and e.event_type in (
                    'report_suspended', 'report_resumed', 'report_suspension_cancelled')
                union all
                select event_date, case when event_type = 'investigation_suspended' then 1
                       else -1 end
                from staging.stg_landing__case_events
                where subject_type = 'case'
                  and event_type in ('investigation_suspended', 'investigation_resumed'))
            select 'all', sum(delta) filter (where day <= $2), sum(delta) filter (where day < $1)
            from changes""",
    }
    return q.get(measure)


def _rows(con, sql: str, start: dt.date, end: dt.date) -> list[tuple]:
    return con.execute(sql, [start, end]).fetchall()


def _indicator_rows(con, code: str, kind: str, start: dt.date) -> list[tuple]:
    """The indicator's leaf units (as they were) that the generation simulated."""
    return con.execute("""
        select unit_code, numerator, denominator from marts.indicator_values
        where indicator_code = ? and stage = 'all' and hierarchy = 'as_was' and not is_rollup
          and period_kind = ? and period_start = ?
          and unit_code in (select unit_code from rz_units)""", [code, kind, start]).fetchall()


def _binomial_margin(p: float, n: float) -> float:
    return 2 * math.sqrt(max(p * (1 - p), 0.0) / n) if n > 0 else 0.0


def _zero_share_margin(low: float, n: int) -> float:
    """For "0 in almost every unit-year": how far below `low` the share of zero unit-years may
    fall by chance in n unit-years (exact binomial, 2.5 % upper tail of the non-zero ones at
    the highest rate the range allows)."""
    p = 1 - low
    if p <= 0 or n == 0:
        return 0.0
    k, tail = n, 0.0
    while k > 0:  # smallest k with P(X >= k) above 2.5 %
        tail += math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                         + k * math.log(p) + (n - k) * math.log(1 - p))
        if tail > 0.025:
            break
        k -= 1
    return max(0.0, low - (1 - k / n))


def _measure(con, generation: dict, landing: Path, targets: tuple[Target, ...]) -> Report:
    _setup(con, generation)
    scale = generation["scale"]
    weight = float(generation.get("weight", 1.0))
    units_total = int(generation["units_total"])
    city = set(generation.get("city_units", []))
    start = dt.date.fromisoformat(generation["start"])
    end = dt.date.fromisoformat(generation["end"])
    measures = []
    for t in targets:
        m = Measure(target=t, periods=[])
        measures.append(m)
        if t.measure in NOT_MODELLED:
            m.skipped = "not modelled: " + NOT_MODELLED[t.measure]
            continue
        if t.scale == "national" and scale != "national":
            m.skipped = "national scale only"
            continue
        if t.scale == "region" and scale != "national":
            m.skipped = "regional units of the national scale only"
            continue
        if t.scale == "district" and scale == "national":
            m.skipped = "district scale (before the 2025 reform) only"
            continue
        if t.measure.endswith("_city") and not city:
            m.skipped = "no big-city units in this data"
            continue
        periods = _periods(t.period_kind, start, end)
        if t.year is not None:
            periods = [p for p in periods if p[0].endswith(str(t.year))]
        if t.scale == "district":
            periods = [p for p in periods if p[2] < REFORM_DAY]
        if t.measure.endswith("_change"):
            periods = _periods(t.period_kind, start, end)
        if not periods:
            m.skipped = "no complete period of this kind in the data"
            continue
        m.periods = [p[0] for p in periods]
        _compute(con, m, periods, weight, units_total, city)
    return Report(landing=landing, generation=generation, measures=measures)


def _compute(con, m: Measure, periods, weight: float, units_total: int, city: set) -> None:
    t = m.target
    kind = t.period_kind
    measure = t.measure

    def by_unit(sql_key: str, p) -> list[tuple]:
        return _rows(con, _sql_by_unit(sql_key), p[1], p[2])  # type: ignore[arg-type]

    def keep(unit: str) -> bool:
        if measure.endswith("_city"):
            return unit in city
        if measure.endswith("_rural"):
            return unit not in city
        return True

    def pooled(rows_per_period: list[list[tuple]], margin: str = "binomial") -> None:
        num = sum(r[1] or 0 for rows in rows_per_period for r in rows if keep(r[0]))
        den = sum(r[2] or 0 for rows in rows_per_period for r in rows if keep(r[0]))
        m.count = den
        if den:
            m.value = num / den
            if margin == "binomial":
                m.margin = _binomial_margin(min(max(t.value, 0.0), 1.0), den)
            elif margin == "per100":
                m.margin = 2 * math.sqrt(max(t.value, 0.5) * den / 100) / den * 100
            elif margin == "ratio":
                m.margin = 2 * 1.2 / math.sqrt(den)
        per_unit = [r[1] / r[2] for rows in rows_per_period for r in rows
                    if keep(r[0]) and r[2]]
        if per_unit:
            m.spread = (min(per_unit), max(per_unit))

    # --- national volumes: all units, weighted back to the whole, per NA year
    volume = {"national_crime_reports": "crime_reports", "national_new_cases": "new_cases",
              "national_cases_under_investigation": "cases_under_investigation"}
    if measure in volume:
        rows = by_unit(volume[measure], periods[0])
        raw = sum(r[1] for r in rows)
        m.value, m.count = raw * weight, raw
        m.margin = 2 * math.sqrt(raw) * weight
        m.computed_from = "staging"
        return
    if measure.endswith("_change"):
        key = "crime_reports" if "reports" in measure else "new_cases"
        values = {p[0]: sum(r[1] for r in by_unit(key, p)) for p in periods}
        this, last = f"NA{t.year}", f"NA{(t.year or 0) - 1}"
        if this in values and last in values and values[last]:
            m.periods = [last, this]
            m.value = values[this] / values[last] - 1
            m.count = values[last]
            m.margin = 2 * math.sqrt(1 / values[this] + 1 / values[last])
            m.computed_from = "staging"
        else:
            m.skipped = f"needs complete {last} and {this}"
        return
    if measure in ("district_crime_reports", "district_new_cases",
                   "region_cases_under_investigation"):
        key = {"district_crime_reports": "crime_reports", "district_new_cases": "new_cases",
               "region_cases_under_investigation": "cases_under_investigation"}[measure]
        counts = [r[1] for p in periods for r in by_unit(key, p)]
        if measure != "region_cases_under_investigation":
            # every district-level unit-year counts, also a year with nothing
            units = con.execute("select count(distinct unit_code) from rz_cases "
                                "where instituted_date < ?", [REFORM_DAY]).fetchall()[0][0]
            counts += [0] * max(0, units * len(periods) - len(counts))
        if counts:
            m.value = sum(counts) / len(counts)
            m.count = len(counts)
            m.spread = (min(counts), max(counts))
            sd = math.sqrt(sum((c - m.value) ** 2 for c in counts) / max(1, len(counts) - 1))
            m.margin = 2 * sd / math.sqrt(len(counts))
        m.computed_from = "staging"
        return
    if measure in ("national_wrongful_persons", "national_acquitted_persons"):
        per_year = []
        for p in periods:
            if measure == "national_wrongful_persons":
                rows = _indicator_rows(con, "wrongful_prosecution_count", kind, p[1])
                m.computed_from = "marts.indicator_values"
            else:
                rows = by_unit("national_acquitted_persons", p)
                m.computed_from = "staging"
            per_year.append(sum(r[1] or 0 for r in rows) * weight)
        m.value = sum(per_year) / len(per_year)
        m.count = len(per_year)
        m.spread = (min(per_year), max(per_year))
        m.margin = 2 * math.sqrt(max(t.value, 1) * weight / len(per_year))
        return
    if measure.endswith("_zero_unit_years"):
        code = INDICATORS[measure]
        rows = [r for p in periods for r in _indicator_rows(con, code, kind, p[1])]
        if rows:
            m.value = sum(1 for r in rows if not r[1]) / len(rows)
            m.count = len(rows)
            m.margin = _zero_share_margin(t.low - t.tolerance, len(rows))
        m.computed_from = "marts.indicator_values"
        return
    if measure == "suspended_stock_growth":
        grew = []
        for p in periods:
            (_, at_end, at_start), = by_unit("suspended_stock", p)
            grew.append(1.0 if (at_end or 0) > (at_start or 0) else 0.0)
        m.value = sum(grew) / len(grew)
        m.count = len(grew)
        m.computed_from = "staging"
        return
    if measure in INDICATORS:
        code = INDICATORS[measure]
        pooled([_indicator_rows(con, code, kind, p[1]) for p in periods])
        m.computed_from = "marts.indicator_values"
        direct = {"vks_return_rate": "vks_returns", "court_return_rate": "court_returns",
                  "protest_acceptance_rate": "protest_acceptance_rate"}.get(code)
        if direct:
            rows = [r for p in periods for r in by_unit(direct, p) if keep(r[0])]
            den = sum(r[2] or 0 for r in rows)
            m.direct = sum(r[1] or 0 for r in rows) / den if den else None
        return
    margin = ("ratio" if t.unit == "ratio" else "per100" if t.unit.startswith("per 100")
              else "binomial")
    pooled([by_unit(measure, p) for p in periods], margin)
    m.computed_from = "staging"
