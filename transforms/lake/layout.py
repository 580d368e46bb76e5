"""The lake's layout, its atomic writes, its lock and the analyst's DuckDB connection.

Why here: every step writes or reads the same folders; keeping the layout, the
write-then-rename rule and the lock in one module keeps them consistent.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

EVENT_TABLES = ("auth_events", "app_events")
TMP_DIR = ".tmp"
MANIFEST_DIR = "_manifest"
QUARANTINE_DIR = "quarantine"
LOCK_FILE = ".lock"
SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


class LakeBusyError(RuntimeError):
    """Another Vigie run holds the lake's lock."""


def private_dir(path: Path) -> Path:
    """Create a folder readable by its owner only (the lake holds who read whose file).

    Every folder it has to create is owner-only, the missing parents too (`mkdir(parents=True)`
    would give those the process's default mode); existing folders are left as they are.
    """
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a folder")
    return path


PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Owner-only defaults for everything this process creates (DuckDB's files, Prefect's home,
    analysts' exports): called at the start of the CLI and of every flow that writes."""
    os.umask(PRIVATE_UMASK)


def safe_name(name: str) -> str:
    """A file name that cannot climb out of its folder (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).lstrip(".")
    return cleaned or "unnamed"


def partition_dir(lake: Path, table: str, event_date: str) -> Path:
    return lake / table / f"event_date={event_date}"


def new_tmp_dir(lake: Path) -> Path:
    """A private scratch folder inside the lake (same filesystem, so renames are atomic)."""
    return private_dir(lake / TMP_DIR / uuid.uuid4().hex)


def clean_stale_tmp(lake: Path) -> None:
    """Remove scratch folders of runs that died; only called while holding the lock."""
    shutil.rmtree(lake / TMP_DIR, ignore_errors=True)


def write_json_atomic(path: Path, payload: object) -> None:
    """Write JSON through a temporary sibling and a rename: readers see old or new, never half."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def publish(tmp_file: Path, final: Path) -> None:
    """Move a finished file into the lake in one rename."""
    private_dir(final.parent)
    os.chmod(tmp_file, 0o600)
    os.replace(tmp_file, final)


@contextlib.contextmanager
def lake_lock(lake: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lake's exclusive lock; wait up to `wait_seconds`, then stop with a clear error.

    The holder is about to write the lake, so its files are made owner-only from here on.
    """
    private_umask()
    private_dir(lake)
    fd = os.open(lake / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
                    raise LakeBusyError(
                        f"the lake {lake} is in use by {holder}; wait for it to finish "
                        "(or pass a longer wait) and run again"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"vigie pid {os.getpid()}".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


_CRASH_HITS: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Failure injection for the crash tests: die here, hard, when VIGIE_CRASH_AT names this point.

    `VIGIE_CRASH_AT=name#3` dies on the third time the run passes `name` (a point inside a
    step that runs once per day or per file).
    """
    wanted = os.environ.get("VIGIE_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    _CRASH_HITS[name] = _CRASH_HITS.get(name, 0) + 1
    if _CRASH_HITS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def read_sql(relative: str) -> str:
    """The text of a file under sql/ (queries live in .sql files, not in Python strings)."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def sql_code(sql: str) -> str:
    """`sql` without its `--` comments (which may name parameters the statement does not use)."""
    return re.sub(r"--[^\n]*", "", sql)


def used_params(sql: str, params: dict) -> dict:
    """DuckDB rejects unused named parameters: bind only those the query names (outside comments)."""
    code = sql_code(sql)
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", code)}


def sql_string(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_in_list(values: list[str]) -> str:
    """`('a', 'b')` written into a query's `x in $list`: DuckDB tests a literal list as it reads
    the rows, where a parameter list is joined afterwards; `(null)` when empty."""
    return "(" + ", ".join(sql_string(str(v)) for v in values) + ")" if values else "(null)"


# DuckDB's memory cap per process. Measured with `vigie bench` (docs/performance.md): the
# nightly's peak stays near 1.4-1.5 GB from a 10M- to a 40M-event day at 1 GB, at the same
# speed; at 2 GB the stages after ingest grew to 2.4 GB at 40M without running faster.
DEFAULT_MEMORY_LIMIT = "1GB"


def configure(conn: duckdb.DuckDBPyConnection, memory_limit: str, threads: int, spill: Path | None) -> None:
    """Session settings every Vigie connection shares: UTC, bounded memory, spill folder."""
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(f"set memory_limit = '{memory_limit}'")
    # Parquet footers read once per connection, not once per query: a view over many files
    # (union_by_name) otherwise re-reads every file's metadata each time a query binds it,
    # 0.1 s a query over a 10M-event lake's 45-day window. DuckDB re-reads a file modified
    # since (or within seconds of) its cached read.
    conn.execute("set parquet_metadata_cache = true")
    if threads:
        conn.execute(f"set threads = {int(threads)}")
    if spill is not None:
        conn.execute(f"set temp_directory = '{spill}'")
