"""Given/expect helpers shared by the deadline tests: landed rows straight into raw.* tables,
and the column layout every intermediate clock table shares."""

from __future__ import annotations

from pipelines.contract import columns

CLOCK_COLUMNS = [
    "clock_id",
    "clock",
    "subject_type",
    "subject_id",
    "case_id",
    "person_id",
    "judgement_id",
    "unit_code",
    "prosecutor_id",
    "crime_category",
    "started_on",
    "due_on_nominal",
    "due_on",
    "is_provisional",
    "closed_on",
    "closed_by",
    "status",
    "days_late",
    "days_remaining",
    "rule_id",
    "legal_basis",
    "explanation",
    "explanation_en",
]


def insert(con, table: str, *rows: dict, batch: str = "b1") -> None:
    """Insert contract rows into raw.<table> as one landed batch."""
    names = [c.name for c in columns(table)]
    for n, row in enumerate(rows, start=1):
        unknown = set(row) - set(names)
        assert not unknown, f"not in the contract: {unknown}"
        values = {"updated_at": "2020-01-01 00:00:00", "is_deleted": False, **row}
        cols = [*values, "_batch_id", "_row_number"]
        con.execute(
            f"insert into raw.{table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
            [*values.values(), batch, n],
        )


TRIAGE_MARTS = ("marts.worklist_triage", "marts.interagency_deadlines")


def build_triage(con, as_of) -> None:
    """marts.worklist_triage and marts.interagency_deadlines by the models' own SQL, on marts
    a test made by hand (deadlines, deadline_watchlist, batch_ledger): the staging tables they
    read are built from the raw tables first."""
    from pipelines import dbt_compiled

    project = dbt_compiled.load()
    models = project.by_table()
    dbt_compiled.set_run_vars(con, as_of)
    con.execute("alter table marts.batch_ledger add column if not exists received_on date")
    for name in ("staging.stg_landing__case_events", "staging.stg_landing__detention_movements",
                 "staging.stg_landing__execution_events", *TRIAGE_MARTS):
        dbt_compiled.build_model(con, models[name])


def worklist_warehouse(as_of):
    """An in-memory warehouse whose marts are built by the SQL models from a few landed rows
    chosen to fill every section of the worklist, the inter-agency list and the findings:
    C1 due soon with the procuracy's own approve_charge open; C2 overdue since the previous
    run; C4 due today; C3 long overdue with no activity (suspected gap); P2 a detention long
    past its end with no release (a suspected gap and a held_without_order finding). C3 and
    C4 belong to another unit than C1 and C2 (less serious cases: 2 months of investigation)."""
    import duckdb

    from pipelines import dbt_compiled, paths
    from pipelines.check_log import _ensure_table
    from pipelines.contract import create_raw_tables
    from pipelines.reference.load import load_reference

    con = duckdb.connect()
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    for schema in ("raw", "reference", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con, paths.REFERENCE_DIR)
    create_raw_tables(con)
    insert(con, "cases",
           dict(case_id="C1", unit_code="BTR-TP", prosecutor_id="KSV-1",
                instituted_date="2025-11-05", penal_code_article=173,
                crime_category="less_serious"),
           dict(case_id="C2", unit_code="BTR-TP", prosecutor_id="KSV-2",
                instituted_date="2025-10-30", penal_code_article=173,
                crime_category="less_serious"),
           dict(case_id="C3", unit_code="BTR-BD", prosecutor_id="KSV-3",
                instituted_date="2025-01-01", penal_code_article=173,
                crime_category="less_serious"),
           dict(case_id="C4", unit_code="BTR-BD", prosecutor_id="KSV-3",
                instituted_date="2025-10-31", penal_code_article=173,
                crime_category="less_serious"))
    insert(con, "persons", dict(person_id="P1", case_id="C1"), dict(person_id="P2", case_id="C1"))
    insert(con, "case_events",
           dict(event_id="E-ch", event_type="person_charged", subject_type="person",
                subject_id="P1", case_id="C1", event_date="2025-12-28", issuing_body="cqdt"),
           dict(event_id="E-rec", event_type="charge_received_by_vks", subject_type="person",
                subject_id="P1", case_id="C1", event_date="2025-12-29", issuing_body="vks"))
    insert(con, "detention_orders",
           dict(order_id="O-9", person_id="P2", case_id="C1", unit_code="BTR-TP",
                facility_code="TTG-1", measure="detention", stage="investigation",
                extension_no=0, start_at="2025-09-05 08:00", stated_end_date="2025-11-03"))
    dbt_compiled.build(con, as_of)
    _ensure_table(con)  # marts.validation_results, written by the checks of a nightly run
    return con
