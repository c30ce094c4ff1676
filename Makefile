# InsightStock: `make run` serves the site, `make test` runs the suite. See README.md.
SHELL := /bin/bash
PYTHON_BOOTSTRAP ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: run test bench fuzz load lint lock install clean manage vendor

install: $(STAMP) vendor

# Front-end libraries from the npm registry, pinned by integrity in static/vendor.json (no node).
vendor:
	@$(PYTHON_BOOTSTRAP) scripts/fetch_vendor.py

# Re-installs only when the lock file changes. uv installs the hash-pinned lock exactly.
$(STAMP): requirements.lock
	@$(PYTHON_BOOTSTRAP) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON_BOOTSTRAP=/path/to/python3.11)")'
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(VENV)/bin/uv pip sync --quiet --python $(PY) --require-hashes requirements.lock
	@touch $(STAMP)

run: $(STAMP) vendor
	@$(PY) scripts/devstack.py run

test: $(STAMP) vendor
	@$(PY) scripts/ensure_chromium.py
	@$(PY) scripts/devstack.py test $(PYTEST_ARGS)

# Operators: `make manage ARGS="seed_demo"` runs manage.py on the `make run` database.
manage: $(STAMP)
	@$(PY) scripts/devstack.py manage $(ARGS)

bench: $(STAMP) vendor
	@$(PY) scripts/devstack.py exec -- $(PY) bench/run.py

# The API fuzz tests with many more examples than `make test` runs (FUZZ_EXAMPLES per endpoint).
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP) vendor
	@INSIGHTSTOCK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) scripts/devstack.py test tests/fuzz $(PYTEST_ARGS)

# Load against the `make run` stack (started for the run, or the one already up): 127.0.0.1 only,
# bounded; prints p50/p95/p99, error rate and cache hit rate against the product plan (O3).
load: $(STAMP) vendor
	@$(PY) bench/load.py $(ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports

# Regenerate the lock after changing pyproject.toml.
lock: $(STAMP)
	@$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --generate-hashes --quiet -o requirements.lock

clean:
	rm -rf $(VENV)
