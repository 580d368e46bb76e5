"""The rule tests read the session's simulated world (tests/worlds.py, the `world` fixture of
tests/conftest.py) after the real nightly run, and each rule's own cases (rule_cases.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def world_lake(world):
    """The world's lake, labels, days and the nightly's per-night detection summaries."""
    return {"lake": world.lake, "labels": world.world / "labels" / "labels.json", "days": world.days,
            "detections": [d for s in world.summaries for d in s.detections], "world": world}


@pytest.fixture(scope="session")
def findings(world):
    return world.dicts("select * from findings")
