# Thin entry points. Everything runs through uv from the committed lock file.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_COMPILE_BYTECODE := 1
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
SAMPLE := data/landing
# The bundled sample ends on 31/12/2025; `make run` computes status as of that day so the
# worklist shows what was due then. `casewatch run` alone defaults to today.
SAMPLE_AS_OF := 2025-12-31

.PHONY: setup run test ui bench bench-year sample lint

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || sed 's#/var/lib/casewatch/dagster#$(DAGSTER_HOME)#g' deploy/dagster.yaml > $(DAGSTER_HOME)/dagster.yaml
	@$(UV) run python -m pipelines.dbt_project

sample: setup
	@test -n "$$(ls -A $(SAMPLE) 2>/dev/null | grep -v '^_')" || $(UV) run casewatch generate --out $(SAMPLE) --sample

run: sample
	$(UV) run casewatch run --as-of $(SAMPLE_AS_OF)

test: setup
	@$(UV) run pytest; status=$$?; \
	if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then \
	  echo "NOTE: the browser tests (pages rendered in headless Chromium) did NOT run: chromium is not installed. Install it with 'sudo apt-get install chromium' (as .ci/run does), then run 'make test' again."; \
	fi; exit $$status

ui: setup
	$(UV) run casewatch ui

bench: setup
	$(UV) run python -m pipelines.bench $(BENCH_ARGS)

bench-year: setup
	$(UV) run python -m pipelines.bench --period year $(BENCH_ARGS)

lint: setup
	$(UV) run ruff check pipelines tests
	$(UV) run sqlfluff lint sql/models sql/checks sql/macros --processes 2
