"""Crashes: an ingest killed anywhere leaves nothing half-written, and a re-run gives the clean lake."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from vigie_testing import FIXTURES

from transforms.lake import manifest

SCRIPT = Path(__file__).parent / "crash_ingest_main.py"
EVENT_DIRS = ("auth_events", "app_events", "quarantine")
CRASH_POINTS = ["ingest.staged", "ingest.outputs_written", "ingest.published.0", "ingest.published.1",
                "ingest.before_manifest", "ingest.after_manifest"]


def run_ingest(lake: Path, files: list[Path], crash_at: str | None = None) -> int:
    env = {**os.environ, "VIGIE_CRASH_AT": crash_at or ""}
    return subprocess.run([sys.executable, str(SCRIPT), str(lake), *map(str, files)], env=env,
                          capture_output=True, timeout=300).returncode


def lake_state(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*"))
            if p.is_file() and ".tmp" not in p.parts and p.name != ".lock"}


def assert_consistent(lake: Path) -> None:
    """What a reader can see is whole: readable Parquet only, no temp names, manifest outputs exist."""
    for folder in EVENT_DIRS:
        for path in (lake / folder).rglob("*"):
            if path.is_file():
                assert path.suffix == ".parquet" and not path.name.startswith("."), path
                duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()
    for path in (lake / "_manifest").glob("*"):
        assert path.suffix == ".json" and not path.name.startswith("."), path
        entry = json.loads(path.read_text())
        assert entry["lines_read"] == entry["rows_written"] + entry["rows_quarantined"]
        assert all((lake / output).exists() for output in entry["outputs"])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, list[Path]]:
    folder = tmp_path_factory.mktemp("inputs")
    grown = folder / "app-2025-07-05.jsonl"
    lines = (FIXTURES / "app-2025-07-05.jsonl").read_text().splitlines(keepends=True)
    malformed = (FIXTURES / "app-malformed-2025-07-05.jsonl").read_text()
    grown.write_text("".join(lines) + malformed)
    short = folder / "short" / "app-2025-07-05.jsonl"
    short.parent.mkdir()
    short.write_text("".join(lines[:12]))
    return {"fresh": [grown, FIXTURES / "proconnect-2025-07-05.jsonl"], "before": [short], "grown": [grown]}


@pytest.fixture(scope="module")
def clean_lakes(tmp_path_factory, inputs) -> dict[str, dict[str, bytes]]:
    fresh = tmp_path_factory.mktemp("clean") / "lake"
    assert run_ingest(fresh, inputs["fresh"]) == 0
    replaced = tmp_path_factory.mktemp("clean-replaced") / "lake"
    assert run_ingest(replaced, inputs["before"]) == 0
    assert run_ingest(replaced, inputs["grown"]) == 0
    return {"fresh": lake_state(fresh), "replaced": lake_state(replaced)}


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_killed_ingest_recovers_to_the_clean_lake(tmp_path, inputs, clean_lakes, point):
    lake = tmp_path / "lake"
    assert run_ingest(lake, inputs["fresh"], crash_at=point) == -signal.SIGKILL
    assert_consistent(lake)
    assert run_ingest(lake, inputs["fresh"]) == 0
    assert lake_state(lake) == clean_lakes["fresh"]
    assert not list((lake / ".tmp").glob("*"))


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_killed_replacement_of_a_grown_file_recovers(tmp_path, inputs, clean_lakes, point):
    lake = tmp_path / "lake"
    assert run_ingest(lake, inputs["before"]) == 0
    assert run_ingest(lake, inputs["grown"], crash_at=point) == -signal.SIGKILL
    assert_consistent(lake)
    assert run_ingest(lake, inputs["grown"]) == 0
    assert lake_state(lake) == clean_lakes["replaced"]
    assert len(manifest.load_all(lake)) == 1


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0])
def test_a_kill_at_any_moment_recovers(tmp_path, inputs, clean_lakes, delay):
    """Timed kills land wherever the child happens to be, including inside DuckDB's writes."""
    lake = tmp_path / "lake"
    child = subprocess.Popen([sys.executable, str(SCRIPT), str(lake), *map(str, inputs["fresh"])],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    if lake.exists():
        assert_consistent(lake)
    assert run_ingest(lake, inputs["fresh"]) == 0
    assert lake_state(lake) == clean_lakes["fresh"]
