"""Per-account daily profiles (`lake/account_daily/`), computed one day at a time.

Why incremental: a day's profile depends only on that day's events, so the nightly run adds
one partition and re-running a day replaces it. Rules read the trailing 28 days of these rows
through the `account_history` and `peer_history` table macros (sql/views/60_baselines.sql).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb

from transforms.detect import dayset
from transforms.lake.atomic import new_tmp_dir, publish
from transforms.lake.layout import partition_dir
from transforms.lake.sql import read_sql

HISTORY_DAYS = 28


def lake_days(lake: Path, table: str) -> list[date]:
    return sorted(date.fromisoformat(p.name.split("=", 1)[1])
                  for p in (Path(lake) / table).glob("event_date=*") if any(p.glob("*.parquet")))


def write_day(conn: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """Compute and publish one day's profiles (an empty file when nobody worked that day)."""
    dayset.activity(conn, day)  # the day's app_activity, reused by the rules that follow
    dayset.parts(conn, day)  # the day's events grouped once; the rules' day_sessions reuses it
    tmp = new_tmp_dir(lake)
    try:
        staged = tmp / "account_daily.parquet"
        conn.execute(f"copy ({read_sql('baselines/account_daily.sql')}) to "
                     f"'{str(staged).replace(chr(39), chr(39) * 2)}' (format parquet, compression zstd)")
        publish(staged, partition_dir(lake, "account_daily", str(day)) / "account_daily.parquet")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def update(conn: duckdb.DuckDBPyConnection, lake: Path, day: date, recompute_day: bool = True) -> list[str]:
    """Write `day` and any missing day of the trailing window that has events; return days written."""
    have = set(lake_days(lake, "account_daily"))
    event_days = set(lake_days(lake, "app_events"))
    wanted = [day - timedelta(days=i) for i in range(HISTORY_DAYS, 0, -1)]
    todo = [d for d in wanted if d in event_days and d not in have]
    if recompute_day:
        todo.append(day)
    for d in todo:
        write_day(conn, lake, d)
    return [str(d) for d in todo]
