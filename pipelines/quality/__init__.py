"""Dagster assets and checks of this area, collected by `pipelines.definitions`."""

ASSETS: list = []
CHECKS: list = []
