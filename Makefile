# Two commands on a fresh machine: `make run` starts the product, `make test` runs the tests.
# Both create and fill the virtual environment in .venv themselves.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8000
EMULATOR_PORT ?= 8090
# `make run` only: a local secret so it works out of the box (set your own for anything Jira calls).
RUN_ENV := OKRSYNC_WEBHOOK_SECRET="$${OKRSYNC_WEBHOOK_SECRET:-local-dev-secret}" \
           OKRSYNC_DATA_DIR="$${OKRSYNC_DATA_DIR:-$(CURDIR)/.okrsync}"

.PHONY: run test venv bench soak clean browser forge-test postgres

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# With no Jira configured: the demo (emulator, demo company, web, worker, scheduler, activity).
# With OKRSYNC_JIRA_URL set: the service itself, against that site.
run: $(STAMP)
	@if [ -z "$$OKRSYNC_JIRA_URL" ]; then \
	  export OKRSYNC_DATA_DIR="$${OKRSYNC_DATA_DIR:-$(CURDIR)/.okrsync}"; \
	  exec $(BIN)/okrsync demo --host $(HOST) --port $(PORT) --emulator-port $(EMULATOR_PORT); \
	fi; \
	echo "okrsync: web on http://$(HOST):$(PORT), worker and scheduler alongside (Ctrl-C stops all)"; \
	export $(RUN_ENV); \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/okrsync worker & worker=$$!; \
	$(BIN)/okrsync scheduler & scheduler=$$!; \
	$(BIN)/okrsync serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium; installed here when missing (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "the browser tests need chromium and chromium-driver: sudo apt-get install chromium chromium-driver"; fi; }

# The warehouse tests start a PostgreSQL server of their own from Debian's package; installed here when missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "the warehouse tests need PostgreSQL: sudo apt-get install postgresql"; fi; }

test: $(STAMP) browser postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@$(MAKE) --no-print-directory forge-test
	$(BIN)/python -m pytest

# The Jira Cloud app (forge/) under Node: installed from its lock when node_modules is missing or older than the
# lock, without the UI Kit packages only `forge deploy` needs (its optionalDependencies); skipped without Node.
FORGE_INSTALLED := forge/node_modules/.package-lock.json
forge-test:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "forge/: node not found — Forge app tests skipped; install Node 20 to run them"; exit 0; fi; \
	if [ ! -f $(FORGE_INSTALLED) ] || [ forge/package-lock.json -nt $(FORGE_INSTALLED) ]; then \
	  npm ci --prefix forge --omit=optional --no-audit --no-fund --loglevel=error || exit 1; fi; \
	npm test --prefix forge --silent

# All benchmarks, each in its own process, then one table (bench/results/summary.json); ~20 min.
# BENCH_ARGS="--quick" for a smoke run, "--only ingest,economy" for some of them.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# The long fault suite: a 10-minute soak, longer streams, more kills (15-20 minutes).
soak: $(STAMP)
	$(BIN)/python -m pytest tests/reliability -q -s --soak

clean:
	rm -rf $(VENV) .okrsync .pytest_cache
