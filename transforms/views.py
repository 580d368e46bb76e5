"""One DuckDB connection with the whole lake defined as views.

Why one function: detections, reports, `vigie query`, `vigie shell`, the stock DuckDB CLI
(via a generated init file) and analysts' own Python all see the same tables with the
same names. Base tables come from the lake's folders; every `sql/views/*.sql` file then
builds on them, in file-name order.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.lake import DEFAULT_MEMORY_LIMIT, SQL_DIR, configure

# Lake folders read as tables; hive partitions come back as DATE, not as integers.
PARTITIONED_TABLES = ("auth_events", "app_events", "findings", "account_daily",
                      "incident_versions", "incident_exposure", "incident_members")
FLAT_TABLES = ("quarantine",)
# The fields of transforms.manifest.ManifestEntry, in its order.
MANIFEST_COLUMNS = (
    "{sha256: 'VARCHAR', source_file: 'VARCHAR', source_kind: 'VARCHAR', size_bytes: 'BIGINT', "
    "lines_read: 'BIGINT', rows_written: 'BIGINT', rows_quarantined: 'BIGINT', first_event_time: 'VARCHAR', "
    "last_event_time: 'VARCHAR', event_dates: 'DATE[]', outputs: 'VARCHAR[]', warnings: 'VARCHAR[]', "
    "reference_missing: 'VARCHAR[]', replaces_sha256: 'VARCHAR'}"
)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _read_partitions(lake: Path, table: str) -> str:
    glob = _quote(lake / table / "event_date=*" / "*.parquet")
    return (f"read_parquet('{glob}', hive_partitioning = true, hive_types = {{'event_date': DATE}}, "
            "union_by_name = true)")


def base_view_sql(lake: Path, table: str) -> str | None:
    """The statement defining one base view, or None when the lake has no file for it yet."""
    if table in PARTITIONED_TABLES:
        if not any((lake / table).glob("event_date=*/*.parquet")):
            return None
        read = _read_partitions(lake, table)
        if table == "findings" and any((lake / "incident_members").glob("event_date=*/*.parquet")):
            # findings are written once; the incident each belongs to is the latest membership
            # the incident linker wrote (transforms/detect/incidents.py)
            members = _read_partitions(lake, "incident_members")
            return (f"create or replace view findings as select f.* replace "
                    f"(coalesce(m.incident_uid, f.incident_uid) as incident_uid) from {read} f left join "
                    f"(select finding_uid, arg_max(incident_uid, event_date) as incident_uid from {members} "
                    "group by finding_uid) m using (finding_uid)")
        return f"create or replace view {table} as select * from {read}"
    if not any((lake / table).glob("*.parquet")):
        return None
    glob = _quote(lake / table / "*.parquet")
    return f"create or replace view {table} as select * from read_parquet('{glob}', union_by_name = true)"


def define_views(conn: duckdb.DuckDBPyConnection, lake: Path) -> list[str]:
    """Define every view on `conn`; return the statements (for the stock CLI's init file)."""
    statements = []
    for table in (*PARTITIONED_TABLES, *FLAT_TABLES):
        statement = base_view_sql(lake, table)
        if statement is not None and conn.execute(  # an earlier empty stand-in table
                "select count(*) from duckdb_tables() where table_name = ? and not temporary",
                [table]).fetchall()[0][0]:
            conn.execute(f"drop table {table}")
        if statement is None:  # an empty lake still has every table, with its columns
            schema_file = SQL_DIR / "schemas" / f"{table}.sql"
            if not schema_file.exists():
                continue
            statement = schema_file.read_text(encoding="utf-8")
        conn.execute(statement)
        statements.append(statement)
    manifest_glob = _quote(lake / "_manifest" / "*.json")
    if any((lake / "_manifest").glob("*.json")):
        # the columns are given: detecting them made read_json open the files at once with
        # 32 MiB each, out of memory past ~60 files (a month of a 2-file day) at 2 GB
        statement = (f"create or replace view ingest_manifest as select * from read_json('{manifest_glob}', "
                     f"format = 'auto', columns = {MANIFEST_COLUMNS})")
        conn.execute(statement)
        statements.append(statement)
    for view_file in sorted((SQL_DIR / "views").glob("*.sql")):
        text = view_file.read_text(encoding="utf-8")
        conn.execute(text)
        statements.append(text)
    return statements


def connect(lake: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 0) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection over the lake, every view defined."""
    conn = duckdb.connect()
    configure(conn, memory_limit, threads, None)
    define_views(conn, Path(lake).resolve())
    return conn
