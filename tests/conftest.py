"""Shared test helpers: a pseudonym key, reference data and a way to ingest fixture files."""

from __future__ import annotations

from pathlib import Path

import pytest
from vigie_testing import FIXTURES, TEST_KEY

from transforms.ingest.enrich import load_reference
from transforms.ingest.run import IngestOptions


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def ingest_options(tmp_path: Path) -> IngestOptions:
    return IngestOptions(lake=tmp_path / "lake", key=TEST_KEY,
                         reference=load_reference(FIXTURES / "reference"), memory_limit="1GB")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole test session (starting one costs 10-200 s)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows import prefect_env  # noqa: F401

    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory):
    """The simulated world after every night of it ran through the real pipeline (tests/worlds.py),
    built once per session: tests only read it (take `world_copy` to write)."""
    import worlds

    return worlds.build(tmp_path_factory.mktemp("world"))


@pytest.fixture
def world_copy(world, tmp_path: Path):
    """A private copy of the session's world (lake, reports, state) for a test that writes to it."""
    return world.copy(tmp_path / "deployment")
