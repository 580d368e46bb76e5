# Vigie: `make demo` builds the environment from the lock file and runs the nightly
# pipeline on sample_logs/; `make test` runs the test suite.
UV ?= $(shell command -v uv 2>/dev/null || echo .venv-bootstrap/bin/uv)
export UV  # tests build the wheel with the same uv
VENV := .venv
PY := $(VENV)/bin/python
VIGIE := $(VENV)/bin/vigie

export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 300
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1

.PHONY: env demo test test-slow test-prefect test-cluster lint typecheck clean

$(UV):
	python3 -m venv .venv-bootstrap
	.venv-bootstrap/bin/pip install --quiet "uv==0.13.9"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	touch $@

env: $(VENV)/.synced  ## the environment, exactly as uv.lock pins it

DEMO_ENV := VIGIE_DEMO=1 VIGIE_INBOX=sample_logs/inbox VIGIE_REFERENCE=sample_logs/reference

demo: env  ## nightly pipeline over every day of sample_logs/ (demo pseudonym key), then where the reports are
	@days=$$(ls sample_logs/inbox | grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' | sort -u); \
	first=$$(echo "$$days" | head -1); last=$$(echo "$$days" | tail -1); \
	if [ -z "$$first" ]; then echo "no dated file in sample_logs/inbox"; exit 1; fi; \
	$(DEMO_ENV) $(VIGIE) backfill --from $$first --to $$last && \
	echo "" && echo "Reports, one folder per day: $(CURDIR)/reports/" && \
	echo "Last day's report: $(CURDIR)/reports/$$last/report.html"

test-prefect: env  ## a real Prefect server on loopback: its scheduler creates the nightly run, it completes (2-4 min)
	$(VENV)/bin/pytest -q -m prefect_server tests/test_prefect_server.py tests/test_ingest_flow.py

test-cluster: env  ## SeaweedFS (S3), a Prefect server and a Dask cluster on loopback: the s3:// lake equals a local one (2-4 min)
	$(VENV)/bin/pytest -q -s -m cluster tests/cluster

test: env  ## the test suite (heavy checks are marked slow and skipped here)
	$(VENV)/bin/pytest -q

test-slow: env  ## heavier checks: quality on a big world, crash injection, Prefect server
	$(VENV)/bin/pytest -q -m "slow"

lint: env
	$(VENV)/bin/ruff check .

typecheck: env
	$(VENV)/bin/mypy transforms flows devtools

clean:
	rm -rf lake reports .vigie .prefect
