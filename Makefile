# The documented entry points: make demo, make test (and make install, make lint, make bench).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# PostgreSQL for the second test run: TEST_DATABASE_URL, or the local server when it answers.
PG_URL ?= $(or $(TEST_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/postgres)
export GRASSROOTS_DATA_DIR ?= $(CURDIR)/var

# The suite runs on both cores (pytest-xdist, a test database per worker); WORKERS=1 for a serial run.
WORKERS ?= 2
# The coverage floors: the whole package, and the layers everything stands on.
COVERAGE_FLOOR ?= 90
FULLY_COVERED := */grassroots/access/*,*/grassroots/constitution/*

.PHONY: install install-test browser demo serve test test-sqlite test-postgres lint checks bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(BIN)/grassroots demo --port $(PORT)

serve: install
	$(BIN)/grassroots migrate && $(BIN)/grassroots serve --port $(PORT)

lint: install-test
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/lint-imports
	$(BIN)/mypy

checks: install-test
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

test: install-test browser lint checks test-sqlite test-postgres

# On SQLite the run measures coverage and fails under the floors, listing the uncovered lines.
test-sqlite:
	@echo "== test suite on SQLite, $(WORKERS) workers, with coverage =="
	env -u DATABASE_URL $(BIN)/pytest -n $(WORKERS) --cov --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
	$(BIN)/coverage report --include='$(FULLY_COVERED)' --show-missing --fail-under=100

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(PG_URL)" 2>/dev/null; then \
	  echo "== test suite on PostgreSQL =="; \
	  DATABASE_URL="$(PG_URL)" $(BIN)/pytest -n $(WORKERS); \
	else echo "== PostgreSQL does not answer at $(PG_URL): SQLite run only =="; fi

# Benchmarks print their ratios to a floor measured in the same run; BENCH_ARGS="200000" for a quicker run.
bench: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,bench]"
	for script in bench/*.py; do $(BIN)/python $$script $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
