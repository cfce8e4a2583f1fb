# Two commands for a fresh clone:
#   make run    – environment, install, migrate, demo data, serve on http://127.0.0.1:5000
#   make test   – environment, install, all tests (SQLite incl. browser tests, then PostgreSQL)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app portal
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-sqlite test-postgres install install-test chromium clean bench bench-small

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	PORTAL_MFA_REQUIRED=false $(FLASK) run --host 127.0.0.1 --port 5000

# Browser tests use Debian's Chromium, never a downloaded browser.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Bitte Chromium installieren: sudo apt-get install chromium"; exit 1; fi; }

test-sqlite: install-test chromium
	$(BIN)/pytest -p no:cacheprovider -n 2

# The same suite on a throwaway PostgreSQL cluster (needs initdb/pg_ctl; CI has them).
test-postgres: install-test
	@if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  $(BIN)/pytest -p no:cacheprovider -n 2 --db postgresql --ignore=tests/browser; \
	else echo "PostgreSQL-Lauf übersprungen: initdb/pg_ctl nicht gefunden (apt-get install postgresql)"; fi

test: test-sqlite test-postgres

# Production-size benchmark (bench/run.py installs wrk via apt-get when run as root).
bench: install
	$(BIN)/python bench/run.py

bench-small: install
	$(BIN)/python bench/run.py --size small

clean:
	rm -rf $(VENV) .pytest_cache
