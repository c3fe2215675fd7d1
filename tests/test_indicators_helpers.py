"""Given/expect helpers for the indicator, unit-hierarchy and campaign tests.

Two ways to feed the indicator models:

- `Raw` inserts landed rows into raw.* (current versions); with `build_chain` the whole SQL chain
  runs from them (staging -> deadline engine -> indicators), as in production;
- `Clocks` writes given rows straight into a `marts.deadlines`-shaped table (and
  `marts.deadline_findings`), and `build_indicators` builds staging and only the indicator
  models on top, so a test states exactly the clocks an indicator is computed from.

Dates are written DD/MM/YYYY, as a prosecutor writes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from pipelines.dbt_compiled import (
    build,
    build_model,
    discover_models,
    set_run_vars,
    topological_order,
)

INDICATOR_PREFIXES = (
    "int_period",
    "int_unit_",
    "int_indicator_",
    "int_stage_",
    "int_wrongful_prosecutions",
    "int_missed_crime_signals",
    "int_prosecutor_",
)
INDICATOR_MARTS = (
    "units",
    "wrongful_prosecutions",
    "missed_crime_signals",
    "indicator_values",
    "campaign_scorecard",
    "exemplary_candidates",
    "prosecutor_scorecard",
    "exemplary_gaps",
)


def d(text: str | None) -> dt.date | None:
    """A date written DD/MM/YYYY (None stays None)."""
    if text is None:
        return None
    day, month, year = (int(p) for p in text.split("/"))
    return dt.date(year, month, day)


def _dates(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: (d(v) if k in keys and isinstance(v, str) else v) for k, v in row.items()}


class Raw:
    """Landed rows (current versions) in raw.*."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.row_number = 0

    def insert(self, table: str, row: dict[str, Any]) -> None:
        self.row_number += 1
        row = {
            "updated_at": dt.datetime(2020, 1, 1, 8, 0),
            "is_deleted": False,
            "_batch_id": "b0001",
            "_file_name": f"{table}.csv",
            "_row_number": self.row_number,
            **row,
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.con.execute(f"insert into raw.{table} ({cols}) values ({marks})", list(row.values()))

    def report(
        self, report_id: str, received: str, unit: str = "BTR-CT", prosecutor: str = "KSV01"
    ) -> None:
        self.insert(
            "crime_reports",
            {
                "report_id": report_id,
                "unit_code": unit,
                "prosecutor_id": prosecutor,
                "source_type": "denunciation",
                "received_date": d(received),
                "handling_body": "cqdt",
            },
        )

    def case(
        self,
        case_id: str,
        instituted: str,
        unit: str = "BTR-CT",
        category: str = "serious",
        prosecutor: str = "KSV01",
        report_id: str | None = None,
    ) -> None:
        self.insert(
            "cases",
            {
                "case_id": case_id,
                "unit_code": unit,
                "prosecutor_id": prosecutor,
                "report_id": report_id,
                "instituted_date": d(instituted),
                "penal_code_article": 173,
                "crime_category": category,
            },
        )

    def person(self, person_id: str, case_id: str, charged: str | None = None) -> None:
        self.insert(
            "persons", {"person_id": person_id, "case_id": case_id, "charged_date": d(charged)}
        )

    def event(
        self,
        event_id: str,
        event_type: str,
        subject_id: str,
        on: str,
        subject_type: str = "case",
        **extra: Any,
    ) -> None:
        extra = _dates(extra, ("received_date", "stated_end_date", "requested_date"))
        self.insert(
            "case_events",
            {
                "event_id": event_id,
                "event_type": event_type,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "event_date": d(on),
                "case_id": extra.pop("case_id", subject_id if subject_type == "case" else None),
                "issuing_body": extra.pop("issuing_body", "vks"),
                **extra,
            },
        )

    def judgement(
        self,
        judgement_id: str,
        case_id: str,
        person_id: str,
        pronounced: str,
        verdict: str = "convicted",
        instance: str = "first",
        unit: str = "BTR-CT",
        **extra: Any,
    ) -> None:
        extra = _dates(extra, ("effective_date",))
        self.insert(
            "judgements",
            {
                "judgement_id": judgement_id,
                "case_id": case_id,
                "person_id": person_id,
                "unit_code": unit,
                "instance": instance,
                "pronounced_date": d(pronounced),
                "verdict": verdict,
                **extra,
            },
        )

    def order(
        self,
        order_id: str,
        person_id: str,
        case_id: str | None,
        start_at: dt.datetime,
        stated_end: str,
        measure: str = "detention",
        stage: str = "investigation",
        extension_no: int = 0,
        unit: str = "BTR-CT",
        **extra: Any,
    ) -> None:
        extra = _dates(extra, ("requested_date",))
        self.insert(
            "detention_orders",
            {
                "order_id": order_id,
                "person_id": person_id,
                "case_id": case_id,
                "unit_code": unit,
                "facility_code": "NTG-01",
                "measure": measure,
                "stage": stage,
                "extension_no": extension_no,
                "start_at": start_at,
                "stated_end_date": d(stated_end),
                **extra,
            },
        )

    def manual_score(
        self,
        score_id: str,
        unit: str,
        indicator_code: str,
        period_kind: str,
        period_start: str,
        value: float,
        note: str | None = None,
    ) -> None:
        self.insert(
            "manual_scores",
            {
                "score_id": score_id,
                "unit_code": unit,
                "indicator_code": indicator_code,
                "period_kind": period_kind,
                "period_start": d(period_start),
                "value": value,
                "note": note,
            },
        )


DEADLINE_COLUMNS = """
    clock_id varchar, clock varchar, subject_type varchar, subject_id varchar, case_id varchar,
    person_id varchar, judgement_id varchar, unit_code varchar, prosecutor_id varchar,
    crime_category varchar, started_on date, due_on_nominal date, due_on date,
        is_provisional boolean,
    closed_on date, closed_by varchar, status varchar, days_late integer, days_remaining integer,
    is_due_soon boolean, rule_id varchar, legal_basis varchar, explanation varchar,
    explanation_en varchar, as_of date, due_at timestamp, closed_at timestamp
"""
FINDING_COLUMNS = """
    finding_id varchar, rule varchar, severity varchar, clock_id varchar, subject_type varchar,
    subject_id varchar, case_id varchar, unit_code varchar, detail varchar, legal_basis varchar,
    dated_on date
"""
SUBJECT_TYPES = {
    "report_resolution": "report",
    "report_resolution_resumed": "report",
    "custody": "person",
    "detention": "person",
    "issue_execution_decision": "judgement",
    "dispatch_execution_decision": "judgement",
    "report_to_serve": "judgement",
    "summon_suspended_sentence": "judgement",
}


def given_clock_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty marts.deadlines and marts.deadline_findings for given rows; the indicator models
    read them through intermediate.int_deadlines and int_deadline_findings (views, as built)."""
    con.execute(f"create or replace table marts.deadlines ({DEADLINE_COLUMNS})")
    con.execute(f"create or replace table marts.deadline_findings ({FINDING_COLUMNS})")
    con.execute(
        "create or replace view intermediate.int_deadlines as select * from marts.deadlines"
    )
    con.execute(
        "create or replace view intermediate.int_deadline_findings as "
        "select * from marts.deadline_findings"
    )


class Clocks:
    """Given rows of marts.deadlines and marts.deadline_findings, written directly."""

    def __init__(self, con: duckdb.DuckDBPyConnection, as_of: str) -> None:
        self.con = con
        self.as_of = d(as_of)
        given_clock_tables(con)

    def clock(
        self,
        clock: str,
        subject_id: str,
        started: str,
        due: str,
        closed: str | None = None,
        closed_by: str | None = None,
        start_ref: str = "0",
        unit: str = "BTR-CT",
        case_id: str | None = None,
        person_id: str | None = None,
        judgement_id: str | None = None,
        prosecutor: str | None = "KSV01",
        status: str | None = None,
    ) -> str:
        subject_type = SUBJECT_TYPES.get(clock, "case")
        if subject_type == "case" and case_id is None:
            case_id = subject_id
        if subject_type == "judgement" and judgement_id is None:
            judgement_id = subject_id
        clock_id = f"{clock}:{subject_id}:{start_ref}"
        due_on, closed_on = d(due), d(closed)
        if status is None:
            if closed_on is not None:
                status = "on_time" if closed_on <= due_on else "late"
            else:
                status = "overdue" if self.as_of > due_on else "open"
        self.con.execute(
            "insert into marts.deadlines (clock_id, clock, subject_type, subject_id, case_id, "
            "person_id, "
            "judgement_id, unit_code, prosecutor_id, started_on, due_on_nominal, due_on, "
            "closed_on, "
            "closed_by, status, as_of) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                clock_id,
                clock,
                subject_type,
                subject_id,
                case_id,
                person_id,
                judgement_id,
                unit,
                prosecutor,
                d(started),
                due_on,
                due_on,
                closed_on,
                closed_by,
                status,
                self.as_of,
            ],
        )
        return clock_id

    def finding(
        self,
        finding_id: str,
        rule: str,
        clock_id: str | None,
        unit: str = "BTR-CT",
        severity: str = "error",
        subject_type: str = "person",
        subject_id: str = "P1",
        case_id: str | None = None,
        dated_on: str | None = None,
    ) -> None:
        if dated_on is None and clock_id is not None:  # the clock's start, as for a stage
            dated_on = self.con.execute(
                "select strftime(started_on, '%d/%m/%Y') from marts.deadlines where clock_id = ?",
                [clock_id]).fetchone()[0]
        self.con.execute(
            "insert into marts.deadline_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                finding_id,
                rule,
                severity,
                clock_id,
                subject_type,
                subject_id,
                case_id,
                unit,
                "given",
                "given",
                d(dated_on),
            ],
        )


def _indicator_models():
    models = discover_models()
    return [
        m
        for m in topological_order(models)
        if (m.schema == "intermediate" and m.name.startswith(INDICATOR_PREFIXES))
        or (m.schema == "marts" and m.name in INDICATOR_MARTS)
    ]


def build_indicators(
    con: duckdb.DuckDBPyConnection, as_of: str, only: list[str] | None = None
) -> None:
    """Build staging from raw.*, then the indicator models on the given marts.deadlines.

    `only` (table names) limits the indicator models built; their upstream indicator models are
    built too, never the deadline engine.
    """
    set_run_vars(con, d(as_of))
    models = discover_models()
    for model in topological_order(models):
        if model.schema == "staging":
            build_model(con, model)
    mine = _indicator_models()
    if only is not None:
        keys = {m.key for m in mine}
        wanted: set[tuple[str, str]] = set()
        stack = [tuple(t.split(".", 1)) for t in only]
        while stack:
            key = stack.pop()
            if key in wanted or key not in keys:
                continue
            wanted.add(key)
            stack.extend(models[key].deps)
        mine = [m for m in mine if m.key in wanted]
    for model in mine:
        build_model(con, model)


def build_chain(
    con: duckdb.DuckDBPyConnection, as_of: str, only: list[str] | None = None
) -> dict[str, int]:
    """The real chain from raw rows: staging, the deadline engine, then the indicator models."""
    return build(
        con,
        d(as_of),
        only=only
        or [
            "marts.deadlines",
            "marts.deadline_findings",
            "marts.missed_crime_signals",
            "marts.wrongful_prosecutions",
            "marts.campaign_scorecard",
            "marts.exemplary_candidates",
        ],
    )


def value_row(
    con: duckdb.DuckDBPyConnection,
    indicator: str,
    unit: str,
    period_kind: str,
    period_start: str,
    hierarchy: str = "as_was",
    stage: str = "all",
) -> dict[str, Any]:
    """The marts.indicator_values row of one indicator, unit and period, as a dict."""
    cur = con.execute(
        "select * from marts.indicator_values where indicator_code = ? and unit_code = ? "
        "and period_kind = ? and period_start = ? and hierarchy = ? and stage = ?",
        [indicator, unit, period_kind, d(period_start), hierarchy, stage],
    )
    names = [c[0] for c in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (
        f"expected one row for {indicator} {unit} {period_kind} {period_start}, got {len(rows)}"
    )
    return dict(zip(names, rows[0], strict=True))


def nd(row: dict[str, Any]) -> tuple:
    """(numerator, denominator, value, target_status) of a row, for compact assertions."""
    return (row["numerator"], row["denominator"], row["value"], row["target_status"])
