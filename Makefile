# MakePlus: `make run` serves the API and web pages on SQLite with demo data;
# `make test` runs the whole suite. Both set everything up on a fresh machine.
PYTHON ?= python3.11
VENV ?= .venv
PORT ?= 6543
INI ?= development.ini
BIN = $(VENV)/bin
PLUGINS = $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP = $(VENV)/.installed

.PHONY: run test lint install migrate demo clean bench catalogs compile-catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools<82" wheel

$(STAMP): $(BIN)/python setup.cfg pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(BIN)/pip install -q -e ".[test]" $(foreach p,$(PLUGINS),-e "$(patsubst %/,%,$(p))[test]")
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/python -m makeplus_core.i18n_catalogs compile

# Message catalogs (README "Languages"): `make catalogs` extracts the marked strings of the
# core and every plugin and merges them into each locale/<lang>/LC_MESSAGES/makeplus.po
# (new strings come empty: translate them; the test suite fails until they are).
catalogs: $(STAMP)
	$(BIN)/python -m makeplus_core.i18n_catalogs update
	$(BIN)/python -m makeplus_core.i18n_catalogs check || true

compile-catalogs: $(STAMP)
	$(BIN)/python -m makeplus_core.i18n_catalogs compile

migrate: install
	mkdir -p var
	$(BIN)/makeplus-db upgrade $(INI)

demo: migrate
	$(BIN)/makeplus-demo $(INI)

run: demo
	@echo "MakePlus on http://localhost:$(PORT)/  (API /api/, docs /api/docs/, dashboard /dashboard/)"
	$(BIN)/pserve $(INI) http_port=$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (pyproject.toml [tool.ruff]): pyflakes, bugbear, pyupgrade, import order. CI runs it.
lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var/ .pytest_cache
