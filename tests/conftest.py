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
