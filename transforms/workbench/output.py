"""A result printed or saved: a terminal table, csv, tsv, json (one object per line) or parquet."""

from __future__ import annotations

import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FORMATS = ("table", "csv", "tsv", "json", "parquet")


def default_format(stream: TextIO | None = None) -> str:
    """`table` on a terminal; elsewhere (a pipe, a file, a cron log) `tsv`, which never wraps."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return "table" if isatty is not None and isatty() else "tsv"


def check_output(output: Path | None, force: bool) -> None:
    """Refuse to replace an existing file unless asked (`--force`)."""
    if output is not None and Path(output).exists() and not force:
        raise FileExistsError(f"{output} exists; give --force to replace it")


def write_result(table: pa.Table, fmt: str, out: TextIO | None = None, output: Path | None = None,
                 max_rows: int = 200) -> None:
    """Print or save a result: table (terminal), csv, tsv, json (one object per line) or parquet."""
    out = out or sys.stdout
    if fmt == "parquet":
        if output is None:
            raise ValueError("--format parquet needs --output FILE")
        pq.write_table(table, output, compression="zstd")
        return
    if fmt == "csv":
        buffer = pa.BufferOutputStream()
        pa_csv.write_csv(_flat(table), buffer)
        text = buffer.getvalue().to_pybytes().decode("utf-8")
    elif fmt == "tsv":
        text = _tsv(table)
    elif fmt == "json":
        text = "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in table.to_pylist())
    elif fmt == "table":
        text = _table_text(table, max_rows, width=None if output is None else 10_000)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if output is not None:
        Path(output).write_text(text, encoding="utf-8")
    else:
        out.write(text)


def _tsv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _tsv(table: pa.Table) -> str:
    """Tab-separated, one line per row, every value whole (tabs and newlines escaped as \\t, \\n)."""
    lines = ["\t".join(table.column_names)]
    for row in table.to_pylist():
        lines.append("\t".join(_tsv_cell(v) for v in row.values()))
    return "\n".join(lines) + "\n"


def _flat(table: pa.Table) -> pa.Table:
    """CSV cannot hold lists or structs: render those columns as JSON text."""
    columns = []
    for column in table.columns:
        if pa.types.is_nested(column.type):
            column = pa.array([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()],
                              pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def _cell(value: object, number: bool) -> str:
    if value is None:
        return ""
    if number and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if number and isinstance(value, float | Decimal):
        as_float = float(value)
        if abs(as_float) >= 1e15 or as_float != round(as_float, 6):
            return f"{as_float:,.6g}"
        return f"{as_float:,.6f}".rstrip("0").rstrip(".")
    return str(value)


def _table_text(table: pa.Table, max_rows: int, width: int | None = None) -> str:
    """A table for a terminal: numbers right-aligned with thousands separators, the terminal's width."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    view = Table(show_lines=False, header_style="bold")
    numbers = [_is_number(field.type) for field in table.schema]
    for name, number in zip(table.column_names, numbers, strict=True):
        view.add_column(name, overflow="fold", justify="right" if number else "left")
    for row in table.slice(0, max_rows).to_pylist():
        view.add_row(*(_cell(v, number) for v, number in zip(row.values(), numbers, strict=True)))
    buffer = StringIO()
    size = shutil.get_terminal_size((200, 24)).columns if width is None else width
    Console(file=buffer, width=max(size, 40), force_terminal=False, highlight=False).print(view)
    more = (f"({table.num_rows:,} rows, {max_rows:,} shown)\n" if table.num_rows > max_rows
            else f"({table.num_rows:,} rows)\n")
    return buffer.getvalue() + more
