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

.PHONY: run test install install-dev install-lake install-python browser postgres system-packages demo bench clean

# uv (from PyPI) installs the same pinned packages as pip, several times faster; pip stays the fallback when uv
# cannot be installed or fails. uv reads no pip configuration, so pip's own indexes, find-links and constraints
# (pip.conf, PIP_* variables) are handed to it, and it picks the best match across them as pip does.
UV := $(BIN)/uv
UV_INDEX_ARGS = $(shell $(BIN)/python -m pip config list 2>/dev/null | \
  sed -nE "s/^(global|install|:env:)\.(index-url|extra-index-url|find-links|constraint)='(.*)'$$/\2 \3/p" | \
  while read -r opt values; do for v in $$values; do printf -- '--%s %s ' "$$opt" "$$v"; done; done)
UV_PIP = $(UV) pip install --quiet --index-strategy unsafe-best-match $(UV_INDEX_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	-$(BIN)/python -m pip install --quiet uv

$(VENV)/.installed: requirements.txt | $(BIN)/python
	[ -x $(UV) ] && $(UV_PIP) --python $(BIN)/python -r requirements.txt || \
	  $(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	[ -x $(UV) ] && $(UV_PIP) --python $(BIN)/python -r requirements-dev.txt || \
	  $(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The shared store's own environment: the same packages with duckdb 1.5.5, the only DuckDB whose DuckLake and
# postgres extensions install offline (requirements-lake.txt). The local file store keeps duckdb 2.0.1. uv (from
# .venv, its downloads cached) installs it in one step, requirements-lake.txt overriding the duckdb pin.
LAKE_VENV := .venv-lake
LAKE_BIN  := $(LAKE_VENV)/bin

$(LAKE_BIN)/python:
	$(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_BIN)/python -m pip install --quiet --upgrade pip

$(LAKE_VENV)/.installed: requirements.txt requirements-dev.txt requirements-lake.txt | $(BIN)/python $(LAKE_BIN)/python
	[ -x $(UV) ] && $(UV_PIP) --python $(LAKE_BIN)/python -r requirements-dev.txt -r requirements-lake.txt \
	  --override requirements-lake.txt || \
	  { $(LAKE_BIN)/pip install --quiet -r requirements-dev.txt && \
	    $(LAKE_BIN)/pip install --quiet -r requirements-lake.txt; }
	touch $@

install-lake: $(LAKE_VENV)/.installed

# Debian's Chromium for the browser tests (Playwright drives it; no browser download) and Debian's PostgreSQL for
# the shared-store tests (each test session starts a throw-away cluster of its own): whichever is missing, as root
# or through sudo. `system-packages` installs both with one apt-get update.
CHROMIUM_MISSING := [ ! -x /usr/bin/chromium ]
POSTGRES_MISSING := ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
apt_install = s=$$([ "$$(id -u)" = 0 ] || echo sudo); \
  $$s apt-get update -qq && $$s env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null

browser:
	@if $(CHROMIUM_MISSING); then $(call apt_install,chromium); fi

postgres:
	@if $(POSTGRES_MISSING); then $(call apt_install,postgresql); fi

system-packages:
	@pkgs=""; if $(CHROMIUM_MISSING); then pkgs=chromium; fi; if $(POSTGRES_MISSING); then pkgs="$$pkgs postgresql"; fi; \
	if [ -n "$$pkgs" ]; then $(call apt_install,$$pkgs); fi

# Both environments one after the other (the second reuses uv's downloads), while apt-get runs beside them.
install-python:
	@$(MAKE) --no-print-directory install-dev
	@$(MAKE) --no-print-directory install-lake

run: install
	$(BIN)/python -c "from analytics.demo_load import ensure_demo_database; ensure_demo_database()"
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

# The whole suite: the installs (apt-get beside them), everything on the local file store, then the shared-store
# tests (marked `lake`) in .venv-lake; each suite in two worker processes, whole files per worker (module fixtures
# are built once; the demo once per suite, tests/conftest.py).
test:
	@start=$$(date +%s); $(MAKE) --no-print-directory -j2 install-python system-packages && \
	  echo "installs: $$(( $$(date +%s) - start )) s"
	$(BIN)/python -m pytest -q -m "not lake" -n 2 --dist loadfile
	$(LAKE_BIN)/python -m pytest -q -m lake -n 2 --dist loadfile

demo: install
	$(BIN)/python -m analytics demo

bench: install-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(LAKE_VENV) data/huddle.duckdb data/huddle.duckdb.wal data/demo.duckdb data/demo.duckdb.wal data/demo/*.csv
