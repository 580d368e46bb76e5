"""DuckDB connections: the settings every Vigie connection shares, and a connection with
the lake's views defined."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb

from transforms.lake.sql import sql_string
from transforms.lake.views import define_views

# DuckDB's memory cap per process. Measured with `vigie bench` (docs/performance.md): the
# nightly's peak stays near 1.4-1.5 GB from a 10M- to a 40M-event day at 1 GB, at the same
# speed; at 2 GB the stages after ingest grew to 2.4 GB at 40M without running faster.
DEFAULT_MEMORY_LIMIT = "1GB"
# The local time of the monitored services (the `timezone` setting): working hours, local times
# in views and reports. Connections stay in UTC; the SQL reads the zone from this variable.
DEFAULT_TIMEZONE = "Europe/Paris"


def timezone_statement(timezone: str) -> str:
    """`set variable vigie_timezone = '...'`: what the `to_local_time` macro (sql/views) converts to."""
    return f"set variable vigie_timezone = {sql_string(timezone)}"


def configure(conn: duckdb.DuckDBPyConnection, memory_limit: str, threads: int, spill: Path | None,
              timezone: str = DEFAULT_TIMEZONE) -> None:
    """Session settings every Vigie connection shares: UTC, the local time zone, bounded memory,
    spill folder."""
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(timezone_statement(timezone))
    conn.execute(f"set memory_limit = '{memory_limit}'")
    # Parquet footers read once per connection, not once per query: a view over many files
    # (union_by_name) otherwise re-reads every file's metadata each time a query binds it,
    # 0.1 s a query over a 10M-event lake's 45-day window. DuckDB re-reads a file modified
    # since (or within seconds of) its cached read.
    conn.execute("set parquet_metadata_cache = true")
    if threads:
        conn.execute(f"set threads = {int(threads)}")
    if spill is not None:
        conn.execute(f"set temp_directory = {sql_string(str(spill))}")


def connect(lake: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 0,
            days: Iterable[date] | None = None, timezone: str = DEFAULT_TIMEZONE) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection over the lake, every view defined (over `days` only, if
    given), local times in `timezone`."""
    conn = duckdb.connect()
    configure(conn, memory_limit, threads, None, timezone)
    from transforms.lake import storage

    define_views(conn, lake if storage.is_remote(lake) else Path(lake).resolve(), days)
    return conn
