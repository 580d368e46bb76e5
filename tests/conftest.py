"""Shared test helpers: a pseudonym key, reference data and a way to ingest fixture files."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.enrich import load_reference
from transforms.ingest import IngestOptions
from transforms.pseudonymise import PseudonymKey

FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = PseudonymKey(b"test-key-for-vigie-tests-only-0123456789")


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def ingest_options(tmp_path: Path) -> IngestOptions:
    return IngestOptions(lake=tmp_path / "lake", key=TEST_KEY,
                         reference=load_reference(FIXTURES / "reference"), memory_limit="1GB")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole test session (starting one costs 10-30 s)."""
    from flows import prefect_env  # noqa: F401

    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
