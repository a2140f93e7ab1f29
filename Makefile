# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint install clean benchmark schemas

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bsm demo --dir demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# the suite without the tests marked slow (real servers, browsers, the whole attack, the moves'
# protection, several loads) on both cores, for a quick round while working: 1 min 39 s to
# 1 min 51 s on this 2-core machine otherwise idle (three runs, load average 1.5-2.9 before
# them), 2 min 52 s beside another test run (load 4.4-5); `make test` (and CI) runs everything
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" -q -n 2

# docs/schemas/*.schema.json from the configuration models (tests/test_config.py fails when stale)
schemas: $(STAMP)
	$(BIN)/python scripts/schemas.py

benchmark: $(STAMP)
	$(BIN)/python benchmarks/load.py --scales 0.25,0.5,1,2
	$(BIN)/bsm demo --dir demo --no-serve
	$(BIN)/python benchmarks/api_latency.py --db demo/bsm.duckdb --clients 20
	$(BIN)/python benchmarks/busy_morning.py --db demo/bsm.duckdb --clients 50 --seconds 60
	$(BIN)/python benchmarks/pages.py --db demo/bsm.duckdb
	$(BIN)/python benchmarks/exports.py --db demo/bsm.duckdb
	$(BIN)/python benchmarks/protection.py --db demo/bsm.duckdb --runs 1

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
