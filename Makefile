# Two set-up commands: `make up` and `make test`. Everything they install lands in ignored folders
# (.cache/ for downloads and builds, .venv/ for Python), so a second run installs nothing.
SHELL := /bin/bash
PYTHON ?= python3
CACHE := $(CURDIR)/.cache
VENV := $(CURDIR)/.venv
UV := $(CACHE)/uv-tool/bin/uv
UV_VERSION := 0.13.8
export UV_CACHE_DIR := $(CACHE)/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export LINEAGE_CACHE_DIR ?= $(CACHE)
BIN := $(VENV)/bin

.PHONY: up test check lint types format install stack-install sdl bench clean

up: install stack-install
	$(BIN)/lineage stack up --serve

test: check stack-install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: lint types

lint: install
	$(BIN)/ruff check service tests deploy bench
	$(BIN)/ruff format --check service tests deploy bench

types: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format service tests deploy bench
	$(BIN)/ruff check --fix service tests deploy bench

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv $(CACHE)/uv-tool
	$(CACHE)/uv-tool/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	touch $@

stack-install: install
	$(BIN)/lineage stack install

sdl: install
	$(BIN)/python -m lineagegraph.api.export_sdl > schema/lineage.graphql

bench: install stack-install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
