# Two set-up commands: `make up` and `make test`. Everything they install lands in ignored folders
# (.cache/ for downloads and builds, .venv/ for Python), so a second run installs nothing.
SHELL := /bin/bash
PYTHON ?= python3
CACHE := $(CURDIR)/.cache
VENV := $(CURDIR)/.venv
UV := $(CACHE)/uv-tool/bin/uv
export UV_CACHE_DIR := $(CACHE)/uv
export UV_PYTHON_DOWNLOADS := never
export LINEAGE_CACHE_DIR ?= $(CACHE)
BIN := $(VENV)/bin

.PHONY: up test check lint types format install lock stack-install sdl bench clean

up: install stack-install
	$(BIN)/lineage stack up --serve

# installs the suite's servers and the newer Neo4j release its Cypher compatibility check runs on
test: check
	$(BIN)/lineage stack install --next
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: lint types

lint: install
	$(BIN)/ruff check service tests deploy bench
	$(BIN)/ruff format --check service tests deploy bench

types: install
	$(BIN)/mypy
	$(BIN)/mypy deploy/local/stack.py  # loaded by path at run time, so not part of the package

format: install
	$(BIN)/ruff format service tests deploy bench
	$(BIN)/ruff check --fix service tests deploy bench

install: $(VENV)/.installed

# uv itself, pinned by version and hash (deploy/build/uv.txt).
$(UV): deploy/build/uv.txt
	$(PYTHON) -m venv $(CACHE)/uv-tool
	$(CACHE)/uv-tool/bin/pip install --quiet --disable-pip-version-check --require-hashes \
		-r deploy/build/uv.txt
	touch $@

# Every dependency pinned with hashes (requirements.lock: names, versions and hashes only, the
# build backend included), then the project itself, editable, built by that backend (its build hook
# compiles the SDK's C log_metrics in place).
$(VENV)/.installed: $(UV) pyproject.toml requirements.lock deploy/build/hatch_build.py \
		service/lineagegraph/sdk/_fastmetrics.c
	$(UV) venv --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve pyproject.toml into requirements.lock (the resolver's own lock stays in .cache/lock).
lock: $(UV)
	mkdir -p $(CACHE)/lock
	cp pyproject.toml $(CACHE)/lock/
	cp README.md $(CACHE)/lock/
	cd $(CACHE)/lock && $(UV) lock --python $(PYTHON) && $(UV) export --frozen --all-extras --all-groups \
		--no-emit-project --no-header --format requirements.txt -o $(CURDIR)/requirements.lock

stack-install: install
	$(BIN)/lineage stack install

sdl: install
	$(BIN)/python -m lineagegraph.api.export_sdl > schema/lineage.graphql

bench: install stack-install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
