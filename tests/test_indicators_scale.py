"""National-scale indicators: a synthetic marts.deadlines (355 regional units in synthetic
provinces, six years, every clock kind, case transfers, reports transferred to other bodies,
returns, protests, terminations and findings) written straight into the warehouse, then every
indicator model built on it.

The test runs a small instance and checks the invariants that must hold whatever the data:
the stock-flow balance, the grains, rates within [0, 1], province totals equal in both views.
Run as a script for the benchmark (no timing is asserted anywhere):

    uv run python tests/test_indicators_scale.py --clocks 2000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import duckdb
import pytest
from test_indicators_helpers import _indicator_models, given_clock_tables

from pipelines import paths
from pipelines.contract import create_raw_tables
from pipelines.dbt_compiled import (
    build_model,
    check_failures,
    checks,
    discover_models,
    grain_violations,
    set_run_vars,
    topological_order,
)
from pipelines.reference.load import load_reference

AS_OF = dt.date(2025, 12, 31)
START = dt.date(2020, 1, 1)
PROVINCES = 34
REGIONS = 355

# clock kind, share of all clocks, base limit in days
KINDS = [
    ("report_resolution", 0.26, 20),
    ("report_resolution_resumed", 0.02, 30),
    ("investigation", 0.12, 90),
    ("resumed_investigation", 0.01, 60),
    ("supplementary_investigation_vks", 0.02, 60),
    ("supplementary_investigation_court", 0.01, 30),
    ("prosecution_decision", 0.10, 20),
    ("trial_preparation", 0.09, 45),
    ("trial_decision_after_return", 0.01, 15),
    ("hearing_opening", 0.08, 15),
    ("custody", 0.08, 3),
    ("detention", 0.08, 60),
    ("issue_execution_decision", 0.04, 7),
    ("dispatch_execution_decision", 0.03, 5),
    ("report_to_serve", 0.02, 7),
    ("summon_suspended_sentence", 0.01, 5),
    ("approve_charge", 0.02, 3),  # contract 1.1: a procuracy's own clock
]


def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    create_raw_tables(con)
    return con


def synthesize(con: duckdb.DuckDBPyConnection, n_clocks: int, seed: int = 7) -> None:
    """Fill reference.units (landed national units), staging.* and marts.deadlines/findings."""
    set_run_vars(con, AS_OF)
    for model in topological_order(discover_models()):
        if model.schema == "staging":
            build_model(con, model)  # empty tables with the staging columns
    con.execute("select setseed(?)", [seed / 100])
    con.execute(f"""
        insert into reference.units by name
        select 'SYN-P' || lpad(cast(p as varchar), 2, '0') as unit_code,
               'Tỉnh giả lập ' || p as name_vi, 'province' as level, null as parent_code,
               date '2015-01-01' as valid_from, cast(null as date) as valid_to,
               null as successor_code, 'synthetic' as source
        from range(1, {PROVINCES} + 1) as t(p)
        union all
        select 'SYN-R' || lpad(cast(r as varchar), 3, '0'), 'Khu vực giả lập ' || r, 'region',
               'SYN-P' || lpad(cast(r % {PROVINCES} + 1 as varchar), 2, '0'),
               date '2015-01-01', null, null, 'synthetic'
        from range(1, {REGIONS} + 1) as t(r)
    """)
    kinds = " union all ".join(
        f"select '{k}' as clock, {share} as share, {limit} as limit_days"
        for k, share, limit in KINDS
    )
    span = (AS_OF - START).days
    con.execute(
        "create or replace temp table kinds as "
        f"select *, sum(share) over (order by clock) as cum from ({kinds})"
    )
    con.execute(f"""
        create or replace temp table synth as
        with base as (
            select i, random() as u_kind, random() as u_start, random() as u_dur,
                   random() as u_unit, random() as u_x
            from range({n_clocks}) as t(i)
        )
        select b.i, k.clock, k.limit_days,
               'SYN-R' || lpad(cast(cast(floor(b.u_unit * {REGIONS}) as integer) + 1 as varchar),
                               3, '0') as unit_code,
               cast(date '{START}' + cast(floor(b.u_start * {span}) as integer) as date)
                   as started_on,
               cast(floor(b.u_dur * k.limit_days * 1.6) as integer) as duration,
               b.u_x
        from base as b
        join kinds as k on b.u_kind < k.cum and b.u_kind >= k.cum - k.share
    """)
    given_clock_tables(con)
    execution = (
        "('issue_execution_decision', 'dispatch_execution_decision', 'report_to_serve', "
        "'summon_suspended_sentence')"
    )
    con.execute(f"""
        insert into marts.deadlines by name
        select
            clock || ':S' || i || ':'
                || case when clock in ('custody', 'detention') then 'O' || i else '0' end
                as clock_id,
            clock,
            case when clock like 'report_resolution%' then 'report'
                 when clock in ('custody', 'detention') then 'person'
                 when clock in {execution} then 'judgement'
                 else 'case' end as subject_type,
            'S' || i as subject_id,
            case when clock not like 'report_resolution%' then 'C' || (i // 3) end as case_id,
            case when clock in ('custody', 'detention') then 'P' || (i // 2) end as person_id,
            case when clock in {execution} then 'J' || i end as judgement_id,
            unit_code,
            'KSV-' || unit_code || '-' || (i % 8) as prosecutor_id,
            started_on,
            cast(started_on + limit_days as date) as due_on_nominal,
            cast(started_on + limit_days as date) as due_on,
            case when u_x > 0.97 or started_on + duration > date '{AS_OF}' then null
                 else cast(started_on + duration as date) end as closed_on,
            case when u_x > 0.97 or started_on + duration > date '{AS_OF}' then null
                 else 'EV' || i end as closed_by,
            'on_time' as status,
            date '{AS_OF}' as as_of
        from synth
    """)
    # cases (one per three clock ids), 2 % of them transferred to a neighbouring region
    con.execute("""
        insert into staging.stg_landing__cases by name
        select case_id, any_value(unit_code) as unit_code,
               any_value(prosecutor_id) as prosecutor_id, min(started_on) as instituted_date
        from marts.deadlines where case_id is not null group by case_id
    """)
    con.execute(f"""
        insert into staging.stg_landing__case_events by name
        select 'K' || case_id as event_id, 'case_transferred' as event_type,
               'case' as subject_type, case_id as subject_id, case_id,
               cast(instituted_date + 20 as date) as event_date,
               'SYN-R' || lpad(cast(cast(substr(unit_code, 6) as integer) % {REGIONS} + 1
                                    as varchar), 3, '0') as to_unit_code,
               'vks' as issuing_body, false as is_reference_pending
        from staging.stg_landing__cases
        where hash(case_id) % 50 = 0 and instituted_date + 20 <= date '{AS_OF}'
    """)
    con.execute("""
        insert into staging.stg_landing__crime_reports by name
        select subject_id as report_id, unit_code, prosecutor_id, started_on as received_date
        from marts.deadlines where subject_type = 'report'
    """)
    # closing events: report resolutions (5 % transferred to another body), suspensions
    con.execute("""
        insert into staging.stg_landing__case_events by name
        select closed_by as event_id,
               case when subject_type = 'report' and hash(clock_id) % 10 = 0
                        then 'report_suspended'
                    when subject_type = 'report' then 'report_resolved'
                    when clock in ('investigation', 'resumed_investigation')
                         and hash(clock_id) % 10 = 0 then 'investigation_suspended'
                    when clock = 'prosecution_decision' then 'indicted'
                    else 'investigation_concluded' end as event_type,
               subject_type, subject_id, case_id, closed_on as event_date,
               case when subject_type = 'report' and hash(clock_id) % 20 = 1 then 'transferred'
                    else 'not_instituted' end as outcome,
               'cqdt' as issuing_body, false as is_reference_pending
        from marts.deadlines
        where closed_by is not null and subject_type in ('report', 'case')
    """)
    # files received, returns, protests, signals, charges and terminations
    con.execute(f"""
        insert into staging.stg_landing__case_events by name
        select 'F' || clock_id as event_id, 'file_received_by_vks' as event_type,
               'case' as subject_type, case_id as subject_id, case_id,
               started_on as event_date, 'vks' as issuing_body,
               cast(null as boolean) as is_accepted, cast(null as varchar) as return_ground,
               false as is_reference_pending
        from marts.deadlines where clock = 'prosecution_decision'
        union all
        select 'V' || clock_id, 'returned_by_vks', 'case', case_id, case_id, started_on, 'vks',
               null, null, false
        from marts.deadlines where clock = 'supplementary_investigation_vks'
        union all
        select 'T' || clock_id, 'returned_by_court', 'case', case_id, case_id, started_on, 'toa',
               hash(clock_id) % 4 <> 0,
               case hash(clock_id) % 3 when 0 then 'other_crime' else 'missing_evidence' end,
               false
        from marts.deadlines where clock = 'supplementary_investigation_court'
        union all
        select 'Q' || clock_id, 'vks_requested_institution', 'case', case_id, case_id,
               cast(started_on + 5 as date), 'vks', null, null, false
        from marts.deadlines where clock = 'investigation' and hash(clock_id) % 40 = 0
            and started_on + 5 <= date '{AS_OF}'
    """)
    con.execute("""
        insert into staging.stg_landing__persons by name
        select distinct person_id, case_id, false as is_reference_pending
        from marts.deadlines where person_id is not null
    """)
    con.execute(f"""
        insert into staging.stg_landing__case_events by name
        select 'A' || person_id || case_id as event_id, 'charge_approved' as event_type,
               'person' as subject_type, person_id as subject_id, case_id,
               cast(min(started_on) as date) as event_date, 'vks' as issuing_body,
               cast(null as varchar) as outcome, false as is_reference_pending
        from marts.deadlines where clock = 'detention' group by person_id, case_id
        union all
        select 'X' || person_id || case_id, 'person_terminated', 'person', person_id, case_id,
               cast(min(started_on) + 30 as date), 'cqdt', 'not_a_crime', false
        from marts.deadlines where clock = 'detention' and hash(person_id) % 200 = 0
        group by person_id, case_id having min(started_on) + 30 <= date '{AS_OF}'
    """)
    con.execute("""
        insert into staging.stg_landing__judgements by name
        select judgement_id, case_id, 'P' || judgement_id as person_id, unit_code,
               'first' as instance, started_on as pronounced_date,
               case when hash(judgement_id) % 300 = 0 then 'acquitted' else 'convicted' end
                   as verdict,
               false as is_reference_pending
        from marts.deadlines where clock = 'issue_execution_decision'
    """)
    con.execute("""
        insert into staging.stg_landing__case_events by name
        select 'D' || judgement_id as event_id, 'protest_decided' as event_type,
               'judgement' as subject_type, judgement_id as subject_id, case_id, judgement_id,
               cast(pronounced_date + 40 as date) as event_date,
               hash(judgement_id) % 3 <> 0 as is_accepted, 'toa' as issuing_body,
               false as is_reference_pending
        from staging.stg_landing__judgements where hash(judgement_id) % 25 = 0
    """)
    con.execute("""
        insert into staging.stg_landing__detention_orders by name
        select regexp_extract(clock_id, '[^:]+$') as order_id, person_id, case_id, unit_code,
               clock as measure, 'investigation' as stage, 1 as extension_no,
               cast(started_on as timestamp) as start_at, due_on as stated_end_date,
               cast(started_on - 12 as date) as requested_date, false as is_reference_pending
        from marts.deadlines where clock in ('custody', 'detention')
    """)
    con.execute("""
        insert into marts.deadline_findings by name
        select 'illegal_order:' || clock_id as finding_id, 'illegal_order' as rule,
               'error' as severity, clock_id, subject_type, subject_id, case_id, unit_code,
               started_on as dated_on
        from marts.deadlines
        where clock in ('custody', 'detention') and hash(clock_id) % 100 = 0
        union all
        select 'extension_request_late:' || regexp_extract(clock_id, '[^:]+$'),
               'extension_request_late', 'warn', clock_id, subject_type, subject_id, case_id,
               unit_code, started_on
        from marts.deadlines where clock = 'detention' and hash(clock_id) % 10 = 0
        union all
        select 'premature_suspension:' || clock_id, 'premature_suspension', 'error', clock_id,
               subject_type, subject_id, case_id, unit_code, closed_on
        from marts.deadlines
        where clock = 'investigation' and closed_on is not null and hash(clock_id) % 50 = 0
    """)
    con.execute("drop table synth")


def build_all(
    con: duckdb.DuckDBPyConnection, verbose: bool = False
) -> dict[str, tuple[int, float]]:
    """Build every indicator model on the synthetic warehouse; (rows, seconds) per table."""
    set_run_vars(con, AS_OF)
    timings = {}
    for model in _indicator_models():
        t0, c0 = time.perf_counter(), time.process_time()
        rows = build_model(con, model)
        timings[model.table] = (rows, time.perf_counter() - t0)
        if verbose:
            print(
                f"  {model.table:50s} {rows:>12,} rows {timings[model.table][1]:7.2f} s wall "
                f"{time.process_time() - c0:7.2f} s cpu",
                flush=True,
            )
    return timings


def indicator_checks():
    return checks("int_stage_stocks") + checks("indicator_values")


@pytest.mark.slow
def test_synthetic_national_warehouse_keeps_every_invariant():
    con = warehouse()
    synthesize(con, 60_000)
    build_all(con)
    for model in _indicator_models():
        if model.grain:
            assert grain_violations(con, model) == 0, model.table
    for check in indicator_checks():
        assert check_failures(con, check, AS_OF)[0] == 0, check.name
    bad_rates = con.execute(
        "select count(*) from marts.indicator_values where kind = 'rate' "
        "and indicator_code <> 'clearance_rate' and (value < 0 or value > 1)"
    ).fetchall()
    assert bad_rates == [(0,)]
    kinds = {
        r[0]
        for r in con.execute("select distinct period_kind from marts.indicator_values").fetchall()
    }
    assert kinds == {
        "month",
        "quarter",
        "calendar_year",
        "statistical_year",
        "statistical_half",
        "na_year",
        "rolling_12m",
        "campaign",
    }
    units = con.execute(
        "select count(distinct unit_code) from marts.indicator_values where hierarchy = 'as_is'"
    ).fetchall()[0][0]
    assert (
        units
        == REGIONS + PROVINCES + len(["BTR-*", "VLG", "VLG-R1", "VLG-R2", "VLG-R3", "VLG-R4"]) - 1
    )
    totals = con.execute("""
        select hierarchy, sum(numerator), sum(denominator)
        from marts.indicator_values as v
        join marts.units as u using (hierarchy, unit_code)
        where u.level = 'province' and v.period_kind = 'calendar_year' and v.kind <> 'days'
        group by hierarchy order by hierarchy
    """).fetchall()
    assert totals[0][1:] == totals[1][1:] and totals[0][1] > 0
    # something of every indicator happened
    silent = con.execute("""
        select indicator_code from marts.indicator_values where period_kind = 'campaign'
        group by indicator_code having max(coalesce(numerator, 0) + coalesce(denominator, 0)) = 0
    """).fetchall()
    assert silent == []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=2_000_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    con = warehouse()
    con.execute(f"set threads = {args.threads}")
    t0 = time.perf_counter()
    synthesize(con, args.clocks)
    print(f"synthesised {args.clocks:,} clocks in {time.perf_counter() - t0:.1f} s")
    for table in (
        "marts.deadlines",
        "staging.stg_landing__case_events",
        "staging.stg_landing__cases",
    ):
        print(f"  {table}: {con.execute(f'select count(*) from {table}').fetchall()[0][0]:,} rows")
    t0, c0 = time.perf_counter(), time.process_time()
    build_all(con, verbose=True)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"all indicator models: {total:.1f} s wall, {cpu:.1f} s cpu on {args.threads} threads")
    t0 = time.perf_counter()
    for check in indicator_checks():
        n, _ = check_failures(con, check, AS_OF)
        print(f"  check {check.table}/{check.name}: {n} failing rows")
    print(f"balance checks: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
