"""One vocabulary for analysts: which code list of `reference.codes` (data/reference/codes.csv)
each status-like column of the marts takes its codes from.

The same meaning has the same code in every mart (a target met is `met` in
`indicator_values.target_status` and in `campaign_scorecard.status`); the Vietnamese and English
labels are in `reference.codes` (`list`, `code`, `label_vi`, `label_en`). A test checks every
value of these columns in the published snapshot against its list, and that every mart column
named `status` or `*_status` is declared here.
"""

from __future__ import annotations

# (mart, column) -> code list
CODE_COLUMNS: dict[tuple[str, str], str] = {
    ("deadlines", "status"): "clock_status",
    ("deadline_watchlist", "status"): "clock_status",
    ("protest_windows", "status"): "window_status",
    ("indicator_values", "target_status"): "target_status",
    ("campaign_scorecard", "status"): "target_status",
    ("campaign_scorecard", "target_status"): "target_status",
    ("prosecutor_scorecard", "status"): "target_status",
    ("prosecutor_scorecard", "target_status"): "target_status",
    ("batch_ledger", "status"): "file_status",
    ("batch_ledger", "manifest_status"): "manifest_status",
    ("batch_ledger", "refusal_code"): "refusal_reason",
    ("quarantine", "status"): "rejection_status",
    ("quarantine", "rule"): "quarantine_rule",
    ("quarantine_routes", "route_via"): "route_via",
    ("data_findings", "status"): "finding_status",
    ("data_findings", "rule"): "finding_rule",
    ("data_finding_ages", "status"): "finding_status",
    ("data_finding_ages", "rule"): "finding_rule",
    ("deadline_findings", "rule"): "finding_rule",
    ("deadline_findings", "severity"): "severity",
    ("quarantine", "severity"): "severity",
    ("validation_results", "severity"): "check_severity",
    ("validation_results", "tool"): "check_tool",
    ("wrongful_prosecutions", "rule"): "wrongful_rule",
    ("missed_crime_signals", "signal"): "missed_signal",
    ("batch_ledger", "table_name"): "landing_table",
    ("worklist_triage", "status"): "clock_status",
    ("worklist_triage", "triage"): "triage",
    ("worklist_triage", "gap_reason"): "gap_reason",
    ("interagency_deadlines", "status"): "clock_status",
    ("interagency_deadlines", "phase"): "interagency_phase",
    ("interagency_deadlines", "agency"): "body",
}


def is_status_column(column: str) -> bool:
    """A column that holds a status code (its `_vi` label twins are labels, not codes)."""
    return column == "status" or (column.endswith("_status") and not column.endswith("_vi"))
