"""The Prefect ingest flow wires the per-file task and holds the lake's lock."""

from __future__ import annotations

import pytest
from vigie_testing import FIXTURES

from transforms.lake.lock import LakeBusyError, lake_lock


@pytest.fixture
def flow_env(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("VIGIE_REFERENCE", str(FIXTURES / "reference"))
    monkeypatch.setenv("VIGIE_PSEUDONYM_KEY", "flow-test-key")
    return tmp_path / "lake"


@pytest.mark.slow
@pytest.mark.prefect_server  # a temporary Prefect server costs 20-200 s here: run by `make test-prefect`
def test_ingest_flow_ingests_every_file_once(prefect_harness, flow_env):
    from flows.ingest import ingest_flow

    files = [str(p) for p in sorted(FIXTURES.glob("*.jsonl"))]
    first = ingest_flow(files)
    assert [r["status"] for r in first] == ["ingested"] * len(files)
    assert all(r["lines_read"] == r["rows_written"] + r["rows_quarantined"] for r in first)
    second = ingest_flow(files)
    assert [r["status"] for r in second] == ["skipped"] * len(files)


def test_a_second_run_on_a_locked_lake_stops_with_a_clear_message(flow_env):
    with lake_lock(flow_env), pytest.raises(LakeBusyError, match="in use by vigie pid"), lake_lock(flow_env):
        pass
