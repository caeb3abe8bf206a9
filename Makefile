# Engagement Tracker — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# pytest-xdist: one worker per core (each on a database of its own); XDIST= runs in one process.
XDIST ?= -n auto --dist worksteal

.PHONY: run test test-postgres test-browser lint format bench install db-upgrade screenshots clean help soak

help:
	@echo "make run            set up, migrate, load demo data when empty, serve on http://$(HOST):$(PORT)"
	@echo "make test           set up and run the whole test suite (SQLite; browser tests if Chromium is found)"
	@echo "make test-postgres  the suite against PostgreSQL (TEST_DATABASE_URL, default a local database)"
	@echo "make lint           ruff check, ruff format --check and mypy (types of tracker/)"
	@echo "make bench          benchmarks (SQLite and PostgreSQL), written to benchmarks/results.json"
	@echo "make soak           gunicorn -w 4 on PostgreSQL under load, PostgreSQL restarted mid-run (needs root)"
	@echo "make format         ruff format and ruff check --fix"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

db-upgrade: $(STAMP)
	$(FLASK) db upgrade

run: db-upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) placements-daily
	$(FLASK) serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	TEST_DATABASE_URL= $(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/tracker_test} \
		$(BIN)/pytest -m "not browser" $(XDIST) $(PYTEST_ARGS)

test-browser: $(STAMP)
	TEST_DATABASE_URL= REQUIRE_BROWSER=$${REQUIRE_BROWSER:-0} $(BIN)/pytest -m browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# Not part of `make test`: it restarts the local PostgreSQL (README: "Soak test").
soak: $(STAMP)
	$(BIN)/python -m scripts.soak $(SOAK_ARGS)

screenshots: $(STAMP)
	$(BIN)/python -m scripts.screenshots

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
