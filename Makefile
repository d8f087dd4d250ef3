# plansmith: `make run` starts a demo on SQLite, `make test` runs every check. Both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The console's chart library, from the npm registry, served from the project's static files.
WEBUI_VENDOR := src/plansmith/entrypoints/webui/vendor
CHART_JS := src/plansmith/entrypoints/webui/static/vendor/chart.umd.min.js

.PHONY: install browser-tools run test lint format messages simulate bench bench-api bench-collection bench-load clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "plansmith needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

$(CHART_JS): $(WEBUI_VENDOR)/package.json $(WEBUI_VENDOR)/package-lock.json
	npm ci --prefix $(WEBUI_VENDOR) --no-audit --no-fund --silent
	cp $(WEBUI_VENDOR)/node_modules/chart.js/dist/chart.umd.min.js $@

install: $(STAMP) $(CHART_JS)

# The demo is loaded the first time only (your changes stay); every run prints working
# sign-ins, API keys and portal links. Ctrl-C stops the server cleanly (exit status 0).
# Another port: PLANSMITH_PORT=8001 PLANSMITH_BASE_URL=http://127.0.0.1:8001 make run
run: install
	@$(BIN)/plansmith db upgrade
	@$(BIN)/plansmith demo
	@$(BIN)/plansmith serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install browser-tools
	scripts/test-services.sh
	$(MAKE) --no-print-directory lint
	PLANSMITH_BROWSER_CHECKS=required $(BIN)/pytest -n auto --dist worksteal

# Random account histories against the reference model (docs/simulation.md): SEEDS histories
# from seed FIRST, on SQLite; DATABASE=postgresql for PostgreSQL, JOBS=2 for two processes.
SEEDS ?= 100
FIRST ?= 1
DATABASE ?= sqlite
JOBS ?= 1
simulate: install
	@if [ "$(DATABASE)" = postgresql ]; then scripts/test-services.sh; fi
	$(BIN)/python -m tests.simulation.runner --seeds $(SEEDS) --first $(FIRST) --database $(DATABASE) --jobs $(JOBS)

# axe-core, which the browser tests inject into every page, from the lockfile (no npm: a plain
# pytest skips the accessibility checks; `make test` and CI=true fail without them).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	else echo "npm not found: the accessibility checks of the browser tests cannot run"; fi

browser-tools: node_modules/.package-lock.json

# After adding or changing a label: extract it into every catalog, then translate the empty ones.
messages: install
	$(BIN)/python scripts/messages.py update
	$(BIN)/python scripts/messages.py check || true

bench: install
	scripts/test-services.sh
	$(BIN)/python bench/billing_run.py --subscriptions 100000 --workers 2

# 100,000 due invoices collected through the sandbox gateway by 2 workers (Dramatiq on Redis);
# a quick check: .venv/bin/python bench/collection_run.py --invoices 2000
bench-collection: install
	scripts/test-services.sh
	$(BIN)/python bench/collection_run.py --invoices 100000 --workers 2

bench-api: install
	scripts/test-services.sh
	scripts/bench-tools.sh
	$(BIN)/python bench/api.py

# 10 minutes of a mixed load (entitlement checks, usage batches, portal pages, changes; billing
# and collection runs beside it) on the production set-up, against a raw app; then the ledger's
# invariants. A quick check: .venv/bin/python bench/load.py --duration 30 --accounts 200
bench-load: install
	scripts/test-services.sh
	$(BIN)/python bench/load.py --duration 600 --accounts 2000

clean:
	rm -rf $(VENV) node_modules var test-artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis
