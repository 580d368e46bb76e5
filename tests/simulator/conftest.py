"""The small world shared by the simulator tests."""

from __future__ import annotations

import pytest
from simworld import small_world


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    summary = small_world(out)
    return out, summary
