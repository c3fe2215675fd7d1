"""Ingestion of generated batches: exactly the planted bad rows are quarantined (right batch, file,
row, column and rule), the truncated batch is refused whole, the planted cross-record problems
become data findings, and every loaded file balances."""

from __future__ import annotations

import datetime as dt
import json

from test_ingest import assert_balanced

from pipelines.generator import generate
from pipelines.ingest import ingest_landing

RULE_OF_CLASS = {"unparseable_value": "unparseable"}
FINDING_OF_CLASS = {"reference_never_arrives": "reference_pending",
                    "release_before_intake": "movement_order"}


def test_generated_defects_are_caught_exactly(con, build, tmp_path):
    landing = tmp_path / "landing"
    generate(out=landing, seed=11, scale="district", start=dt.date(2024, 1, 1),
             end=dt.date(2024, 6, 30), defect_rate=0.01, batches="daily")
    doc = json.loads((landing / "_defects.json").read_text(encoding="utf-8"))
    defects = doc["defects"]
    assert defects, "the generator planted nothing"

    summary = ingest_landing(con, landing, log=lambda *_: None)
    build("2024-06-30", only=["marts.quarantine", "marts.data_findings", "marts.batch_ledger"])
    assert_balanced(con)

    # The truncated transfer: its batch is refused whole and nothing of it is loaded.
    refused = doc["refused_batch"]
    statuses = con.execute(
        "select distinct status, refusal_code from raw.batch_ledger where batch_id = ?",
        [refused]).fetchall()
    # the file that broke it names the reason; the others were not loaded because of it
    assert ("refused", "manifest_mismatch") in statuses
    assert set(statuses) <= {("refused", "manifest_mismatch"), ("refused", "batch_refused")}
    assert summary.batches_refused == 1
    assert con.execute("select count(*) from raw.batch_ledger where status = 'refused'"
                       ).fetchall() == [(len(list((landing / refused).glob("*.*"))) - 1,)]

    # Exactly the planted rows are quarantined, with the planted rule and column.
    planted = {
        (d["batch"], d["file"], d["row"]): d for d in defects if d["outcome"] == "quarantined"
    }
    quarantined: dict[tuple, set] = {}
    for batch, file, row, column, rule in con.execute(
            "select batch_id, file_name, row_number, column_name, rule from raw.quarantine"
    ).fetchall():
        quarantined.setdefault((batch, file, row), set()).add((column, rule))
    assert set(quarantined) == set(planted)
    for where, d in planted.items():
        rule = RULE_OF_CLASS.get(d["class"], d["class"])
        assert rule in {r for _, r in quarantined[where]}, (where, d)
        if rule != "duplicate_conflict":  # reported on the key, planted on the content
            assert (d["column"], rule) in quarantined[where], (where, d)

    # The planted cross-record problems are findings, not quarantined.
    findings = set(con.execute(
        "select rule, table_name, record_id from marts.data_findings").fetchall())
    for d in defects:
        if d["outcome"] == "finding":
            assert (FINDING_OF_CLASS[d["class"]], d["table"], d["record_id"]) in findings, d
