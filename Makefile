# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test chaos bench deploy-check lint format venv clean

# Two installs: what the app needs (`make run`), then the test and lint tools on top (`make test`,
# `make lint`), so a first `make run` waits for no test tool. Quiet: errors still show.
PIP := $(PY) -m pip install -qq --disable-pip-version-check

$(VENV)/.installed-run: requirements.txt requirements-run.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing what the app needs into $(VENV) (the first time only)..."
	@$(PIP) -r requirements-run.txt
	@touch $@

$(VENV)/.installed: $(VENV)/.installed-run requirements-dev.txt
	@echo "Installing the test and lint tools into $(VENV) (the first time only)..."
	@$(PIP) -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

# Local demo: DEBUG, SQLite (unless DATABASE_URL says otherwise), the sandbox of Google and
# Anthropic, the web app and a local cron scheduler; their logs go to var/log/, and the URLs and
# the demo logins are printed last.
run: $(VENV)/.installed-run
	@$(PY) scripts/run_local.py --host $(HOST) --port $(PORT)

# The whole suite, one worker per core (pytest-xdist; pytest-django makes a database per worker);
# honours DATABASE_URL (SQLite otherwise). TEST_WORKERS=0: one process. Exit 5 (no tests) fails too.
TEST_WORKERS ?= auto
test: venv
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The chaos suite: publish runners SIGKILLed, PostgreSQL restarted, connections cut, Google
# failing. Needs PostgreSQL (it restarts the local cluster once); not part of `make test`.
CHAOS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gbp_chaos
chaos: venv
	DATABASE_URL=$(CHAOS_DATABASE_URL) $(PY) -m pytest chaos -p no:cacheprovider $(PYTEST_ARGS)

# Every benchmark in bench/, one summary table at the end (BENCHMARKS.md records a run).
# DATABASE_URL=postgres://... to measure on PostgreSQL; BENCH_ARGS=--quick for a smoke run.
bench: venv
	$(PY) bench/run_all.py $(BENCH_ARGS)

# Vercel's own build of this checkout (`vercel build`, Django preset, no login), then the Build
# Output and the built function checked; see scripts/deploy_check.py. Tools cached in var/.
deploy-check:
	$(PYTHON) scripts/deploy_check.py

# ruff (lint and format) and import-linter (the layers of docs/architecture.md, .importlinter).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
