"""Retention and compaction: what the nightly does to the lake after the night's work.

Why whole partitions: a day is the lake's unit, so a purge is a rename of the day's folder out
of sight (atomic: a reader sees the day or nothing), then its deletion. Events (and the
profiles derived from them) are kept `retention_days` (VIGIE_RETENTION_DAYS, 365 by default:
the CNIL's guidance on logging is 6 to 12 months); findings and incidents, the record of what
happened, `record_retention_days` (VIGIE_RECORD_RETENTION_DAYS, three years); quarantined lines
as `transforms/ingest/quarantine.py` says. A day an open incident still needs for its exposure (the
days of its findings and the day on either side) is never purged. Each purged day is written
into the manifest entries of the files that had rows on it (`purged_dates`) before the folder
goes, and the run summary says what went.

Why compaction: every input file writes its own Parquet per day, so late files, grown files and
many sources leave a day with many small files. A day folder with more than `COMPACT_MIN_FILES`
files is rewritten as one file (`_compacted.parquet`, rows in time order, the same rows), built
in a scratch folder and swapped in with one atomic exchange of the two folders
(`renameat2(RENAME_EXCHANGE)`): a reader, or a crash, sees the old folder or the new one. The
manifest then names the compacted file as each source file's output; a later version of one of
those files takes its old rows out of the compacted file (`drop_source_rows`).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from transforms.lake import manifest
from transforms.lake.atomic import new_tmp_dir
from transforms.lake.crash import crash_point
from transforms.lake.layout import EVENT_TABLES, partition_dir
from transforms.lake.sql import sql_string

EVENT_DERIVED = (*EVENT_TABLES, "account_daily")  # kept `retention_days`
RECORD_TABLES = ("findings", "incident_versions", "incident_exposed", "incident_members")  # kept longer
COMPACT_MIN_FILES = 4  # a day folder with more files than this is compacted
COMPACTED = "_compacted.parquet"
DEFAULT_RETENTION_DAYS = 365
DEFAULT_RECORD_RETENTION_DAYS = 3 * 365


@dataclass
class PurgeResult:
    """What `purge` did for the night of `day` (the run summary's `retention` step)."""

    day: str
    purged: dict[str, list[str]] = field(default_factory=dict)  # table → event dates removed
    kept_for_incidents: list[str] = field(default_factory=list)  # past retention, kept for an open incident
    compacted: dict[str, list[str]] = field(default_factory=dict)  # table → days compacted
    files_before: int = 0  # files in the compacted days before
    seconds: float = 0.0

    @property
    def detail(self) -> str:
        gone = sum(len(v) for v in self.purged.values())
        parts = [f"{gone} partition(s) past retention purged"]
        if self.kept_for_incidents:
            parts.append(f"{len(self.kept_for_incidents)} day(s) kept for open incidents")
        done = sum(len(v) for v in self.compacted.values())
        if done:
            parts.append(f"{done} partition(s) compacted from {self.files_before} files")
        return ", ".join(parts)


def _days(lake: Path, table: str) -> list[date]:
    out = []
    for folder in (lake / table).glob("event_date=*"):
        try:
            out.append(date.fromisoformat(folder.name.split("=", 1)[1]))
        except ValueError:
            continue
    return sorted(out)


def needed_days(lake: Path, day: date) -> set[date]:
    """Days whose events the incidents open after the night of `day` still count exposure from."""
    from transforms.detect.incidents import LOOKBACK_DAYS, OPEN_DAYS

    versions = sorted(str(partition_dir(lake, "incident_versions", str(d)) / "incidents.parquet")
                      for d in _days(lake, "incident_versions") if day - timedelta(days=OPEN_DAYS) <= d <= day)
    versions = [v for v in versions if Path(v).exists()]
    if not versions:
        return set()
    conn = duckdb.connect()
    try:
        rows = conn.execute(
            "select unnest(finding_days) from (select *, row_number() over (partition by incident_uid "
            "order by event_date desc) as rn from read_parquet([" + ", ".join(map(sql_string, versions)) + "], "
            "hive_partitioning = true, hive_types = {'event_date': DATE})) "
            "where rn = 1 and merged_into is null and last_day >= $day::date - $open",
            {"day": day, "open": OPEN_DAYS}).fetchall()
    finally:
        conn.close()
    days = {d + timedelta(days=k) for (d,) in rows for k in (-1, 0, 1)}
    # true scope: an open incident re-counts its attacker's reads from LOOKBACK_DAYS before its
    # first finding, so those days stay too (a bounded window per open incident)
    if rows:
        first = min(d for (d,) in rows)
        days |= {first - timedelta(days=k) for k in range(1, LOOKBACK_DAYS + 1)}
        days |= {first + timedelta(days=k) for k in range((day - first).days + 1)}
    return days


def _remove(lake: Path, folder: Path) -> None:
    """Rename the folder out of sight (atomic), then delete it."""
    if not folder.exists():
        return
    graveyard = new_tmp_dir(lake)
    os.replace(folder, graveyard / folder.name)
    crash_point("retention.moved")
    shutil.rmtree(graveyard, ignore_errors=True)


def purge(lake: Path, day: date, retention_days: int = DEFAULT_RETENTION_DAYS,
          record_retention_days: int = DEFAULT_RECORD_RETENTION_DAYS, compact_days: bool = True) -> PurgeResult:
    """Purge the partitions past retention on the night of `day`, then compact crowded days.

    A retention of 0 or less keeps everything. Call it with the lake's lock held.
    """
    started = time.monotonic()
    lake = Path(lake)
    result = PurgeResult(day=str(day))
    needed = needed_days(lake, day)
    doomed: dict[str, list[date]] = {}
    for tables, keep in ((EVENT_DERIVED, retention_days), (RECORD_TABLES, record_retention_days)):
        if keep <= 0:
            continue
        cutoff = day - timedelta(days=keep)
        for table in tables:
            old = [d for d in _days(lake, table) if d < cutoff]
            held = [d for d in old if d in needed]
            result.kept_for_incidents = sorted(set(result.kept_for_incidents) | {str(d) for d in held})
            if old := [d for d in old if d not in held]:
                doomed[table] = old
    if doomed:
        _record(lake, doomed)
        for table, days in doomed.items():
            for d in days:
                _remove(lake, partition_dir(lake, table, str(d)))
            result.purged[table] = [str(d) for d in days]
    if compact_days:
        for table in EVENT_TABLES:
            for d in _days(lake, table):
                files = len(list(partition_dir(lake, table, str(d)).glob("*.parquet")))
                if files > COMPACT_MIN_FILES and compact(lake, table, d):
                    result.compacted.setdefault(table, []).append(str(d))
                    result.files_before += files
        _point_manifest_at_compacted(lake)  # also what a compaction killed after its swap left
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _record(lake: Path, doomed: dict[str, list[date]]) -> None:
    """Write the purged event dates into the manifest entries of the files that had rows on them."""
    gone = {str(d) for table in EVENT_TABLES for d in doomed.get(table, [])}
    if not gone:
        return
    for entry in manifest.load_all(lake):
        dates = sorted(gone & set(entry.event_dates) - set(entry.purged_dates))
        if dates:
            entry.purged_dates = sorted(set(entry.purged_dates) | set(dates))
            entry.outputs = [o for o in entry.outputs if not any(f"event_date={d}/" in o for d in dates)]
            manifest.save(lake, entry)


# --- compaction -------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        errno = ctypes.get_errno()
        if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this filesystem cannot
            return False
        raise OSError(errno, os.strerror(errno), str(a))
    return True


def compact(lake: Path, table: str, day: date) -> bool:
    """Rewrite the day's partition of `table` as one file with the same rows; False if not done."""
    from transforms.ingest.day_files import ORDER, rewrite

    lake = Path(lake)
    folder = partition_dir(lake, table, str(day))
    files = sorted(folder.glob("*.parquet"))
    if len(files) < 2:
        return False
    tmp = new_tmp_dir(lake)
    try:
        staged = tmp / folder.name
        staged.mkdir(mode=0o700)
        target = staged / COMPACTED
        conn = duckdb.connect()
        try:
            read = (f"read_parquet([{', '.join(sql_string(str(f)) for f in files)}], "
                    "union_by_name = true, hive_partitioning = false)")
            query = f"select * from {read} order by {ORDER}, source_file"
            before = conn.execute(f"select count(*) from {read}").fetchall()[0][0]
            written = rewrite(conn, target, query)
        finally:
            conn.close()
        if written != before:
            raise RuntimeError(f"compaction of {folder} wrote {written} rows for {before}")
        crash_point("compact.written")
        if not exchange(staged, folder):
            return False
        crash_point("compact.exchanged")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def _point_manifest_at_compacted(lake: Path) -> None:
    """Manifest outputs that a compaction merged now name the compacted file of their day."""
    for entry in manifest.load_all(lake):
        moved = {o: str(Path(o).parent / COMPACTED) for o in entry.outputs
                 if not (lake / o).exists() and (lake / o).parent.joinpath(COMPACTED).exists()}
        if moved:
            entry.outputs = sorted({moved.get(o, o) for o in entry.outputs})
            manifest.save(lake, entry)


def drop_source_rows(lake: Path, source_file: str, event_dates: list[str], keep: set[str]) -> None:
    """Take an earlier version's rows of `source_file` out of the compacted files of its days
    (the new version's rows are in their own file), atomically per file; `keep`: outputs of
    the new version, left alone."""
    from transforms.ingest.day_files import rewrite

    for day in event_dates:
        for table in EVENT_TABLES:
            path = partition_dir(Path(lake), table, day) / COMPACTED
            if not path.exists() or str(path.relative_to(lake)) in keep:
                continue
            conn = duckdb.connect()
            try:
                if conn.execute(f"select count(*) from read_parquet({sql_string(str(path))}) "
                                "where source_file = $s", {"s": source_file}).fetchall()[0][0]:
                    rewrite(conn, path, "select * from read_parquet($file, hive_partitioning = false) "
                            "where source_file <> $s",
                            {"s": source_file})
            finally:
                conn.close()
