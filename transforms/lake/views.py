"""The whole lake defined as views on a DuckDB connection (`define_views`).

Why one definition: detections, reports, `vigie query`, `vigie shell`, the stock DuckDB CLI
(via a generated init file) and analysts' own Python all see the same tables with the
same names. Base tables come from the lake's folders; every `sql/views/*.sql` file then
builds on them, in file-name order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import duckdb

from transforms.lake.sql import SQL_DIR, sql_string
from transforms.severity import severity_type_sql

# Tables whose later partitions carry columns earlier ones lack (see define_views).
GROWN_TABLES = ("incident_versions", "incident_exposed")
# Lake folders read as tables; hive partitions come back as DATE, not as integers.
PARTITIONED_TABLES = ("auth_events", "app_events", "findings", "account_daily", "suppressed",
                      "incident_versions", "incident_exposed", "incident_members")
FLAT_TABLES = ("quarantine", "triage", "suppressions")
# The fields of transforms.lake.manifest.ManifestEntry, in its order.
MANIFEST_COLUMNS = (
    "{sha256: 'VARCHAR', source_file: 'VARCHAR', source_kind: 'VARCHAR', size_bytes: 'BIGINT', "
    "lines_read: 'BIGINT', rows_written: 'BIGINT', rows_quarantined: 'BIGINT', first_event_time: 'VARCHAR', "
    "last_event_time: 'VARCHAR', event_dates: 'DATE[]', outputs: 'VARCHAR[]', warnings: 'VARCHAR[]', "
    "reference_missing: 'VARCHAR[]', replaces_sha256: 'VARCHAR', purged_dates: 'DATE[]'}"
)

# The days a night's detections may read: the longest lookback of the rules
# (created_account_shared_origin: 14 days of creations + 28 days of their creators' history)
# with a margin. A nightly connection sees only these partitions (`night_days`), so that a
# query's cost does not grow with the lake's age: DuckDB reads the metadata of every file a
# view names (union_by_name) each time a query binds it, 0.3-0.6 s a query on a year of days.
DETECT_WINDOW_DAYS = 45


def night_days(day: date, extra: Iterable[date] = ()) -> list[date]:
    """The days a nightly connection for `day` needs: the detection window and `extra` (an
    incident's finding days, say), never after `day`."""
    return sorted({day - timedelta(days=k) for k in range(DETECT_WINDOW_DAYS + 1)} | {d for d in extra if d <= day})


class RemoteLake:
    """The objects of a lake on an object store, listed once: the views name them one by one.

    Event and quarantine objects count only when a manifest names them (the manifest is the
    commit marker, written last by `transforms.lake.storage.push`); derived tables (findings,
    incidents, profiles) are whole objects, each written in one PUT.
    """

    def __init__(self, url: str) -> None:
        from transforms.lake import storage

        self.url = storage.location(url).rstrip("/")
        listing = storage.list_files(self.url)
        self.manifests = sorted(f"{self.url}/{rel}" for rel in listing
                                if rel.startswith("_manifest/") and rel.endswith(".json"))
        named = self._named() if self.manifests else set()
        committed = {"auth_events", "app_events", "quarantine"}
        self.files = sorted(rel for rel in listing if rel.endswith(".parquet")
                            and (rel.split("/", 1)[0] not in committed or rel in named))

    def _named(self) -> set[str]:
        from transforms.lake import storage

        fs = storage.filesystem(self.url)
        entries = [json.loads(fs.cat_file(m.split("://", 1)[1])) for m in self.manifests]
        return storage.manifest_outputs(entries)

    def partition_files(self, table: str, days: list[date] | None) -> list[str]:
        wanted = None if days is None else {f"{table}/event_date={d}/" for d in days}
        return [f"{self.url}/{rel}" for rel in self.files if rel.startswith(f"{table}/event_date=")
                and (wanted is None or rel[:rel.rindex("/") + 1] in wanted)]

    def flat_files(self, table: str) -> list[str]:
        return [f"{self.url}/{rel}" for rel in self.files if rel.startswith(f"{table}/") and rel.count("/") == 1]


def _partition_globs(lake: Path | RemoteLake, table: str, days: list[date] | None) -> list[str]:
    if isinstance(lake, RemoteLake):
        return lake.partition_files(table, days)
    if days is None:
        return [str(lake / table / "event_date=*" / "*.parquet")] \
            if any((lake / table).glob("event_date=*/*.parquet")) else []
    return [str(lake / table / f"event_date={d}" / "*.parquet") for d in days
            if any((lake / table / f"event_date={d}").glob("*.parquet"))]


def _read_partitions(globs: list[str]) -> str:
    files = ", ".join(sql_string(str(g)) for g in globs)
    return (f"read_parquet([{files}], hive_partitioning = true, hive_types = {{'event_date': DATE}}, "
            "union_by_name = true)")


def base_view_sql(lake: Path | RemoteLake, table: str, days: list[date] | None = None) -> str | None:
    """The statement defining one base view, or None when the lake has no file for it yet.

    With `days`, a partitioned table's view covers only those days' partitions.
    """
    if table in PARTITIONED_TABLES:
        globs = _partition_globs(lake, table, days)
        if not globs:
            return None
        read = _read_partitions(globs)
        member_globs = _partition_globs(lake, "incident_members", days) if table == "findings" else []
        if member_globs:
            # findings are written once; the incident each belongs to is the latest membership
            # the incident linker wrote (transforms/detect/incidents.py)
            members = _read_partitions(member_globs)
            return (f"create or replace view findings as select f.* replace "
                    f"(coalesce(m.incident_uid, f.incident_uid) as incident_uid) from {read} f left join "
                    f"(select finding_uid, arg_max(incident_uid, event_date) as incident_uid from {members} "
                    "group by finding_uid) m using (finding_uid)")
        return f"create or replace view {table} as select * from {read}"
    if isinstance(lake, RemoteLake):
        files = lake.flat_files(table)
        if not files:
            return None
        listed = ", ".join(sql_string(str(f)) for f in files)
        return f"create or replace view {table} as select * from read_parquet([{listed}], union_by_name = true)"
    if not any((lake / table).glob("*.parquet")):
        return None
    glob = sql_string(str(lake / table / "*.parquet"))
    return f"create or replace view {table} as select * from read_parquet({glob}, union_by_name = true)"


def define_views(conn: duckdb.DuckDBPyConnection, lake: Path | str,
                 days: Iterable[date] | None = None) -> list[str]:
    """Define every view on `conn`; return the statements (for the stock CLI's init file).

    `days`: the partitioned tables show only these days (a nightly's window, `night_days`);
    None: the whole lake (analysts, the workbench). `lake` may be an `s3://` URL: the store is
    registered on `conn` and the views name its committed objects (`RemoteLake`).
    """
    from transforms.lake import storage

    if storage.is_remote(lake):
        storage.register(conn, lake)
        return _define(conn, RemoteLake(storage.location(lake)), days)
    return _define(conn, Path(lake), days)


def _define(conn: duckdb.DuckDBPyConnection, lake: Path | RemoteLake, days: Iterable[date] | None) -> list[str]:
    statements = [severity_type_sql()]  # the ENUM `severity` SQL ranks with (transforms/severity.py)
    conn.execute(statements[0])
    wanted = None if days is None else sorted(set(days))
    for table in (*PARTITIONED_TABLES, *FLAT_TABLES):
        statement = base_view_sql(lake, table, wanted)
        if statement is not None and conn.execute(  # an earlier empty stand-in table
                "select count(*) from duckdb_tables() where table_name = ? and not temporary",
                [table]).fetchall()[0][0]:
            conn.execute(f"drop table {table}")
        if statement is None:  # an empty lake still has every table, with its columns
            schema_file = SQL_DIR / "schemas" / f"{table}.sql"
            if not schema_file.exists():
                continue
            statement = schema_file.read_text(encoding="utf-8")
        elif table in GROWN_TABLES:
            # partitions written before a column was added (a lake older than issue 19's true
            # scope) read as NULL in it: the view is unioned by name with the current columns
            columns = (SQL_DIR / "schemas" / f"{table}.sql").read_text(encoding="utf-8").replace(
                f"create or replace table {table} (", f"create or replace temp table {table}_columns (")
            conn.execute(columns)
            statements.append(columns)
            statement = statement.replace(f"create or replace view {table} as select * from ",
                                          f"create or replace view {table} as select * from {table}_columns "
                                          "union all by name select * from ", 1)
        conn.execute(statement)
        statements.append(statement)
    if isinstance(lake, RemoteLake):
        manifest_glob = "[" + ", ".join(sql_string(str(m)) for m in lake.manifests) + "]"
        has_manifest = bool(lake.manifests)
    else:
        manifest_glob = sql_string(str(lake / "_manifest" / "*.json"))
        has_manifest = any((lake / "_manifest").glob("*.json"))
    if has_manifest:
        # the columns are given: detecting them made read_json open the files at once with
        # 32 MiB each, out of memory past ~60 files (a month of a 2-file day) at 2 GB
        statement = (f"create or replace view ingest_manifest as select * from read_json({manifest_glob}, "
                     f"format = 'auto', columns = {MANIFEST_COLUMNS})")
        conn.execute(statement)
        statements.append(statement)
    if conn.execute("select getvariable('vigie_timezone') is null").fetchall()[0][0]:
        # local times and working hours would silently read NULL: configure() sets the zone
        raise RuntimeError("this DuckDB connection has no vigie_timezone: open it with "
                           "transforms.lake.duck.connect() or configure()")
    for view_file in sorted((SQL_DIR / "views").glob("*.sql")):
        text = view_file.read_text(encoding="utf-8")
        conn.execute(text)
        statements.append(text)
    return statements

