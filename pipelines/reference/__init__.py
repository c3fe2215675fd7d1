"""Reference data assets: units, calendar, code lists, deadline rules, indicators, targets."""

from pipelines.reference.assets import reference_tables

ASSETS: list = [reference_tables]
CHECKS: list = []
