"""Read-only access to the lake for the analyst's workbench (query, shell, hunts, stock CLI).

Why one opener: `vigie query`, `vigie shell`, `vigie hunt` and the init file for the stock
DuckDB command line must open the very same views the detections use (`transforms.lake.views`),
and none of them may change the lake. The connection is an in-memory DuckDB whose views
read the lake's Parquet files; statements that could write files, attach databases, load
extensions or change settings are refused before they run, and the configuration is locked.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.lake.duck import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEZONE, configure, timezone_statement
from transforms.lake.sql import used_params
from transforms.lake.views import define_views

ST = duckdb.StatementType
QUERY_STATEMENTS = {ST.SELECT, ST.EXPLAIN, ST.PRAGMA}
# The shell may also build its own in-memory tables and views (never files, never settings).
SHELL_STATEMENTS = QUERY_STATEMENTS | {ST.CREATE, ST.DROP, ST.INSERT, ST.UPDATE, ST.DELETE, ST.ALTER,
                                       ST.PREPARE, ST.EXECUTE, ST.VARIABLE_SET}


class ReadOnlyError(ValueError):
    """A statement the workbench refuses (it could write outside memory or change settings)."""


def open_lake(lake: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 0,
              timezone: str = DEFAULT_TIMEZONE) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with every view over `lake`, local times in `timezone` (as the
    nightly's); its configuration is locked."""
    from transforms.lake import storage

    remote = storage.is_remote(lake)
    if remote:
        lake_dir = storage.location(lake).rstrip("/")
    else:
        lake = Path(lake).resolve()
        if not lake.is_dir():
            raise FileNotFoundError(f"no lake at {lake} (set VIGIE_LAKE or run vigie ingest first)")
        lake_dir = str(lake)
    conn = duckdb.connect()
    spill = Path(tempfile.mkdtemp(prefix="vigie-workbench-"))  # a private spill folder, removed with conn
    weakref.finalize(conn, shutil.rmtree, spill, True)
    configure(conn, memory_limit, threads, spill, timezone)  # the nightly's session: UTC, the zone, memory
    define_views(conn, lake)
    # Files: the lake only (and the spill folder), never the inbox, the key or anything else.
    # (a remote lake: the store's own permissions decide too; an analyst's identity is read-only)
    conn.execute("set allowed_directories = $dirs", {"dirs": [f"{lake_dir}/", f"{spill}/"]})
    conn.execute("set enable_external_access = false")
    conn.execute("set autoinstall_known_extensions = false")
    conn.execute("set autoload_known_extensions = false")
    conn.execute("set lock_configuration = true")
    return conn


# PRAGMAs that only describe (others import databases or change settings).
READ_PRAGMAS = {"table_info", "show", "show_tables", "show_tables_expanded", "database_size", "database_list",
                "version", "platform", "storage_info", "functions", "collations", "user_agent"}
_EXPLAIN = re.compile(r"^\s*explain\s*(?:\([^)]*\))?\s*(?:analy[sz]e\b)?", re.IGNORECASE)
_PREPARE = re.compile(r"^\s*prepare\s+\w+\s*(?:\([^)]*\))?\s*as\b", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*pragma\s+(\w+)", re.IGNORECASE)
_SECRET = re.compile(r"^\s*create\s+(?:or\s+replace\s+)?(?:persistent\s+|temporary\s+|temp\s+)?secret\b",
                     re.IGNORECASE)


def _refuse(kind: str) -> ReadOnlyError:
    return ReadOnlyError(f"{kind} statements are not allowed here: the workbench only reads the lake")


def check_statements(sql: str, allowed: set = QUERY_STATEMENTS) -> list[duckdb.Statement]:
    """Parse `sql`; refuse any statement whose kind is not in `allowed`.

    Statements that wrap another are checked inside too: EXPLAIN ANALYZE runs its statement
    (`explain analyze copy ... to 'file'` writes the file), and a prepared COPY would run at
    EXECUTE; only read-only PRAGMAs pass (`pragma import_database` runs a folder's SQL).
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ReadOnlyError(str(exc)) from None
    for statement in statements:
        if statement.type not in allowed:
            raise _refuse(str(statement.type).rsplit(".", 1)[-1])
        text = statement.query
        if statement.type == ST.EXPLAIN:
            check_statements(_EXPLAIN.sub("", text, count=1), {ST.SELECT})
        elif statement.type == ST.PREPARE:
            check_statements(_PREPARE.sub("", text, count=1), allowed - {ST.PREPARE, ST.EXECUTE})
        elif statement.type == ST.PRAGMA:
            match = _PRAGMA.match(text)
            if match is None or match.group(1).lower() not in READ_PRAGMAS:
                raise _refuse(f"PRAGMA {match.group(1) if match else ''}".strip())
        elif statement.type == ST.CREATE and _SECRET.match(text):
            raise _refuse("CREATE SECRET")
    if not statements:
        raise ReadOnlyError("no SQL statement given")
    return statements


def run(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None,
        allowed: set = QUERY_STATEMENTS) -> pa.Table | None:
    """Run every statement of `sql` (checked first); return the last one's result as Arrow."""
    statements = check_statements(sql, allowed)
    params = params or {}
    result = None
    for statement in statements:
        text = statement.query
        used = used_params(text, params)
        relation = conn.sql(text, params=used) if used else conn.sql(text)
        result = relation.to_arrow_table() if relation is not None else None
    return result


def init_file_text(lake: Path, timezone: str = DEFAULT_TIMEZONE) -> str:
    """An init file for the stock `duckdb` CLI: the same views, absolute paths, UTC, local times
    in `timezone`."""
    from transforms.lake import storage

    if storage.is_remote(lake):  # the stock CLI would need httpfs, not installable offline
        raise ValueError(f"{storage.location(lake)} is on an object store: use `vigie shell` or `vigie query`")
    conn = duckdb.connect()
    conn.execute(timezone_statement(timezone))
    statements = define_views(conn, Path(lake).resolve())
    conn.close()
    lines = ["-- Generated by `vigie shell --init-file`: the Vigie lake's views for the stock DuckDB CLI.",
             "-- Usage: duckdb -init THIS_FILE   (re-generate after new tables appear in the lake)",
             ".bail on", "set TimeZone = 'UTC';", timezone_statement(timezone) + ";"]
    lines += [s.strip().rstrip(";") + ";" for s in statements]
    lines += [".bail off", ".prompt 'vigie> '"]
    return "\n".join(lines) + "\n"
