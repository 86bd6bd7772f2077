# Two commands for a fresh machine with Python 3.11:
#   make run   installs Huddle and opens the dashboard: on $HUDDLE_DB when set (never filled with the demo), else
#              on the demo company in data/demo.duckdb (built on first run); listens on 127.0.0.1:8501 only
#   make test  installs Huddle, its test tools, Chromium and PostgreSQL, and runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# Loopback by default: set ADDRESS=0.0.0.0 to serve other machines (behind a sign-in proxy or OIDC; see README).
ADDRESS ?= 127.0.0.1

.PHONY: run test install install-dev install-lake browser postgres demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The shared store's own environment: the same packages with duckdb 1.5.5, the only DuckDB whose DuckLake and
# postgres extensions install offline (requirements-lake.txt). The local file store keeps duckdb 2.0.1.
LAKE_VENV := .venv-lake
LAKE_BIN  := $(LAKE_VENV)/bin

$(LAKE_BIN)/python:
	$(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_BIN)/python -m pip install --quiet --upgrade pip

$(LAKE_VENV)/.installed: requirements.txt requirements-dev.txt requirements-lake.txt | $(LAKE_BIN)/python
	$(LAKE_BIN)/pip install --quiet -r requirements-dev.txt
	$(LAKE_BIN)/pip install --quiet -r requirements-lake.txt
	touch $@

install-lake: $(LAKE_VENV)/.installed

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; \
	fi

# Debian's PostgreSQL for the shared-store tests (each test session starts a throw-away cluster of its own).
postgres:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi; \
	fi

run: install
	$(BIN)/python -c "from analytics.demo_load import ensure_demo_database; ensure_demo_database()"
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

# The whole suite: everything on the local file store (two worker processes, whole files per worker, so module
# fixtures are built once), then the shared-store tests (marked `lake`) in .venv-lake.
test: install-dev install-lake browser postgres
	$(BIN)/python -m pytest -q -m "not lake" -n 2 --dist loadfile
	$(LAKE_BIN)/python -m pytest -q -m lake

demo: install
	$(BIN)/python -m analytics demo

bench: install-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(LAKE_VENV) data/huddle.duckdb data/huddle.duckdb.wal data/demo.duckdb data/demo.duckdb.wal data/demo/*.csv
