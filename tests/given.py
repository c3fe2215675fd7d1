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
