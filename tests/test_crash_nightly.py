"""Crashes of the nightly run: killed anywhere (SIGKILL), re-run, and the lake, findings and
reports are those of a run that was never killed; nothing half-written is ever visible.

The child process (this file run as a script) runs the nightly driver
(`transforms.nightly.run_nights`, what `vigie nightly` runs without a Prefect server), so
that a run costs seconds and no server.
The scenario has a late file: the night of D4 ingests D2 (late) and D4, then re-runs
D2, D3 and D4 — the case where a crash after ingest used to leave D3 stale for ever.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(4)]
KEY = "crash-nightly-test-key-0123456789abcdef"

# Named points, in the order a run passes them ("#n": the n-th time; days run: D2, D3, D4).
QUICK_POINTS = ["nightly.detected#2"]
POINTS = ["nightly.planned", "ingest.staged", "ingest.after_manifest", "ingest.after_manifest#2",
          "nightly.ingested", "nightly.detected", "report.html", "report.findings", "report.incidents",
          "report.exposed", "nightly.reported", "nightly.detected#2", "report.html#2", "nightly.reported#2",
          "report.findings#3", "nightly.reported#3", "nightly.before_clear"]


def child_env(root: Path, crash_at: str = "") -> dict[str, str]:
    return {**os.environ, "VIGIE_CRASH_AT": crash_at, "VIGIE_CONFIG": str(root / "absent.toml"),
            "VIGIE_INBOX": str(root / "inbox"), "VIGIE_LAKE": str(root / "lake"),
            "VIGIE_REPORTS": str(root / "reports"), "VIGIE_STATE": str(root / ".vigie"),
            "VIGIE_REFERENCE": str(root / "reference"), "VIGIE_PSEUDONYM_KEY": KEY,
            "VIGIE_DUCKDB_MEMORY_LIMIT": "1GB", "VIGIE_DUCKDB_THREADS": "2", "VIGIE_LANG": "fr"}


def run_child(root: Path, first: date, last: date, crash_at: str = "",
              wait: float = 0.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(Path(__file__)), str(first), str(last), str(wait)],
                          env=child_env(root, crash_at), capture_output=True, text=True, timeout=600)


def start_child(root: Path, first: date, last: date, crash_at: str = "", wait: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(Path(__file__)), str(first), str(last), str(wait)],
                            env=child_env(root, crash_at), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


# Tables whose writer sets no row order (sql/baselines/account_daily.sql ends with `group by`,
# no `order by`): the same rows come out in another order from one run to the next, crashed
# or not, so they are compared as sets of rows. Every other file must be byte-identical.
ORDER_FREE = {"account_daily"}


def rows_in_any_order(path: Path) -> list[str]:
    import duckdb

    rows = duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
    return sorted(json.dumps([sorted(map(str, v)) if isinstance(v, list) else v for v in row], default=str)
                  for row in rows)


def visible_state(root: Path) -> dict[str, object]:
    """Every file a reader can see in the lake and the reports (run.json without its timings)."""
    state: dict[str, object] = {}
    for top in ("lake", "reports"):
        base = root / top
        for path in sorted(base.rglob("*")):
            rel = str(path.relative_to(root))
            if not path.is_file() or ".tmp" in path.parts or path.name == ".lock":
                continue
            if path.parent.parent.name in ORDER_FREE:
                state[rel] = rows_in_any_order(path)
            elif path.name == "run.json":
                data = json.loads(path.read_text())
                data.pop("run", None)
                state[rel] = data
            else:
                state[rel] = path.read_bytes()
    return state


def assert_nothing_half_written(root: Path) -> None:
    """What a reader can see is whole: no temporary names, readable Parquet and JSON, manifest
    entries balanced with their outputs present."""
    import duckdb

    for top in ("lake", "reports"):
        for path in (root / top).rglob("*"):
            if ".tmp" in path.relative_to(root).parts or not path.is_file():
                continue
            assert not path.name.endswith(".tmp"), path
            assert not path.name.startswith(".") or path.name == ".lock", path
            if path.suffix == ".parquet":
                duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()
            elif path.suffix == ".json":
                json.loads(path.read_text())
            elif path.suffix == ".jsonl":
                [json.loads(line) for line in path.read_text().splitlines()]
    for path in (root / "lake" / "_manifest").glob("*.json"):
        entry = json.loads(path.read_text())
        assert entry["lines_read"] == entry["rows_written"] + entry["rows_quarantined"]
        assert all((root / "lake" / output).exists() for output in entry["outputs"]), entry["outputs"]


def assert_same_as_clean(root: Path, clean: dict[str, object]) -> None:
    state = visible_state(root)
    assert sorted(state) == sorted(clean)
    different = [name for name in state if state[name] != clean[name]]
    assert not different, different
    assert not list((root / "lake" / ".tmp").glob("*"))
    assert not (root / "lake" / "_nightly" / "pending.json").exists()


def setup_world(root: Path) -> None:
    """Inbox D1, D3 (D2 held back, D4 not yet come), backfill D1..D3, then D2 and D4 arrive."""
    from worlds import write_inbox

    write_inbox(root / "inbox", DAYS, DAYS[-1])
    held = root / "held"
    held.mkdir()
    for day in (DAYS[1], DAYS[3]):
        (root / "inbox" / f"app-{day}.jsonl").rename(held / f"app-{day}.jsonl")
    done = run_child(root, DAYS[0], DAYS[2])
    assert done.returncode == 0, done.stderr
    for path in held.iterdir():
        path.rename(root / "inbox" / path.name)
    held.rmdir()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict:
    """The state before the night of D4 (a template to copy) and the clean result of that night."""
    before = tmp_path_factory.mktemp("before")
    setup_world(before)
    clean = tmp_path_factory.mktemp("clean")
    copy_world(before, clean)
    done = run_child(clean, DAYS[3], DAYS[3])
    assert done.returncode == 0, done.stderr
    state = visible_state(clean)
    run = json.loads((clean / "reports" / str(DAYS[3]) / "run.json").read_text())
    assert run["late_files"] == ["app-2025-07-02.jsonl"]
    assert any(name.startswith("reports/2025-07-04/exposed/") for name in state)
    return {"before": before, "clean": state}


def copy_world(src: Path, dst: Path) -> None:
    for name in ("inbox", "reference", "lake", "reports"):
        shutil.copytree(src / name, dst / name, symlinks=True, dirs_exist_ok=True)


def crash_and_rerun(tmp_path: Path, worlds: dict, point: str) -> None:
    root = tmp_path / "w"
    copy_world(worlds["before"], root)
    killed = run_child(root, DAYS[3], DAYS[3], crash_at=point)
    assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr[-2000:])
    assert_nothing_half_written(root)
    again = run_child(root, DAYS[3], DAYS[3])
    assert again.returncode == 0, again.stderr
    assert_nothing_half_written(root)
    assert_same_as_clean(root, worlds["clean"])


@pytest.mark.parametrize("point", QUICK_POINTS)
def test_a_killed_night_recovers_quick(tmp_path, worlds, point):
    crash_and_rerun(tmp_path, worlds, point)


@pytest.mark.slow
@pytest.mark.parametrize("point", [p for p in POINTS if p not in QUICK_POINTS])
def test_a_killed_night_recovers(tmp_path, worlds, point):
    crash_and_rerun(tmp_path, worlds, point)


@pytest.mark.slow
def test_killed_twice_then_the_next_night(tmp_path, worlds):
    """Killed after ingest, killed again in the re-run's reports, and only the next night
    completes: D2..D4 still end as in a clean run (the pending record carries over)."""
    root = tmp_path / "w"
    copy_world(worlds["before"], root)
    assert run_child(root, DAYS[3], DAYS[3], crash_at="nightly.ingested").returncode == -signal.SIGKILL
    assert run_child(root, DAYS[3], DAYS[3], crash_at="report.html#2").returncode == -signal.SIGKILL
    assert run_child(root, DAYS[3], DAYS[3]).returncode == 0
    assert_same_as_clean(root, worlds["clean"])


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])
def test_a_night_killed_at_any_moment_recovers(tmp_path, worlds, delay):
    """Timed kills land anywhere, detection's own writes (baselines, findings, incidents) included."""
    root = tmp_path / "w"
    copy_world(worlds["before"], root)
    child = start_child(root, DAYS[3], DAYS[3])
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    assert_nothing_half_written(root)
    again = run_child(root, DAYS[3], DAYS[3])
    assert again.returncode == 0, again.stderr
    assert_same_as_clean(root, worlds["clean"])


def main(first: str, last: str, wait: str) -> None:
    """`vigie backfill --from first --to last` (one night when first == last): the plain driver."""
    from transforms.nightly import days_between, run_nights
    from transforms.settings import Settings

    for summary in run_nights(days_between(date.fromisoformat(first), date.fromisoformat(last)), Settings()):
        print(json.dumps({"day": summary.day, "days_run": summary.days_run}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
