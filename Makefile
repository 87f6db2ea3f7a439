# The same commands for people and CI. Each target sets up .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench clean setup bytecode

setup: $(STAMP)

# Compiled bytecode of the sources, as a wheel install has it: with PYTHONDONTWRITEBYTECODE
# set (CI images, containers) every command would otherwise recompile Puente's modules at
# start-up (~0.1-0.2 s). Only changed files are recompiled.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src >/dev/null

$(STAMP): pyproject.toml scripts/debian-deps
	@scripts/debian-deps
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

run: bytecode
	$(BIN)/puente demo

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: bytecode
	@mkdir -p bench/results
	@for b in bench/*.py; do \
	  echo "== $$b"; $(BIN)/python $$b $(BENCH_ARGS) || exit 1; \
	done

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
