"""The Great Expectations suites in expectations/: they load with the installed GX, state the
output contract, catch corrupted marts, and block publication through Dagster (a WARN-level
row-count band never does)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines import dbt_project, paths
from pipelines.quality import gx_runner, suites
from pipelines.quality.gx_checks import CHECK_NAME, build_gx_checks, gx_check
from pipelines.resources import CasewatchSettings, Warehouse

AS_OF = dt.date(2024, 3, 11)
OUTPUTS_MD = paths.ROOT / "docs" / "contract" / "outputs.md"
MARTS_OF_THE_CONTRACT = {
    "deadlines", "protest_windows", "deadline_watchlist", "deadline_findings", "indicator_values",
    "campaign_scorecard", "wrongful_prosecutions", "missed_crime_signals", "batch_ledger",
    "quarantine", "data_findings",
}

COLUMNS_BY_THE_SQL = {"wrongful_prosecutions", "missed_crime_signals", "exemplary_candidates"}


def _codes(list_name: str) -> set[str]:
    con = duckdb.connect()
    rows = con.execute(
        "select code from read_csv(?, all_varchar = true) where list = ?",
        [str(paths.REFERENCE_DIR / "codes.csv"), list_name],
    ).fetchall()
    return {r[0] for r in rows}


def _value_set(suite: str, name: str) -> set:
    spec = suites.load_spec(suite)
    (e,) = [e for e in spec["expectations"] if e["meta"]["name"] == name]
    return set(e["kwargs"]["value_set"])


# ------------------------------------------------------------------------------ the files


def test_every_suite_loads_with_the_installed_gx():
    import great_expectations as gx

    names = suites.suite_names()
    assert set(names) >= MARTS_OF_THE_CONTRACT
    for path in suites.suite_paths():
        raw = json.loads(path.read_text(encoding="utf-8"))
        plain = gx.ExpectationSuite(**raw)  # the file as it is, no help from the project
        assert plain.name == path.stem
        assert len(plain.expectations) == len(raw["expectations"]) > 3
        built = suites.build_suite(raw)
        severities = {e.meta["name"]: e.severity.value for e in built.expectations}
        for e in raw["expectations"]:
            assert severities[e["meta"]["name"]] == {"error": "critical", "warn": "warning"}[
                e["meta"]["severity"]]


@pytest.mark.parametrize("name", suites.suite_names())
def test_suite_states_its_contract(name):
    spec = suites.load_spec(name)
    contract = OUTPUTS_MD.read_text(encoding="utf-8")
    assert name in MARTS_OF_THE_CONTRACT | {"exemplary_candidates"}
    assert name == "exemplary_candidates" or f"marts.{name}" in contract
    names = [e["meta"]["name"] for e in spec["expectations"]]
    assert len(names) == len(set(names)), "expectation names are check names: unique per suite"
    for e in spec["expectations"]:
        assert e["meta"]["severity"] in suites.SEVERITIES
        assert e.get("description") and e["meta"].get("description_vi")
    types = [e["type"] for e in spec["expectations"]]
    assert types[0] == "expect_table_columns_to_match_set"
    assert "expect_column_values_to_be_unique" not in types  # keys: the SQL grain checks
    (band,) = [e for e in spec["expectations"]
               if e["type"] == "expect_table_row_count_to_be_between"]
    assert band["meta"]["severity"] == "warn", "a quiet night must never block"
    if name in COLUMNS_BY_THE_SQL:
        return  # outputs.md describes these in words; their columns are the SQL model's
    for column in spec["expectations"][0]["kwargs"]["column_set"]:
        assert re.search(rf"\b{column}\b", contract), f"{column} is not in outputs.md"


def test_value_sets_agree_with_the_code_lists():
    assert _value_set("deadlines", "in_set:clock") == _codes("clock") - {"protest_window"}
    assert _value_set("deadline_watchlist", "in_set:clock") == _codes("clock") - {"protest_window"}
    assert _value_set("deadlines", "in_set:status") == _codes("clock_status")
    assert _value_set("deadlines", "in_set:subject_type") == _codes("subject_type")
    assert _value_set("deadlines", "in_set:crime_category") == _codes("crime_category")
    assert _value_set("protest_windows", "in_set:status") == _codes("window_status") | {"open"}
    # in_progress (codes 1.1) is a status of the campaign scorecard only (outputs §3)
    assert _value_set("indicator_values", "in_set:target_status") == (
        _codes("target_status") - {"in_progress"})
    assert _value_set("indicator_values", "in_set:period_kind") == _codes("period_kind")
    assert _value_set("indicator_values", "in_set:hierarchy") == _codes("hierarchy")
    findings = _codes("finding_rule")
    assert _value_set("data_findings", "in_set:rule") == {
        "reference_pending", "movement_order", "fact_conflict"} < findings
    assert _value_set("deadline_findings", "in_set:rule") == findings - _value_set(
        "data_findings", "in_set:rule")


def test_quarantine_rules_are_the_ingestion_rules():
    from pipelines.ingest.rules import QUARANTINE_RULES

    assert _value_set("quarantine", "in_set:rule") == set(QUARANTINE_RULES)


# ------------------------------------------------------------------------------ validation

DEADLINE_COLUMNS = """
    clock_id varchar, clock varchar, subject_type varchar, subject_id varchar, case_id varchar,
    person_id varchar, judgement_id varchar, unit_code varchar, prosecutor_id varchar,
    crime_category varchar, started_on date, due_on_nominal date, due_on date,
    is_provisional boolean, closed_on date, closed_by varchar, status varchar, days_late bigint,
    days_remaining bigint, is_due_soon boolean, rule_id varchar, legal_basis varchar,
    explanation varchar, explanation_en varchar, as_of date
"""
# (clock_id, clock, subject_type, subject_id, case_id, person_id, unit_code, crime_category,
#  started_on, due_on_nominal, due_on, closed_on, closed_by, status, days_late,
#  days_remaining, is_due_soon)
GOOD_CLOCKS = [
    ("investigation:C1:0", "investigation", "case", "C1", "C1", None, "BTR-TP", "serious",
     "2024-01-10", "2024-04-10", "2024-04-10", None, None, "open", 0, 30, False),
    ("prosecution_decision:C2:E7", "prosecution_decision", "case", "C2", "C2", None, "BTR-CT",
     "less_serious", "2023-12-12", "2024-01-01", "2024-01-02", "2024-01-05", "E9", "late", 3,
     None, False),
    ("custody:P1:O1", "custody", "person", "P1", "C3", "P1", "BTR-GT", None,
     "2024-03-01", "2024-03-04", "2024-03-04", None, None, "overdue", 7, None, False),
    ("hearing_opening:C4:E2", "hearing_opening", "case", "C4", "C4", None, "BTR-BT", "serious",
     "2024-03-01", "2024-03-16", "2024-03-18", None, None, "open", 0, 7, True),
]


def _deadlines_sql(rows: list[tuple]) -> list[str]:
    def lit(v):
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return f"date '{v}'"
        return "'" + v.replace("'", "''") + "'"

    statements = [f"create or replace table marts.deadlines ({DEADLINE_COLUMNS})"]
    for r in rows:
        (clock_id, clock, subject_type, subject_id, case_id, person_id, unit, category, started,
         nominal, due, closed, closed_by, status, late, remaining, soon) = r
        values = [clock_id, clock, subject_type, subject_id, case_id, person_id, None, unit,
                  "KSV-01", category, started, nominal, due, False, closed, closed_by, status,
                  late, remaining, soon, f"{clock}:base", "BLTTHS 2015", "giải thích",
                  "explanation", AS_OF.isoformat()]
        statements.append(f"insert into marts.deadlines values ({', '.join(map(lit, values))})")
    return statements


def _frame(statements: list[str], table: str = "marts.deadlines") -> pd.DataFrame:
    con = duckdb.connect()
    con.execute("create schema marts")
    for s in statements:
        con.execute(s)
    return con.sql(f"select * from {table}").df()


def _failed(outcome: suites.SuiteOutcome) -> dict[str, tuple[str, int]]:
    return {o.name: (o.severity, o.failing_count) for o in outcome.results if not o.success}


def test_clean_deadlines_pass_every_expectation():
    outcome = suites.validate(_frame(_deadlines_sql(GOOD_CLOCKS)), suites.load_spec("deadlines"),
                              as_of=AS_OF)
    assert _failed(outcome) == {}
    assert outcome.passed and outcome.rows == len(GOOD_CLOCKS)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # due_on before due_on_nominal
        ({10: "2024-04-09"}, "due_on_not_before_nominal"),
        # a late clock with no days late
        ({14: 0, 0: "prosecution_decision:C2:E8"}, "late_means_days_late"),
        # an unknown status
        ({13: "lapsed", 15: None}, "in_set:status"),
        # an open clock with days_remaining missing
        ({15: None}, "open_clock_has_days_remaining"),
        # a clock that starts after the as-of date
        ({8: "2024-03-12", 9: "2024-07-12", 10: "2024-07-12", 15: 123}, "started_by_as_of"),
    ],
)
def test_a_corrupted_deadline_fails_its_expectation(change, expected):
    base = list(GOOD_CLOCKS[1] if expected == "late_means_days_late" else GOOD_CLOCKS[0])
    for i, v in change.items():
        base[i] = v
    base[0] = base[0] + ":bad"
    outcome = suites.validate(
        _frame(_deadlines_sql([*GOOD_CLOCKS, tuple(base)])), suites.load_spec("deadlines"),
        as_of=AS_OF,
    )
    failed = _failed(outcome)
    assert set(failed) == {expected}
    assert failed[expected] == ("error", 1)


def test_a_wrong_column_type_is_caught():
    statements = _deadlines_sql(GOOD_CLOCKS)
    statements.append("alter table marts.deadlines alter days_late type varchar")
    outcome = suites.validate(_frame(statements), suites.load_spec("deadlines"), as_of=AS_OF)
    assert "type:days_late" in _failed(outcome)


def test_a_missing_column_fails_the_column_set():
    statements = _deadlines_sql(GOOD_CLOCKS) + ["alter table marts.deadlines drop explanation_en"]
    outcome = suites.validate(_frame(statements), suites.load_spec("deadlines"), as_of=AS_OF)
    failed = _failed(outcome)
    assert failed["columns_present"] == ("error", 1)
    detail = {o.name: o.detail for o in outcome.results}
    assert "explanation_en" in detail["columns_present"]


INDICATOR_DDL = """
create table marts.indicator_values (
    indicator_code varchar, stage varchar, hierarchy varchar, unit_code varchar,
    period_kind varchar, period_start date, period_end date, numerator double,
    denominator double, value double, target_value double, target_comparator varchar,
    target_source varchar, target_is_confirmed boolean, target_status varchar,
    definition_version varchar)
"""


def _indicator(code: str, value: float | None, num: float | None, den: float | None,
               status: str = "no_target", stage: str = "all") -> str:
    def lit(x):
        return "null" if x is None else repr(float(x))

    return (
        f"insert into marts.indicator_values values ('{code}', '{stage}', 'as_was', 'BTR-TP', "
        f"'month', date '2024-01-01', date '2024-01-31', {lit(num)}, {lit(den)}, {lit(value)}, "
        f"null, null, null, null, '{status}', 'v1')"
    )


def test_a_rate_of_1_5_fails_and_clearance_above_1_does_not():
    rows = [
        INDICATOR_DDL,
        _indicator("prosecution_on_time_rate", 0.9, 9, 10),
        _indicator("clearance_rate", 1.2, 12, 10, stage="investigation"),
        _indicator("wrongful_prosecution_count", 0, 0, None),
        _indicator("report_resolution_rate", None, 0, 0, status="insufficient_data"),
    ]
    spec = suites.load_spec("indicator_values")
    clean = suites.validate(_frame(rows, "marts.indicator_values"), spec, as_of=AS_OF)
    assert _failed(clean) == {}
    bad = suites.validate(
        _frame([*rows, _indicator("court_return_rate", 1.5, 15, 10)], "marts.indicator_values"),
        spec, as_of=AS_OF,
    )
    assert _failed(bad) == {"rate_within_0_1": ("error", 1),
                            "rate_numerator_within_denominator": ("error", 1)}


def test_unmasked_personal_data_in_the_quarantine_fails():
    ddl = """create table marts.quarantine (batch_id varchar, file_name varchar, row_number bigint,
        column_name varchar, rule varchar, table_name varchar, record_id varchar,
        unit_code varchar, severity varchar, message_vi varchar, message_en varchar,
        raw_value varchar, status varchar, resolved_by_batch varchar)"""

    def row(n: int, column: str, raw: str) -> str:
        return (f"insert into marts.quarantine values ('B1', 'persons.csv', {n}, '{column}', "
                f"'unparseable', 'persons', 'P{n}|C1', null, 'error', 'x', 'x', '{raw}', 'open', "
                "null)")

    spec = suites.load_spec("quarantine")
    ok = suites.validate(_frame([ddl, row(1, "birth_date", "***"), row(2, "sex", "X")],
                                "marts.quarantine"), spec, as_of=AS_OF)
    assert _failed(ok) == {}
    leaked = suites.validate(
        _frame([ddl, row(1, "birth_date", "***"), row(2, "national_id", "079123456789")],
               "marts.quarantine"), spec, as_of=AS_OF)
    assert _failed(leaked) == {"personal_data_masked": ("error", 1),
                               "raw_value_not_an_id_number": ("warn", 1)}


def test_row_count_band_is_relative_to_the_previous_run():
    spec = suites.load_spec("deadlines")
    assert suites.row_count_parameters(spec, None) == {"row_count_min": 1,
                                                       "row_count_max": 50_000_000}
    assert suites.row_count_parameters(spec, 1000)["row_count_min"] == 500
    outcome = suites.validate(_frame(_deadlines_sql(GOOD_CLOCKS)), spec, as_of=AS_OF,
                              previous_rows=100)
    assert _failed(outcome) == {"row_count_in_band": ("warn", 1)}
    assert not outcome.failed_errors


# ------------------------------------------------------------------------------ Dagster


def _graph(statements: list[str], mart: str = "deadlines"):
    """A stand-in for the mart's SQL asset, something downstream of it (as publication is),
    and the real GX check."""
    key = dg.AssetKey(["marts", mart])

    @dg.asset(key=key)
    def mart_asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            for s in statements:
                con.execute(s)
            (n,) = con.execute(f"select count(*) from marts.{mart}").fetchall()[0]
        return dg.MaterializeResult(metadata={"dagster/row_count": n})

    @dg.asset(key=["published", "stand_in"], deps=[key])
    def downstream() -> None:
        return None

    return [mart_asset, downstream, gx_check(mart)]


def _resources(tmp_path: Path) -> dict:
    return {
        "settings": CasewatchSettings(as_of=AS_OF.isoformat(), out_dir=str(tmp_path / "out"),
                                      warehouse_path=str(tmp_path / "w.duckdb")),
        "warehouse": Warehouse(path=str(tmp_path / "w.duckdb")),
    }


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_a_corrupted_mart_blocks_publication(tmp_path):
    bad = list(GOOD_CLOCKS[0])
    bad[0], bad[10] = "investigation:C9:0", "2024-04-09"  # due_on before due_on_nominal
    result = dg.materialize(_graph(_deadlines_sql([*GOOD_CLOCKS, tuple(bad)])),
                            resources=_resources(tmp_path), raise_on_error=False)
    assert not result.success
    assert _materialized(result) == {"marts/deadlines"}  # publication did not run
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == CHECK_NAME and not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["failed_error"].value == 1
    assert evaluation.metadata["failing_rows"].value == 1

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    rows = con.execute(
        "select check_name, tool, severity, passed, failing_count from marts.validation_results "
        "where run_id = ? and asset = 'marts.deadlines'", [result.run_id]).fetchall()
    spec = suites.load_spec("deadlines")
    assert len(rows) == len(spec["expectations"])  # one row per expectation
    failed = [r for r in rows if not r[3]]
    assert failed == [("gx:due_on_not_before_nominal", "great_expectations", "error", False, 1)]


def test_a_rate_of_1_5_blocks_publication(tmp_path):
    statements = [INDICATOR_DDL, _indicator("prosecution_on_time_rate", 0.9, 9, 10),
                  _indicator("vks_return_rate", 1.5, 3, 2)]
    result = dg.materialize(_graph(statements, "indicator_values"),
                            resources=_resources(tmp_path), raise_on_error=False)
    assert not result.success
    assert "published/stand_in" not in _materialized(result)


def test_a_quiet_night_warns_and_does_not_block(tmp_path):
    empty = _deadlines_sql([])  # no clock at all: below the band's minimum of 1
    result = dg.materialize(_graph(empty), resources=_resources(tmp_path), raise_on_error=False)
    assert result.success
    assert _materialized(result) == {"marts/deadlines", "published/stand_in"}
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["failed_error"].value == 0
    assert evaluation.metadata["failed_warn"].value == 1


def test_checks_exist_only_for_defined_marts():
    checks = build_gx_checks({dg.AssetKey(["marts", "deadlines"])})
    keys = [k for c in checks for k in c.check_keys]
    assert [(k.asset_key.path, k.name) for k in keys] == [(["marts", "deadlines"], CHECK_NAME)]
    assert all(spec.blocking for c in checks for spec in c.check_specs)


def test_every_suite_targets_a_mart_of_the_graph_with_those_columns():
    from pipelines.definitions import build_defs

    defs = build_defs()
    checked = {k.asset_key.path[1] for c in defs.asset_checks for k in c.check_keys
               if k.name == CHECK_NAME}
    assert checked == set(suites.suite_names())
    manifest = dbt_project.load_manifest()
    documented = {
        n["name"]: set(n["columns"]) for n in dbt_project.model_nodes(manifest).values()
        if n["schema"] == "marts"
    }
    for name in suites.suite_names():
        for column in suites.load_spec(name)["expectations"][0]["kwargs"]["column_set"]:
            assert column in documented[name], f"marts.{name} documents no column {column}"


def test_a_sharp_drop_from_the_previous_run_warns(tmp_path):
    instance = dg.DagsterInstance.ephemeral()  # keeps the first run's row count
    first = dg.materialize(_graph(_deadlines_sql(GOOD_CLOCKS)), resources=_resources(tmp_path),
                           instance=instance)
    (evaluation,) = first.get_asset_check_evaluations()
    assert evaluation.passed
    second = dg.materialize(_graph(_deadlines_sql(GOOD_CLOCKS[:1])),
                            resources=_resources(tmp_path), instance=instance)
    assert second.success  # a warning, not a block
    (evaluation,) = second.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    (detail,) = con.execute(
        "select detail from marts.validation_results where run_id = ? "
        "and check_name = 'gx:row_count_in_band'", [second.run_id]).fetchall()[0]
    assert "observed 1 rows; band [2, 50000000]" in detail  # half of the previous 4, rounded up


def test_validation_needs_no_network_and_writes_nothing_home(tmp_path, monkeypatch):
    import socket

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    outcome = suites.validate(_frame(_deadlines_sql(GOOD_CLOCKS)), suites.load_spec("deadlines"),
                              as_of=AS_OF)
    assert outcome.passed
    assert attempts == []
    assert list(home.iterdir()) == []


# ------------------------------------------------------------------------------ chunked validation

def _big_deadlines(rows: int) -> duckdb.DuckDBPyConnection:
    """A clean marts.deadlines of `rows` rows: the good clocks repeated with distinct ids."""
    con = duckdb.connect()
    con.execute("create schema marts")
    for s in _deadlines_sql(GOOD_CLOCKS):
        con.execute(s)
    con.execute("create table seed as select * from marts.deadlines")
    con.execute("delete from marts.deadlines")
    con.execute(
        "insert into marts.deadlines select seed.* replace (clock_id || ':' || i as clock_id) "
        f"from seed, range({rows // len(GOOD_CLOCKS)}) r(i)"
    )
    return con


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_planted_violation_in_any_chunk_fails_the_check(where, workers):
    """Every row is validated: the mart is several chunks long, one row anywhere is bad,
    whether GX runs in this process or in the worker processes."""
    con = _big_deadlines(10_000)
    chunk = 2048
    (n,) = con.execute("select count(*) from marts.deadlines").fetchall()[0]
    assert n > 3 * chunk
    spec = suites.load_spec("deadlines")
    clean = suites.validate_table(con, "marts.deadlines", spec, as_of=AS_OF, chunk_rows=chunk,
                                  workers=workers)
    assert _failed(clean) == {} and clean.rows == n
    status = next(o for o in clean.results if o.name == "in_set:status")
    assert status.element_count == n  # every row of every chunk was looked at

    row = {"first": 0, "middle": n // 2, "last": n - 1}[where]
    con.execute(
        "update marts.deadlines set status = 'lapsed' where clock_id = "
        f"(select clock_id from marts.deadlines limit 1 offset {row})"
    )
    bad = suites.validate_table(con, "marts.deadlines", spec, as_of=AS_OF, chunk_rows=chunk,
                                workers=workers)
    assert _failed(bad)["in_set:status"] == ("error", 1)
    assert not bad.passed


def _reference(con: duckdb.DuckDBPyConnection, table: str, spec: dict) -> dict:
    """What GX says of each row-wise expectation on the mart's whole `.df()` frame, group by
    group: no chunks, no Arrow, GX in this process."""
    frame = con.sql(f"select * from {table}").df()
    parameters = suites._parameters(spec, AS_OF, None)
    results = []
    for columns, part in suites._groups(spec, list(frame.columns)):
        results += gx_runner.validate_frame(part, parameters, suites.fast_dtypes(frame[columns]))
    return {r.name: (r.success, r.result.get("unexpected_count"), r.result.get("element_count"))
            for r in results}


def test_chunks_arrow_and_workers_give_what_gx_says_on_the_whole_frame():
    """Violations of every kind of expectation, some in text columns with nulls (Python
    strings) and some without (Arrow text), a date beyond the nanosecond range: the chunked
    validation, in this process and in the workers, counts exactly what GX counts on the
    whole mart."""
    con = _big_deadlines(10_000)
    for change in [
        "status = 'lapsed' where clock_id like 'investigation:C1:0:7'",
        "status = null where clock_id like 'custody:P1:O1:4000'",
        "clock = null where clock_id like 'hearing_opening:C4:E2:9'",
        "closed_on = date '2400-01-01' where clock_id like 'prosecution_decision:C2:E7:2222'",
        "days_late = -3 where clock_id like 'custody:P1:O1:2499'",
        "explanation = '' where clock_id like 'investigation:C1:0:1234'",
        "clock_id = 'no id' where clock_id like 'hearing_opening:C4:E2:2000'",
        "days_remaining = null where clock_id like 'hearing_opening:C4:E2:1500'",
    ]:
        con.execute(f"update marts.deadlines set {change}")
    spec = suites.load_spec("deadlines")
    expected = _reference(con, "marts.deadlines", spec)
    assert sum(not ok for ok, _, _ in expected.values()) >= 7
    for workers in (0, 2):
        outcome = suites.validate_table(con, "marts.deadlines", spec, as_of=AS_OF,
                                        chunk_rows=2048, workers=workers)
        got = {o.name: (o.success, o.failing_count, o.element_count)
               for o in outcome.results if o.name in expected}
        assert got == {name: (ok, count or 0, n) for name, (ok, count, n) in expected.items()}


def test_arrow_chunks_reach_gx_with_the_types_and_values_of_df():
    con = duckdb.connect()
    con.execute("""create table t as select * from (values
        ('a', 'x', 1::integer, 10::bigint, null::bigint, 1.5::double, 2.5::float, true,
         null::boolean, date '2024-01-01', timestamp '2024-01-01 10:00', date '2400-01-01',
         timestamptz '2024-01-01 10:00:00+07', 1.25::decimal(10, 2), 7::utinyint),
        ('b', null, 2, 20, 5, null, null, false, true, null, null, null, null, null, 8))
        t(s, n, i, b, nb, d, f, bo, nbo, dt, ts, far, tz, dec, u)""")
    expected = suites.fast_dtypes(con.sql("select * from t").df())
    got = gx_runner.to_pandas(con.sql("select * from t").to_arrow_table())
    pd.testing.assert_frame_equal(got, expected)
    assert str(got["far"].dtype) == "datetime64[us]"  # beyond nanoseconds: kept as it came
    text = gx_runner.to_pandas(con.sql("select s, s as c, n from t").to_arrow_table(),
                               {"s": "arrow", "c": "category", "n": "arrow"})
    assert str(text["s"].dtype) == "string" and text["s"].tolist() == ["a", "b"]
    assert str(text["c"].dtype) == "category" and text["c"].tolist() == ["a", "b"]
    assert text["n"].dtype == object  # a null: Python strings, as `.df()` gives them


def test_a_failing_worker_task_fails_the_validation_and_the_next_one_runs():
    con = _big_deadlines(1_000)
    broken = {"name": "deadlines", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "clock"},
         "meta": {"name": "ok"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "clock"},
         "meta": {"name": "no_bounds"}},
    ]}
    with pytest.raises(RuntimeError, match="worker process failed"):
        suites.validate_table(con, "marts.deadlines", broken, as_of=AS_OF, workers=2)
    outcome = suites.validate_table(con, "marts.deadlines", suites.load_spec("deadlines"),
                                    as_of=AS_OF, workers=2)
    assert outcome.passed and outcome.rows == 1_000


def test_the_chunked_check_still_sees_a_missing_column_and_the_row_count():
    con = _big_deadlines(5_000)
    con.execute("alter table marts.deadlines drop column legal_basis")
    spec = suites.load_spec("deadlines")
    outcome = suites.validate_table(con, "marts.deadlines", spec, as_of=AS_OF, chunk_rows=2048,
                                    previous_rows=100_000)
    failed = _failed(outcome)
    assert failed["columns_present"][0] == "error"
    assert any(name.startswith("row_count") for name in failed)


@pytest.mark.parametrize("closed_on, failing", [
    ("2024-03-12", 1),   # a day after the as-of date, in the nanosecond range
    ("2400-01-01", 1),   # beyond datetime64[ns]: kept as it came, compared value by value
    ("2024-03-11", 0),
])
def test_dates_are_compared_whatever_dtype_they_arrive_in(closed_on, failing):
    """The chunk's dates are handed to GX as datetime64[ns] when they fit it; a date that
    does not still gets checked, and a violation fails the expectation either way."""
    con = _big_deadlines(5_000)
    con.execute(f"update marts.deadlines set closed_on = date '{closed_on}' where clock_id = "
                "(select clock_id from marts.deadlines where closed_on is not null limit 1)")
    outcome = suites.validate_table(con, "marts.deadlines", suites.load_spec("deadlines"),
                                    as_of=AS_OF, chunk_rows=2048)
    closed = next(o for o in outcome.results if o.name == "closed_by_as_of")
    assert closed.failing_count == failing and closed.success == (failing == 0)
    assert closed.element_count == con.execute(
        "select count(*) from marts.deadlines").fetchall()[0][0]  # every row looked at


def test_fast_dtypes_keeps_every_value_and_the_type_lists():
    import pandas as pd

    frame = pd.DataFrame({
        "d": pd.Series(pd.to_datetime(["2024-01-01", None]).astype("datetime64[us]")),
        "i": pd.Series([1, 2], dtype="int32"),
        "n": pd.Series([1, None], dtype="Int64"),
        "m": pd.Series([1, 2], dtype="Int64"),
        "s": ["a", None],
    })
    fast = suites.fast_dtypes(frame)
    assert {c: str(t) for c, t in fast.dtypes.items()} == {
        "d": "datetime64[ns]", "i": "int64", "n": "Int64", "m": "int64", "s": "object"}
    for c in frame.columns:
        assert fast[c].astype(object).where(fast[c].notna(), None).tolist() == \
            frame[c].astype(object).where(frame[c].notna(), None).tolist()


def test_the_workers_leave_cleanly_when_closed():
    """Closing ends every worker through its pipes: the first process (which forked the
    others and waits for them) exits by itself rather than being killed."""
    con = _big_deadlines(1_000)
    suites.validate_table(con, "marts.deadlines", suites.load_spec("deadlines"), as_of=AS_OF,
                          workers=2)
    first = [w.proc for w in gx_runner.runner(2)._workers if w.proc is not None]
    assert len(first) == 1 and first[0].poll() is None
    gx_runner.close_workers()
    assert first[0].returncode == 0
    assert gx_runner.runner(2)._workers == []
