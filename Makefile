# The two commands of the README: `make demo` and `make test`. Each creates .venv when it is
# missing and installs what it needs, so both work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean compiled test-compiled

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/escalate demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/

unit: $(STAMP)
	$(BIN)/pytest -q src tests rules

bench: $(STAMP)
	$(BIN)/python bench/calendar_bench.py

# The optional compiled build (docs/scale.md, "Compiled build"): mypyc compiles src/escalate into
# a wheel in build/compiled/, installed into its own venv, .venv-compiled; src/ and .venv stay
# pure Python, the default and the reference. test-compiled runs the whole suite on that build.
CVENV := .venv-compiled
CBIN := $(CVENV)/bin
CSTAMP := $(CVENV)/.installed

$(CSTAMP): pyproject.toml
	$(PYTHON) -m venv $(CVENV)
	$(CBIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CBIN)/python -m pip install --quiet --disable-pip-version-check '.[dev,compiled]'
	touch $(CSTAMP)

compiled: $(CSTAMP)
	rm -rf build/compiled
	ESCALATE_COMPILE=1 $(CBIN)/python -m pip wheel --quiet --disable-pip-version-check \
		--no-build-isolation --no-deps --wheel-dir build/compiled .
	$(CBIN)/python -m pip install --quiet --disable-pip-version-check --force-reinstall \
		--no-deps build/compiled/escalate-*.whl

# src/ is left out: its doctests would import the pure modules from the tree.
test-compiled: compiled
	ESCALATE_BUILD=compiled $(CBIN)/python -m pytest -q tests rules

clean:
	rm -rf $(VENV) $(CVENV) build .mypy_cache .pytest_cache .ruff_cache .hypothesis
