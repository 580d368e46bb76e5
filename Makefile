# Vigie: `make demo` builds the environment from the lock file and runs the nightly
# pipeline on sample_logs/; `make test` runs the test suite.
UV ?= $(shell command -v uv 2>/dev/null || echo .venv-bootstrap/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
VIGIE := $(VENV)/bin/vigie

export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 90
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: env demo test test-slow lint typecheck clean

$(UV):
	python3 -m venv .venv-bootstrap
	.venv-bootstrap/bin/pip install --quiet "uv==0.13.9"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	touch $@

env: $(VENV)/.synced  ## the environment, exactly as uv.lock pins it

demo: env  ## nightly pipeline over every day of sample_logs/ (demo pseudonym key)
	VIGIE_DEMO=1 VIGIE_INBOX=sample_logs/inbox VIGIE_REFERENCE=sample_logs/reference \
		$(VIGIE) ingest sample_logs/inbox

test: env  ## the test suite (heavy checks are marked slow and skipped here)
	$(VENV)/bin/pytest -q

test-slow: env  ## heavier checks: quality on a big world, crash injection, Prefect server
	$(VENV)/bin/pytest -q -m "slow"

lint: env
	$(VENV)/bin/ruff check .

typecheck: env
	$(VENV)/bin/mypy transforms flows

clean:
	rm -rf lake reports .vigie .prefect
