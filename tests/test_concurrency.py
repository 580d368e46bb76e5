"""Concurrent runs: a second run on a lake in use waits (ingest with a wait) or stops with a
clear message (nightly, report), and corrupts nothing. Every run is a separate process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_crash_ingest import lake_state
from test_crash_nightly import assert_nothing_half_written, child_env, visible_state
from vigie_testing import FIXTURES, TEST_KEY
from worlds import write_inbox

from transforms.ingest.enrich import load_reference
from transforms.ingest.run import IngestOptions, ingest_run

TESTS = Path(__file__).resolve().parent
NIGHTLY = TESTS / "test_crash_nightly.py"
INGEST = TESTS / "crash_ingest_main.py"  # ingest_run(..., wait_seconds=30)
FILES = [FIXTURES / "app-2025-07-05.jsonl", FIXTURES / "proconnect-2025-07-05.jsonl",
         FIXTURES / "app-malformed-2025-07-05.jsonl"]
DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(2)]
HOLD = """
import sys, time
from pathlib import Path
from transforms.lake.lock import lake_lock
lake, release = Path(sys.argv[1]), Path(sys.argv[2])
with lake_lock(lake):
    print("holding", flush=True)
    while not release.exists():
        time.sleep(0.05)
"""


def holder(lake: Path, release: Path) -> subprocess.Popen:
    """A process holding the lake's lock (as a long nightly run would) until `release` exists."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(lake), str(release)], stdout=subprocess.PIPE,
                             text=True, cwd=TESTS.parent)
    assert child.stdout.readline().strip() == "holding"
    return child


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def test_a_second_ingest_waits_for_the_first_then_writes_the_same_lake(tmp_path: Path):
    clean = tmp_path / "clean" / "lake"
    ingest_run(FILES, IngestOptions(lake=clean, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                                    memory_limit="1GB"))
    lake, release = tmp_path / "lake", tmp_path / "release"
    first = holder(lake, release)
    second = subprocess.Popen([sys.executable, str(INGEST), str(lake), *map(str, FILES)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert second.poll() is None  # waiting for the lock, not writing
    assert not [p for p in lake.rglob("*.parquet")]
    release.touch()
    first.wait(timeout=30)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert lake_state(lake) == lake_state(clean)


def test_a_second_nightly_stops_with_a_clear_message_and_touches_nothing(tmp_path: Path):
    root = tmp_path / "w"
    write_inbox(root / "inbox", DAYS, DAYS[-1])
    (root / "lake").mkdir(parents=True)
    ingest_run([next((root / "inbox").glob("*07-01*"))],
               IngestOptions(lake=root / "lake", key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                             memory_limit="1GB"))
    before = tree(root)
    release = tmp_path / "release"
    first = holder(root / "lake", release)
    try:
        second = subprocess.run([sys.executable, str(NIGHTLY), str(DAYS[-1]), str(DAYS[-1]), "0"],
                                env=child_env(root), capture_output=True, text=True, timeout=300)
    finally:
        release.touch()
        first.wait(timeout=30)
    assert second.returncode == 1
    assert f"is in use by vigie pid {first.pid}; wait for it to finish" in second.stderr
    assert tree(root) == before  # no ingest, no report, no pending record


def test_vigie_report_waits_then_stops_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("VIGIE_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("VIGIE_REPORTS", str(tmp_path / "reports"))
    release = tmp_path / "release"
    first = holder(tmp_path / "lake", release)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(app, ["report", "--date", "2025-07-05"])
        waited = time.monotonic() - started
    finally:
        release.touch()
        first.wait(timeout=30)
    assert result.exit_code == 2 and "is in use by vigie pid" in " ".join(result.output.split())
    assert waited >= 5 and not (tmp_path / "reports").exists()


@pytest.mark.slow
def test_two_nightly_runs_race_and_the_lake_is_that_of_one_run(tmp_path: Path):
    """Two real pipeline runs started together: one runs, the other stops; the result equals
    a run alone."""
    alone = tmp_path / "alone"
    write_inbox(alone / "inbox", DAYS, DAYS[-1])
    raced = tmp_path / "raced"
    shutil.copytree(alone / "inbox", raced / "inbox")
    shutil.copytree(alone / "reference", raced / "reference")  # the simulated world's (write_inbox)
    args = [sys.executable, str(NIGHTLY), str(DAYS[0]), str(DAYS[-1]), "0"]
    assert subprocess.run(args, env=child_env(alone), capture_output=True, timeout=600).returncode == 0
    one = subprocess.Popen(args, env=child_env(raced), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not (raced / "lake" / ".lock").exists() or not (raced / "lake" / ".lock").read_text():
        time.sleep(0.05)
    two = subprocess.Popen(args, env=child_env(raced), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err_two = two.communicate(timeout=600)
    _, err_one = one.communicate(timeout=600)
    assert one.returncode == 0, err_one
    assert two.returncode == 1 and "is in use by vigie pid" in err_two
    assert_nothing_half_written(raced)
    assert visible_state(raced) == visible_state(alone)
    assert os.stat(raced / "lake").st_mode & 0o077 == 0
