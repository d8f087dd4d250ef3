# plansmith: `make run` starts a demo on SQLite, `make test` runs every check. Both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format messages bench bench-api clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "plansmith needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

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

test: install
	scripts/test-services.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -n auto --dist loadfile

# After adding or changing a label: extract it into every catalog, then translate the empty ones.
messages: install
	$(BIN)/python scripts/messages.py update
	$(BIN)/python scripts/messages.py check || true

bench: install
	scripts/test-services.sh
	$(BIN)/python bench/billing_run.py --subscriptions 100000 --workers 2

bench-api: install
	scripts/test-services.sh
	scripts/bench-tools.sh
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis
