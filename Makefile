# ccai-reconciler: the two set-up commands are `make demo` and `make test`.
# Everything installs into .venv; only Python 3.11+ and make are needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint format demo bench bench-neighbour reliability schemas clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ccai-reconciler needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(STAMP)
	PY=$(BIN)/python bash scripts/demo.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/neighbour.py

bench-neighbour: $(STAMP)
	$(BIN)/python benchmarks/neighbour.py

reliability: $(STAMP)
	$(BIN)/python -m reliability $(RELIABILITY_ARGS)

schemas: $(STAMP)
	$(BIN)/python -m reconciler schema > schemas/ccai-config.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .demo .bench .reliability
