"""Given rows of the scorecard marts that the campaign page reads besides the contract's
(marts.prosecutor_scorecard, marts.exemplary_gaps): a few rows each, known content."""

from __future__ import annotations

import duckdb


def given_scorecard_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace table marts.prosecutor_scorecard as
        select * from (values
            ('VLG-R3', 'KSV-01', date '2024-12-01', date '2025-11-30', true, 'on_time_rate',
             0.98, false, 0.95, '>=', 'met'),
            ('VLG-R3', 'KSV-01', date '2024-12-01', date '2025-11-30', true, 'closed_clocks',
             50, false, null, null, 'no_target'),
            ('VLG-R4', 'KSV-03', date '2024-12-01', date '2025-11-30', true, 'on_time_rate',
             null, true, 0.95, '>=', 'insufficient_data'))
            t(unit_code, prosecutor_id, period_start, period_end, is_complete, indicator_code,
              value, is_suppressed, target_value, target_comparator, status)
        """
    )
    con.execute(
        """
        create or replace table marts.exemplary_gaps as
        select * from (values
            ('unit', 'VLG-R3', 'VLG-R3', 'as_is', 'statistical_year', date '2024-12-01',
             date '2025-11-30', true, 'report_resolution_rate', false, 0.9, 0.95, 'VLG-R4',
             0.05, false),
            ('unit', 'VLG-R4', 'VLG-R4', 'as_is', 'statistical_year', date '2024-12-01',
             date '2025-11-30', true, 'report_resolution_rate', false, 0.95, 0.95, 'VLG-R4',
             0.0, true),
            ('prosecutor', 'KSV-01', 'VLG-R3', 'as_was', 'statistical_year', date '2024-12-01',
             date '2025-11-30', true, 'on_time_rate', false, 0.98, 0.98, 'KSV-01', 0.0, true),
            ('prosecutor', 'KSV-03', 'VLG-R4', 'as_was', 'statistical_year', date '2024-12-01',
             date '2025-11-30', true, 'on_time_rate', true, null, 0.95, 'KSV-02', null, false))
            t(subject_type, subject_id, unit_code, hierarchy, period_kind, period_start,
              period_end, is_complete, indicator_code, is_suppressed, value, best_value,
              best_subject_id, gap_to_best, is_best)
        """
    )
