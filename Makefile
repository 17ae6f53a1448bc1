# certreg: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app
# Tests run on SQLite unless TEST_DATABASE_URL points at PostgreSQL.
TEST_DATABASE_URL ?=
PYTEST_ARGS ?=
WORKERS ?= 2
# Each test module runs whole on one worker, in order (--dist loadscope): the federation and tamper
# modules build their installations once per module and their tests follow each other. (--dist
# loadgroup with xdist_group marks did not group anything with pytest 9.2 and xdist 3.8: tests of one
# module ran on both workers.)


.PHONY: run test lint install install-dev translations i18n chromium wrk bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

## Compile the message catalogues (.po -> .mo); they are build products, not in git.
translations: $(VENV)/.runtime
	$(BIN)/python scripts/i18n.py compile

## Extract new strings into every catalogue (then translate them in the .po files).
i18n: $(VENV)/.runtime
	$(BIN)/python scripts/i18n.py update

## Debian's Chromium for the browser tests (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask keys ensure --country KG --country KZ --country UZ
	$(BIN)/flask demo load --if-empty
	@echo
	@$(BIN)/flask demo logins
	@echo
	@echo "certreg is serving on http://127.0.0.1:5000  (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## Linters and the architecture contracts (pyproject.toml: [tool.ruff], [tool.importlinter]).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: install-dev chromium lint
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope $(PYTEST_ARGS)
	$(BIN)/python bench/smoke.py

## wrk (Debian package) for the scan benchmarks; never run by `make test`.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

## Issue 11's figures in one run, on SQLite and then on PostgreSQL (docs/benchmarks.md): each public scan
## page under wrk beside a bare Flask hello (verify /v/, licence check /l/, cylinder label /c/, the border
## check) and the CSV import against its floor. About 25 minutes with the defaults; for instance
## `make bench BENCH_ARGS="--rounds 3 --seconds 2"` for a quicker look, `BENCH_PAGES=verify` for one page.
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench
BENCH_PAGES ?= verify licences cylinders border
BENCH_ARGS ?= --rounds 5 --seconds 3
BENCH_LOGBOOK_ARGS ?= --appends 200 --small 1000 --large 100000 --lines 100000
BENCH_LOG ?= bench-results.txt
bench: install-dev wrk
	@set -o pipefail; : > $(BENCH_LOG); \
	for url in "" "$(BENCH_DATABASE_URL)"; do \
	  for page in $(BENCH_PAGES); do \
	    echo "== bench/$$page.py on $${url:-SQLite}" | tee -a $(BENCH_LOG); \
	    BENCH_DATABASE_URL=$$url $(BIN)/python -u bench/$$page.py $(BENCH_ARGS) | tee -a $(BENCH_LOG) || exit 1; \
	  done; \
	  echo "== bench/logbook.py on $${url:-SQLite}" | tee -a $(BENCH_LOG); \
	  BENCH_DATABASE_URL=$$url $(BIN)/python -u bench/logbook.py $(BENCH_LOGBOOK_ARGS) | tee -a $(BENCH_LOG) || exit 1; \
	done; \
	echo; echo "Summary (all of it in $(BENCH_LOG)):"; grep -E "^==|ratio|goal" $(BENCH_LOG)

bench-smoke: install-dev
	$(BIN)/python bench/smoke.py

clean:
	rm -rf $(VENV) instance .pytest_cache
