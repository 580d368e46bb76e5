"""Write one input file's good rows as one Parquet file per day, in a single streaming pass.

Why PyArrow's writer: on the lake's wide rows (about 55 columns, most of them strings) it
encodes about four times cheaper than DuckDB's `COPY ... TO`, and the staged rows arrive
from DuckDB as Arrow anyway, so each row is written once, straight to its final file.

Why no sort of the whole file in the common case: logs are appended in time order, so each
group of rows is put in order and written as it arrives, and only the groups' boundaries
are checked. A day whose groups overlap in time (a merged or replayed log) is re-sorted once
at the end (`rewrite` with `ORDER`), by DuckDB, whose sort spills to disk: memory stays
bounded by one group of rows whatever the file's size.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.lake.sql import used_params

JSON_COLUMNS = frozenset({"search_params_ref", "unmapped"})
# Nearly one value per row: a dictionary would be built, overflow and be dropped on every page
# (measured: 18 % of the write's CPU and a larger file).
UNIQUE_PER_ROW = frozenset({
    "event_uid", "event_id", "request_id", "beneficiary_ref", "search_params_ref", "unmapped", "interaction_id",
    "raw_line", "source_line", "event_time", "auth_time",
})


def write_options(schema: pa.Schema) -> dict:
    """Parquet writer options: zstd, dictionaries only where values repeat, no Arrow schema blob."""
    return {"compression": "zstd", "store_schema": False,
            "use_dictionary": [name for name in schema.names if name not in UNIQUE_PER_ROW]}
ORDER = "event_time, source_line"


def lake_typed(table: pa.Table) -> pa.Table:
    """The table with its JSON columns typed as JSON, so the Parquet file says so."""
    for name in JSON_COLUMNS & set(table.column_names):
        i = table.schema.get_field_index(name)
        column = table.column(i)
        if isinstance(column.type, pa.ExtensionType):
            continue
        json_type = pa.json_(pa.string())
        chunks = [pa.ExtensionArray.from_storage(json_type, chunk.cast(pa.string())) for chunk in column.chunks]
        table = table.set_column(i, pa.field(name, json_type), pa.chunked_array(chunks, json_type))
    return table


def _time_order(rows: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The rows in (event_time, source_line) order, and their times as integers.

    DuckDB's parallel scan hands a group's rows back in a few interleaved runs; putting
    them back in order here costs one take per group, far less than a sort in SQL.
    """
    times = rows.column("event_time").cast(pa.int64()).to_numpy()
    lines = rows.column("source_line").to_numpy()
    if len(times) > 1 and not np.all((times[1:] > times[:-1]) | ((times[1:] == times[:-1]) & (lines[1:] > lines[:-1]))):
        rows = rows.sort_by([("event_time", "ascending"), ("source_line", "ascending")])
        times = rows.column("event_time").cast(pa.int64()).to_numpy()
    return rows, times


class DayFile:
    """One day's Parquet file of one input file, and whether its rows are in time order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.last_time: int | None = None
        self.ordered = True

    def write(self, rows: pa.Table) -> None:
        rows, times = _time_order(rows)
        if self.last_time is not None and times[0] < self.last_time:
            self.ordered = False  # this group starts before the previous one ended
        self.last_time = int(times[-1]) if self.last_time is None else max(self.last_time, int(times[-1]))
        # One chunk per column: the writer cuts pages where chunks end, and DuckDB's chunking
        # varies from run to run; the same rows must give the same bytes.
        rows = lake_typed(rows).combine_chunks()
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, rows.schema, **write_options(rows.schema))
        self.writer.write_table(rows)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class DayFiles:
    """The day files of one input file, written group by group into a scratch folder."""

    def __init__(self, folder: Path, columns: list[str]) -> None:
        self.folder = folder
        self.columns = columns
        self.days: dict[str, DayFile] = {}

    def add(self, rows: pa.Table) -> None:
        """Append good rows (lake columns plus `event_date`) to their days' files."""
        if rows.num_rows == 0:
            return
        dates = rows.column("event_date")
        days = pc.unique(dates).to_pylist()
        for day in sorted(days):
            part = rows if len(days) == 1 else rows.filter(pc.equal(dates, pa.scalar(day, dates.type)))
            key = day.isoformat()
            if key not in self.days:
                self.days[key] = DayFile(self.folder / f"{key}.parquet")
            self.days[key].write(part.select(self.columns))

    def close(self) -> dict[str, DayFile]:
        """Finish every file; {day: file}, in day order (a file out of time order says so)."""
        for day_file in self.days.values():
            day_file.close()
        return {day: self.days[day] for day in sorted(self.days)}


def rewrite(conn: duckdb.DuckDBPyConnection, path: Path, query: str, params: dict | None = None,
            group_rows: int = 131_072) -> int:
    """Replace `path` by what `query` (reading `$file`) returns, streaming; the row count.

    Rows are written in row groups of exactly `group_rows` (the last one excepted), whatever
    batches DuckDB hands back, so that the same rows give the same bytes.
    """
    target = path.with_name(path.name + ".rewrite")
    reader = conn.sql(query, params=used_params(query, {"file": str(path), **(params or {})})
                      ).to_arrow_reader(group_rows)
    writer = None
    pending: list[pa.RecordBatch] = []
    rows = 0

    def flush(table: pa.Table) -> None:
        nonlocal writer
        table = lake_typed(table).combine_chunks()
        if writer is None:
            writer = pq.ParquetWriter(target, table.schema, **write_options(table.schema))
        writer.write_table(table)

    try:
        for batch in reader:
            pending.append(batch)
            buffered = pa.Table.from_batches(pending)
            while buffered.num_rows >= group_rows:
                flush(buffered.slice(0, group_rows))
                buffered = buffered.slice(group_rows)
            pending = buffered.to_batches()
            rows += batch.num_rows
        if pending and sum(b.num_rows for b in pending):
            flush(pa.Table.from_batches(pending))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # nothing left: the day has no rows
        path.unlink()
        return 0
    target.replace(path)
    return rows
