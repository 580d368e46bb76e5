"""Ingest one raw log file into the lake: parse, validate, pseudonymise, enrich, write.

One file is the unit of ingest. Lines stream from `reader` into a scratch DuckDB
database (bounded memory, spills to disk), the SQL in `sql/ingest/` does the parsing and
checks, and the results are published with renames, then recorded in the manifest. For
every file, lines read = rows written + rows quarantined, or the file is not published.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transforms.ingest.day_files import ORDER, DayFiles, rewrite
from transforms.ingest.enrich import IpCache, Reference
from transforms.ingest.privacy import mask_column, mask_text, mask_unmapped
from transforms.ingest.pseudonymise import PseudonymKey
from transforms.ingest.quarantine import write_quarantine
from transforms.ingest.read import LINE_SCHEMA, ReadStats, read_lines
from transforms.lake import manifest, retention, storage
from transforms.lake.atomic import clean_stale_tmp, new_tmp_dir, publish
from transforms.lake.crash import crash_point
from transforms.lake.duck import DEFAULT_MEMORY_LIMIT, configure
from transforms.lake.layout import QUARANTINE_DIR, partition_dir, safe_name
from transforms.lake.lock import lake_lock
from transforms.lake.sql import read_sql, sql_string
from transforms.progress import emit

SOURCES = {"proconnect": "auth_events", "app": "app_events"}
GROUP_BYTES = 64 << 20
DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")

APP_FIELDS = [
    "ts", "event_id", "event_type", "outcome", "actor_user_id", "actor_org_siret",
    "app_session_id", "src_ip", "request_id", "http_method", "url_route", "http_status",
    "bytes_out", "duration_ms", "actor_pc_sub", "actor_email", "actor_org_type", "actor_roles",
    "auth_acr", "auth_amr", "auth_time", "user_agent", "device_id", "beneficiary_id",
    "beneficiary_count", "record_type", "contains_nir", "in_portfolio", "search_params",
    "export_format", "rows_exported", "target_user_id", "target_email", "target_roles",
    "target_org_siret",
]  # fmt: skip
PROCONNECT_FIELDS = [
    "levelNumber", "level", "time", "pid", "hostname", "msg", "event", "step", "code", "ip",
    "forwardedFor", "userAgent", "method", "path", "requestId", "sessionId", "browsingSessionId",
    "interactionId", "spId", "spName", "spEssentialAcr", "spSiretHint", "idpId", "idpName",
    "idpLabel", "idpAcr", "idpAmr", "spAmr", "idpEmail", "idpEmailFqdn", "idpLoginHint", "idpSub",
    "idpSiret", "interactionAcr", "spSub", "spSiret", "category", "logId", "source", "accountId",
    "reusesActiveSession", "deviceTrusted", "deviceIsSuspicious", "deviceKnown",
    "deviceNewIdentity", "deviceAccountCount",
    # technical lines (error filters: message, id, type, statusCode, stackTrace, causes) and
    # the fields of the Oct 2025-Aug 2026 era and of FranceConnect's legacy format
    "message", "levelLabel", "id", "type", "statusCode", "stackTrace", "causes", "amr", "isSso",
    "spAcr", "spLoginHint", "email",
]  # fmt: skip
KNOWN_FIELDS = {"app": APP_FIELDS, "proconnect": PROCONNECT_FIELDS}
# Columns of free text or of values under unknown keys: masked before anything is written
# (transforms/ingest/privacy.py); the staging SQL hands them over as they came.
MASKED = {"message": mask_text, "stack_trace": mask_text, "error_causes": mask_text, "unmapped": mask_unmapped}


class IngestError(RuntimeError):
    """A file could not be ingested; nothing of it was published."""


@dataclass
class IngestOptions:
    lake: Path
    key: PseudonymKey
    reference: Reference
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 0
    max_line_bytes: int = 1 << 20
    max_clock_skew_days: int = 2
    # Distributed ingest (transforms/ingest/distributed.py): where the events of other files are read
    # (the real lake, while `lake` is a worker's private shadow of its manifests), and what
    # becomes of a staged file instead of its publication (uploaded for the flow to commit).
    existing: str | None = None
    handoff: Callable[[list[tuple[Path, Path]], manifest.ManifestEntry, FileResult], None] | None = None


@dataclass
class FileResult:
    """What happened to one input file; the CLI and the run summary print these."""

    path: str
    source_file: str
    source_kind: str
    status: str  # ingested | replaced | skipped
    sha256: str = ""
    lines_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    event_dates: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    entry: dict | None = None  # distributed ingest: the manifest record the flow commits
    staged: str | None = None  # distributed ingest: where the staged outputs wait (lake-relative keys below)


def detect_source(path: Path) -> str:
    """`proconnect` or `app`, from the file name, else from the first line's fields."""
    name = path.name.lower()
    for kind in SOURCES:
        if name.startswith(kind):
            return kind
    for batch in read_lines(path, ReadStats()):
        for line in batch.column("line").to_pylist():
            try:
                record = json.loads(line)
            except (TypeError, ValueError):
                continue
            if isinstance(record, dict) and "event_type" in record and "ts" in record:
                return "app"
            if isinstance(record, dict) and "time" in record and ("event" in record or "level" in record):
                return "proconnect"
        break
    raise IngestError(
        f"{path.name}: cannot tell whether this is a ProConnect or an app log; "
        "name it proconnect-*.jsonl / app-*.jsonl or pass --source"
    )


def _prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Read ahead in a thread so file reading overlaps DuckDB's parsing."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def pump() -> None:
        try:
            for item in items:
                box.put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(exc)
        box.put(done)

    threading.Thread(target=pump, daemon=True).start()
    while (item := box.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _groups(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Batches gathered into tables of about GROUP_BYTES, which DuckDB scans in parallel."""
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        pending.append(batch)
        size += batch.nbytes
        if size >= GROUP_BYTES:
            yield pa.Table.from_batches(pending, schema=LINE_SCHEMA)
            pending, size = [], 0
    if pending:
        yield pa.Table.from_batches(pending, schema=LINE_SCHEMA)


def file_day(name: str) -> date | None:
    """The day a file is named after (`app-2025-07-05.jsonl.gz`), None when it names none."""
    match = DATE_IN_NAME.search(name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def plausible_times(day: date | None, skew_days: int, now: datetime) -> dict[str, datetime]:
    """The event times a file may hold: within `skew_days` of the day it is named after, or,
    for an undated file, up to a day after `now` (later is a clock in the future)."""
    if day is None:
        return {"not_before": datetime(1, 1, 1), "not_after": now + timedelta(days=1)}
    midnight = datetime.combine(day, datetime.min.time())
    return {"not_before": midnight - timedelta(days=skew_days),
            "not_after": midnight + timedelta(days=skew_days + 1) - timedelta(microseconds=1)}


def _lake_columns(staged: list[str], info: list[str]) -> list[str]:
    """The lake's column order: the event, then the address and its enrichment, then where
    the row came from (`event_date` lives in the folder name)."""
    own = [c for c in staged if c not in ("source_line", "reject_reason", "raw_line", "src_ip", "event_date")]
    return [*own, "src_ip", *(c for c in info if c != "src_ip"), "source_file", "source_line"]


def _stream(conn: duckdb.DuckDBPyConnection, path: Path, kind: str, opts: IngestOptions, stats: ReadStats,
            tmp: Path, table: str, source_file: str) -> tuple[DayFiles, list[pa.Table]]:
    """One pass over the file: stage each group of lines, write its good rows to their day files.

    The staging SQL parses, checks and pseudonymises in DuckDB; its rows come back as Arrow,
    get their free text and `unmapped` masked (transforms/ingest/privacy.py: a JSON walk SQL cannot do),
    their enrichment columns, and go straight to the day files: nothing personal reaches the
    lake in clear (DuckDB's own spill files, deleted with the run's scratch folder, hold raw
    lines as they always did). Returns the day files and the rejected rows (source_line, reject_reason,
    raw_line), which are few.
    """
    ipad, opad = opts.key.pads()
    conn.execute("create temp table _key as select $ipad::blob as ipad, $opad::blob as opad",
                 {"ipad": ipad, "opad": opad})
    conn.execute(read_sql("ingest/macros.sql"))
    stage_sql = read_sql(f"ingest/stage_{kind}.sql")
    day = file_day(path.name)
    params = {"known": KNOWN_FIELDS[kind], "file_day": day,
              **plausible_times(day, opts.max_clock_skew_days, datetime.now(UTC).replace(tzinfo=None))}
    sink = _GroupSink(tmp / table, IpCache(opts.reference), source_file, opts.key)
    writer = _Background(sink.take)
    try:
        for lines in _groups(_prefetch(read_lines(path, stats, opts.max_line_bytes))):
            conn.register("lines", lines)
            staged = conn.sql(stage_sql, params=params).to_arrow_table()
            conn.unregister("lines")
            writer.put(staged)
    finally:
        writer.finish()
    return sink.days or DayFiles(tmp / table, []), sink.rejected


class _GroupSink:
    """What becomes of a staged group: duplicates and rejects set aside, enrichment added, rows
    written to their day files. Runs in a writer thread, beside DuckDB staging the next group."""

    def __init__(self, folder: Path, ips: IpCache, source_file: str, key: PseudonymKey) -> None:
        self.folder = folder
        self.key = key
        self.ips = ips
        self.source_file = source_file
        self.days: DayFiles | None = None
        self.rejected: list[pa.Table] = []

    def take(self, staged: pa.Table) -> None:
        staged = _mark_duplicates_in_group(_in_line_order(staged))
        reasons = staged.column("reject_reason")
        if reasons.null_count < staged.num_rows:
            self.rejected.append(
                staged.select(["source_line", "reject_reason", "raw_line"]).filter(pc.is_valid(reasons)))
            staged = staged.filter(pc.is_null(reasons))
        staged = self.masked(staged)
        info = self.ips.columns(staged.column("src_ip"))
        if self.days is None:
            self.days = DayFiles(self.folder, _lake_columns(staged.column_names, info.column_names))
        rows = staged
        for name in info.column_names[1:]:
            rows = rows.append_column(name, info.column(name))
        rows = rows.append_column("source_file", pa.repeat(pa.scalar(self.source_file, pa.string()), rows.num_rows))
        self.days.add(rows)


    def masked(self, staged: pa.Table) -> pa.Table:
        """Free text and `unmapped` with what is personal masked (only rows that have them)."""
        for name, how in MASKED.items():
            if name not in staged.column_names:
                continue
            column = staged.column(name)
            if column.null_count == staged.num_rows:
                continue
            values = mask_column(column.to_pylist(), self.key, how)
            staged = staged.set_column(staged.schema.get_field_index(name), name,
                                       pa.array(values, column.type))
        return staged


class _Background:
    """`work(item)` for each item put, in order, in one thread that overlaps the caller's work."""

    def __init__(self, work: Callable[[pa.Table], None], depth: int = 2) -> None:
        self._box: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[pa.Table], None]) -> None:
        while (item := self._box.get()) is not _DONE:
            if self._error is None:
                try:
                    work(item)
                except BaseException as exc:  # handed to the caller at its next put or at finish
                    self._error = exc

    def put(self, item: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        self._box.put(item)

    def finish(self) -> None:
        self._box.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error


_DONE = object()


def _in_line_order(staged: pa.Table) -> pa.Table:
    """The group's rows back in line order.

    DuckDB's parallel scan returns a group as runs of consecutive lines, in the order its
    threads finished them; cutting the batches at the runs' edges and putting the runs back
    in order moves no data. A sort is the fallback.
    """
    runs = []
    for batch in staged.to_batches():
        lines = batch.column(0).to_numpy()
        edges = [0, *(np.flatnonzero(np.diff(lines) != 1) + 1).tolist(), len(lines)]
        runs += [batch.slice(start, end - start) for start, end in zip(edges, edges[1:], strict=False) if end > start]
    runs.sort(key=lambda run: run.column(0)[0].as_py())
    ordered = pa.Table.from_batches(runs, schema=staged.schema)
    lines = ordered.column("source_line").to_numpy()
    if len(lines) > 1 and not np.all(lines[1:] > lines[:-1]):
        return staged.sort_by("source_line")
    return ordered


def _mark_duplicates_in_group(staged: pa.Table) -> pa.Table:
    """Reject the repeats of an event within one group of lines (the first line wins).

    Why here: a re-sent event usually follows its first copy closely, so most duplicates
    are caught before anything is written; the few that span groups or files are found
    after writing, which costs a rewrite of that day file (`_write_outputs`).
    """
    events = staged.select(["event_uid", "source_line"]).filter(pc.is_null(staged.column("reject_reason")))
    if len(pc.unique(events.column("event_uid"))) == events.num_rows:
        return staged
    firsts = events.group_by("event_uid").aggregate([("source_line", "min"), ("source_line", "count")])
    firsts = firsts.filter(pc.greater(firsts.column("source_line_count"), 1))
    where = pc.index_in(staged.column("event_uid"), value_set=firsts.column("event_uid"))
    first_line = firsts.column("source_line_min").take(where)
    repeat = pc.fill_null(pc.and_kleene(pc.is_null(staged.column("reject_reason")),
                                        pc.not_equal(staged.column("source_line"), first_line)), False)
    reason = pc.binary_join_element_wise("duplicate: same event as line ", pc.cast(first_line, pa.string()), "")
    i = staged.schema.get_field_index("reject_reason")
    return staged.set_column(i, "reject_reason", pc.if_else(repeat, reason, staged.column("reject_reason")))


def _parquet_view(conn: duckdb.DuckDBPyConnection, name: str, columns: str, files: list[str],
                  empty: str, where: str = "true") -> None:
    """`name` as a view of `columns` over Parquet `files` (read as queried, never loaded whole),
    or an empty table of the `empty` columns when there are no files."""
    if not files:
        conn.execute(f"create or replace temp table {name} ({empty})")
        return
    conn.execute(f"create or replace temp view {name} as "
                 f"select {columns} from read_parquet([{', '.join(map(sql_string, files))}], filename = true) "
                 f"where {where}")


def _events_elsewhere(conn: duckdb.DuckDBPyConnection, table: str, file_id: str, lake: Path | str,
                      days: list[str]) -> None:
    """`existing_events`: events other files already put in the lake for the days this file touches.

    Why: a producer that re-sends events in another file must not double the counts; the
    copy is quarantined as a duplicate naming the file and line that came first. `lake` may be
    a remote lake's URL (a Dask worker reads the columns it needs from the store).
    """
    if storage.is_remote(lake):
        storage.register(conn, lake)
        folders = [storage.join(lake, table, f"event_date={day}") for day in days]
        others = sorted(f"{folder}/{rel}" for folder in folders for rel in storage.list_files(folder)
                        if rel.endswith(".parquet") and rel != f"{file_id}.parquet" and "/" not in rel)
    else:
        others = sorted(str(f) for day in days for f in partition_dir(Path(lake), table, day).glob("*.parquet")
                        if f.name != f"{file_id}.parquet")
    # a compacted day (transforms/lake/retention.py) holds this file's earlier version among others' rows
    _parquet_view(conn, "existing_events", "event_uid, source_file, source_line", others,
                  "event_uid varchar, source_file varchar, source_line bigint",
                  where=f"source_file <> {sql_string(file_id)}")


def _write_outputs(conn: duckdb.DuckDBPyConnection, table: str, file_id: str, source_file: str,
                   tmp: Path, opts: IngestOptions, day_files: DayFiles,
                   rejected: list[pa.Table]) -> tuple[list[tuple[Path, Path]], dict[str, Path]]:
    """Close the day files, quarantine duplicates, rewrite only the days that had duplicates or
    arrived out of time order (once, whichever the reasons), write the quarantine."""
    days = day_files.close()
    files = {day: day_file.path for day, day_file in days.items()}
    _events_elsewhere(conn, table, file_id, opts.existing or opts.lake, list(files))
    _parquet_view(conn, "file_events", "event_uid, source_line, filename as day_file",
                  [str(f) for f in files.values()], "event_uid varchar, source_line bigint, day_file varchar")
    conn.execute(read_sql("ingest/duplicates.sql"))
    duplicates = conn.sql("select source_line, reject_reason from duplicates order by source_line").to_arrow_table()
    if duplicates.num_rows:
        rejected.append(duplicates.append_column("raw_line", pa.nulls(duplicates.num_rows, pa.string())))
    with_duplicates = {row[0] for row in conn.execute("select distinct day_file from duplicates").fetchall()}
    for day, day_file in days.items():
        drop = str(day_file.path) in with_duplicates
        if drop or not day_file.ordered:
            query = "select * from read_parquet($file)"
            query += " where source_line not in (select source_line from duplicates)" if drop else ""
            query += f" order by {ORDER}" if not day_file.ordered else ""
            if rewrite(conn, day_file.path, query) == 0:
                del files[day]
    moves = [(path, partition_dir(opts.lake, table, day) / f"{file_id}.parquet") for day, path in files.items()]
    quarantined = pa.concat_tables(rejected) if rejected else pa.table(
        {"source_line": pa.array([], pa.int64()), "reject_reason": pa.array([], pa.string()),
         "raw_line": pa.array([], pa.string())})
    conn.register("rejected_rows", quarantined)
    conn.execute("create temp table _run as select $source_file as source_file", {"source_file": source_file})
    conn.execute(read_sql("ingest/quarantine_rows.sql"))
    staged_file = tmp / "quarantine.parquet"
    if write_quarantine(conn, staged_file, opts.key, KNOWN_FIELDS[_kind_of(table)]):
        moves.append((staged_file, opts.lake / QUARANTINE_DIR / f"{file_id}.parquet"))
    return moves, files


def _kind_of(table: str) -> str:
    return next(kind for kind, name in SOURCES.items() if name == table)


def ingest_file(path: Path, kind: str, opts: IngestOptions) -> FileResult:
    """Ingest one file; publish only when every line is accounted for."""
    started = time.monotonic()
    path = Path(path)
    source_file = safe_name(path.name)
    file_id = source_file
    table = SOURCES[kind]
    result = FileResult(path=str(path), source_file=source_file, source_kind=kind, status="ingested")
    tmp = new_tmp_dir(opts.lake)
    try:
        conn = duckdb.connect()
        configure(conn, opts.memory_limit, opts.threads, tmp / "spill")
        stats = ReadStats()
        day_files, rejected = _stream(conn, path, kind, opts, stats, tmp, table, source_file)
        crash_point("ingest.staged")
        result.sha256 = stats.sha256
        result.warnings = list(stats.warnings)
        same = manifest.find_by_hash(opts.lake, stats.sha256)
        if same is not None:
            conn.close()
            _drop_earlier_versions(opts.lake, same)
            result.status = "skipped"
            result.lines_read = same.lines_read
            result.rows_written = same.rows_written
            result.rows_quarantined = same.rows_quarantined
            result.event_dates = same.event_dates
            result.message = f"already ingested as {same.source_file}: nothing changed"
            return result
        moves, files = _write_outputs(conn, table, file_id, source_file, tmp, opts, day_files, rejected)
        crash_point("ingest.outputs_written")
        days = list(files)
        written, first, last = 0, None, None
        if files:
            written, first, last = conn.execute(read_sql("ingest/file_counts.sql"),
                                                {"files": [str(f) for f in files.values()]}).fetchall()[0]
        quarantined = conn.execute("select count(*) from rejected_rows").fetchall()[0][0]
        conn.close()
        if not manifest.accounted_for(stats.lines, written, quarantined):
            raise IngestError(f"{path.name}: {stats.lines} lines read but {written} written + "
                              f"{quarantined} quarantined; nothing was published")
        previous = [e for e in manifest.find_by_name(opts.lake, source_file) if e.sha256 != stats.sha256]
        entry = manifest.ManifestEntry(
            sha256=stats.sha256, source_file=source_file, source_kind=kind,
            size_bytes=path.stat().st_size, lines_read=stats.lines, rows_written=written,
            rows_quarantined=quarantined,
            first_event_time=first.isoformat() if first else None,
            last_event_time=last.isoformat() if last else None,
            event_dates=days, warnings=result.warnings,
            outputs=[str(final.relative_to(opts.lake)) for _, final in moves],
            reference_missing=list(opts.reference.missing),
            replaces_sha256=previous[-1].sha256 if previous else None,
        )
        if opts.handoff is not None:
            opts.handoff(moves, entry, result)
        else:
            _commit(opts.lake, moves, entry)
        result.status = "replaced" if previous else "ingested"
        if previous:
            result.message = f"replaces an earlier version of {source_file}"
        result.lines_read, result.rows_written, result.rows_quarantined = stats.lines, written, quarantined
        result.event_dates = days
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        result.seconds = round(time.monotonic() - started, 3)


def _commit(lake: Path, moves: list[tuple[Path, Path]], entry: manifest.ManifestEntry) -> None:
    """Publish outputs, record the file, then drop what its earlier versions left."""
    for number, (staged_file, final) in enumerate(moves):
        publish(staged_file, final)
        crash_point(f"ingest.published.{number}")
    crash_point("ingest.before_manifest")
    manifest.save(lake, entry)
    crash_point("ingest.after_manifest")
    _drop_earlier_versions(lake, entry)


def _drop_earlier_versions(lake: Path, entry: manifest.ManifestEntry) -> None:
    """Remove outputs and records of earlier versions of `entry`'s file (idempotent: a run
    killed halfway through is finished by the next one, which finds the file already recorded)."""
    for old in manifest.find_by_name(lake, entry.source_file):
        if old.sha256 == entry.sha256:
            continue
        for output in old.outputs:
            if output not in entry.outputs and Path(output).name != retention.COMPACTED:
                (lake / output).unlink(missing_ok=True)
        retention.drop_source_rows(lake, old.source_file, old.event_dates, set(entry.outputs))
        manifest.remove(lake, old.sha256)


def check_source(source: str) -> str:
    """`auto`, `proconnect` or `app`; anything else stops before a single file is read."""
    if source != "auto" and source not in SOURCES:
        raise IngestError(f"unknown source {source!r}; expected auto, {', '.join(SOURCES)}")
    return source


def ingest_path(path: Path, source: str, opts: IngestOptions) -> FileResult:
    """One file: its source told from its name or first line (`auto`), then ingested."""
    kind = detect_source(path) if source == "auto" else check_source(source)
    return ingest_file(path, kind, opts)


def ingest_files(paths: Iterable[Path], opts: IngestOptions, source: str = "auto",
                 on_file: Callable[[FileResult], None] | None = None,
                 run_file: Callable[[Path, str, IngestOptions], FileResult] = ingest_path) -> list[FileResult]:
    """Ingest files one by one, sorted by name so that days arrive in order.

    `run_file` is how one file is ingested: `ingest_path` itself, or the Prefect flow's task
    wrapping it (retries on I/O); the order, the checks and the progress are the same.
    """
    check_source(source)
    results = []
    for path in sorted((Path(p) for p in paths), key=lambda p: p.name):
        result = run_file(path, source, opts)
        results.append(result)
        emit("ingest.file", result)
        if on_file is not None:
            on_file(result)
    return results


def ingest_run(paths: Iterable[Path], opts: IngestOptions, source: str = "auto",
               on_file: Callable[[FileResult], None] | None = None, wait_seconds: float = 0.0,
               run_file: Callable[[Path, str, IngestOptions], FileResult] = ingest_path) -> list[FileResult]:
    """A whole ingest run (`vigie ingest`): hold the lake's lock, clear dead runs' scratch, ingest."""
    check_source(source)
    with lake_lock(opts.lake, wait_seconds):
        clean_stale_tmp(opts.lake)
        return ingest_files(paths, opts, source, on_file, run_file)
