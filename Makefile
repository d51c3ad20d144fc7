# The two commands of the README: `make demo` and `make test`. Each creates .venv when it is
# missing and installs what it needs, so both work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit chromium bench clean compiled test-compiled

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

unit: $(STAMP) chromium
	$(BIN)/pytest -q src tests rules

# The report's browser test (tests/learning/test_report_browser.py) drives Debian's chromium.
# Installed when missing and apt-get can be used (as root, or through sudo without a
# password); otherwise nothing happens and that test is skipped, saying why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
		else echo "chromium is missing and apt-get cannot be used: the browser test is skipped"; exit 0; fi; \
		command -v apt-get >/dev/null 2>&1 || { echo "chromium is missing and there is no apt-get: the browser test is skipped"; exit 0; }; \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; } >/dev/null 2>&1 \
			|| echo "apt-get could not install chromium: the browser test is skipped"; \
	}

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
