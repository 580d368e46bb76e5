"""Retention and compaction (transforms/lake/retention.py) on lakes made by the real ingest and rules.

Retention: whole partitions past their table's retention go, recorded in the manifest, except
the days an open incident still counts exposure from. Compaction: a crowded day becomes one
file with the same rows, atomically, and a later version of one of its files still replaces
its rows; a compaction killed anywhere leaves a lake that reads the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from vigie_testing import FIXTURES, TEST_KEY
from worlds import write_inbox

from transforms.lake import manifest, retention
from transforms.lake.duck import connect

DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(4)]
EVENTS = ("app_events", "account_daily")
RECORDS = ("findings", "incident_versions", "incident_exposed", "incident_members")


def _opts(lake: Path):
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.run import IngestOptions

    return IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                         memory_limit="1GB")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four days; the extraction on the first night opens an incident."""
    from transforms.detect import run_day
    from transforms.ingest.run import ingest_files

    root = tmp_path_factory.mktemp("retention")
    files = write_inbox(root / "inbox", DAYS, DAYS[0])
    ingest_files(files, _opts(root / "lake"))
    for day in DAYS:
        run_day(root / "lake", day, memory_limit="1GB")
    (root / "lake" / "exposed.txt").write_text(str(files.exposed))  # the labels' count, beside the lake
    return root / "lake"


@pytest.fixture
def lake(world: Path, tmp_path: Path) -> Path:
    shutil.copytree(world, tmp_path / "lake")
    return tmp_path / "lake"


def days_of(lake: Path, table: str) -> list[str]:
    return sorted(p.name.split("=")[1] for p in (lake / table).glob("event_date=*"))


def test_nothing_an_open_incident_needs_goes(lake: Path):
    conn = connect(lake)
    [(uid, first_day)] = conn.execute("select incident_uid, first_day from incidents").fetchall()
    conn.close()
    assert first_day == DAYS[0]
    before = {t: days_of(lake, t) for t in (*EVENTS, *RECORDS)}
    result = retention.purge(lake, DAYS[3], retention_days=1, record_retention_days=2)
    # events of the 1st and 2nd are past a 1-day retention, but the open incident counts its
    # exposure from the 1st (and the days on either side): they stay; the 3rd may go, were it past
    assert result.kept_for_incidents == ["2025-07-01", "2025-07-02"]
    assert result.purged == {}
    assert {t: days_of(lake, t) for t in (*EVENTS, *RECORDS)} == before
    conn = connect(lake)
    exposed = int((lake / "exposed.txt").read_text())
    assert conn.execute("select incident_uid, beneficiaries_exposed from incidents").fetchall() == [(uid, exposed)]
    conn.close()


def test_past_retention_partitions_go_once_the_incident_is_closed(lake: Path):
    later = DAYS[0] + timedelta(days=45)  # the incident has had no finding for 45 days: closed
    result = retention.purge(lake, later, retention_days=43, record_retention_days=44)
    # events: before later - 43 = the 3rd; records: before later - 44 = the 2nd
    assert result.purged["app_events"] == ["2025-07-01", "2025-07-02"]
    assert days_of(lake, "app_events") == ["2025-07-03", "2025-07-04"]
    assert days_of(lake, "account_daily")[0] == "2025-07-03"
    assert days_of(lake, "findings")[0] >= "2025-07-02" and "2025-07-01" not in days_of(lake, "incident_versions")
    assert result.purged["findings"] == ["2025-07-01"] and "2025-07-01" in result.purged["incident_versions"]
    assert "partition(s) past retention purged" in result.detail
    # the manifest says which of each file's days are gone; outputs name only what is left
    purged = {e.source_file: e.purged_dates for e in manifest.load_all(lake)}
    assert purged["app-2025-07-01.jsonl"] == ["2025-07-01"] and purged["app-2025-07-04.jsonl"] == []
    for entry in manifest.load_all(lake):
        assert all((lake / output).exists() for output in entry.outputs)
    conn = connect(lake)  # what is left reads as a lake
    assert conn.execute("select min(event_date) from app_events").fetchone()[0] == DAYS[2]
    assert conn.execute("select count(*) from incidents").fetchone()[0] == 0
    assert conn.execute("select count(*) from ingest_manifest where len(purged_dates) > 0").fetchone()[0] == 2
    conn.close()
    again = retention.purge(lake, later, retention_days=43, record_retention_days=44)
    assert again.purged == {}  # idempotent


def test_zero_retention_keeps_everything(lake: Path):
    before = {t: days_of(lake, t) for t in (*EVENTS, *RECORDS)}
    assert retention.purge(lake, DAYS[0] + timedelta(days=2000), 0, 0).purged == {}
    assert {t: days_of(lake, t) for t in (*EVENTS, *RECORDS)} == before


# --- compaction ---------------------------------------------------------------------------------

DAY = "2025-07-05"
PARTS = 6


@pytest.fixture
def crowded(tmp_path: Path) -> tuple[Path, list[Path]]:
    """The fixture day's app log delivered as six files: six Parquet files in the day's folder."""
    from transforms.ingest.run import ingest_files

    lines = (FIXTURES / "app-2025-07-05.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = []
    for k in range(PARTS):
        path = inbox / f"app-{DAY}-part{k}.jsonl"
        path.write_text("".join(lines[k::PARTS]), encoding="utf-8")
        files.append(path)
    ingest_files(files, _opts(tmp_path / "lake"))
    return tmp_path / "lake", files


def rows(lake: Path) -> list[tuple]:
    conn = duckdb.connect()
    out = conn.execute(f"select * from read_parquet('{lake}/app_events/*/*.parquet', hive_partitioning = true) "
                       "order by source_file, source_line").fetchall()
    conn.close()
    return out


def folder(lake: Path) -> list[str]:
    return sorted(p.name for p in (lake / "app_events" / f"event_date={DAY}").iterdir())


def test_a_crowded_day_is_compacted_without_changing_a_row(crowded):
    lake, _ = crowded
    before = rows(lake)
    assert len(folder(lake)) == PARTS
    result = retention.purge(lake, date(2025, 7, 6), retention_days=0, record_retention_days=0)
    assert result.compacted == {"app_events": [DAY]} and result.files_before == PARTS
    assert folder(lake) == [retention.COMPACTED]
    assert rows(lake) == before
    for entry in manifest.load_all(lake):
        assert entry.outputs and all((lake / o).exists() for o in entry.outputs)
    assert retention.purge(lake, date(2025, 7, 6), 0, 0).compacted == {}  # one file: nothing to do


def test_a_file_that_grows_after_compaction_replaces_its_rows(crowded):
    from transforms.ingest.run import ingest_files

    lake, files = crowded
    retention.purge(lake, date(2025, 7, 6), 0, 0)
    before = len(rows(lake))
    grown = files[0]
    extra = (FIXTURES / "app-2025-07-05.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[1]
    extra = extra.replace('"event_id": "', '"event_id": "grown-')  # a new event in the same file
    assert "grown-" in extra
    grown.write_text(grown.read_text(encoding="utf-8") + extra, encoding="utf-8")
    [result] = ingest_files([grown], _opts(lake))
    assert result.status == "replaced" and result.rows_quarantined == 0
    after = rows(lake)
    assert len(after) == before + 1
    conn = duckdb.connect()
    dupes = conn.execute(f"select count(*) from (select source_file, source_line from read_parquet("
                         f"'{lake}/app_events/*/*.parquet') group by all having count(*) > 1)").fetchone()[0]
    conn.close()
    assert dupes == 0


COMPACT_SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from transforms.lake.retention import purge
purge(Path(sys.argv[1]), date(2025, 7, 6), 0, 0)
"""


@pytest.mark.parametrize("point", ["compact.written", "compact.exchanged"])
def test_a_compaction_killed_anywhere_leaves_a_readable_lake(crowded, point: str):
    lake, _ = crowded
    before = rows(lake)
    env = {**os.environ, "VIGIE_CRASH_AT": point}
    done = subprocess.run([sys.executable, "-c", COMPACT_SCRIPT, str(lake)], env=env, capture_output=True,
                          timeout=120)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    for path in (lake / "app_events").rglob("*"):
        if path.is_file():
            assert path.suffix == ".parquet" and not path.name.startswith("."), path
    assert rows(lake) == before  # the old folder or the new one, whole
    assert folder(lake) in (sorted(f"app-{DAY}-part{k}.jsonl.parquet" for k in range(PARTS)), [retention.COMPACTED])
    retention.purge(lake, date(2025, 7, 6), 0, 0)  # the next night finishes the work
    assert folder(lake) == [retention.COMPACTED] and rows(lake) == before
    for entry in manifest.load_all(lake):
        assert all((lake / o).exists() for o in entry.outputs)
