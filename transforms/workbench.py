"""The analyst's workbench: read-only queries, an interactive shell, hunts, the stock CLI.

Why one module: `vigie query`, `vigie shell`, `vigie hunt` and the init file for the stock
DuckDB command line must open the very same views the detections use (`transforms.views`),
and none of them may change the lake. The connection is an in-memory DuckDB whose views
read the lake's Parquet files; statements that could write files, attach databases, load
extensions or change settings are refused before they run, and the configuration is locked.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import signal
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from transforms.lake import DEFAULT_MEMORY_LIMIT, SQL_DIR, sql_code, used_params
from transforms.views import define_views

HUNTING_DIR = SQL_DIR / "hunting"
FORMATS = ("table", "csv", "tsv", "json", "parquet")
ST = duckdb.StatementType
QUERY_STATEMENTS = {ST.SELECT, ST.EXPLAIN, ST.PRAGMA}
# The shell may also build its own in-memory tables and views (never files, never settings).
SHELL_STATEMENTS = QUERY_STATEMENTS | {ST.CREATE, ST.DROP, ST.INSERT, ST.UPDATE, ST.DELETE, ST.ALTER,
                                       ST.PREPARE, ST.EXECUTE, ST.VARIABLE_SET}


class ReadOnlyError(ValueError):
    """A statement the workbench refuses (it could write outside memory or change settings)."""


def open_lake(lake: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 0) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with every view over `lake`; its configuration is locked."""
    from transforms import storage

    remote = storage.is_remote(lake)
    if remote:
        lake_dir = storage.location(lake).rstrip("/")
    else:
        lake = Path(lake).resolve()
        if not lake.is_dir():
            raise FileNotFoundError(f"no lake at {lake} (set VIGIE_LAKE or run vigie ingest first)")
        lake_dir = str(lake)
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        conn.execute(f"set threads = {int(threads)}")
    define_views(conn, lake)
    # Files: the lake only (and a private spill folder), never the inbox, the key or anything else.
    spill = Path(tempfile.mkdtemp(prefix="vigie-workbench-"))
    weakref.finalize(conn, shutil.rmtree, spill, True)
    conn.execute(f"set temp_directory = '{_quote(spill)}'")
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


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


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


def init_file_text(lake: Path) -> str:
    """An init file for the stock `duckdb` CLI: the same views, absolute paths, UTC."""
    from transforms import storage

    if storage.is_remote(lake):  # the stock CLI would need httpfs, not installable offline
        raise ValueError(f"{storage.location(lake)} is on an object store: use `vigie shell` or `vigie query`")
    conn = duckdb.connect()
    statements = define_views(conn, Path(lake).resolve())
    conn.close()
    lines = ["-- Generated by `vigie shell --init-file`: the Vigie lake's views for the stock DuckDB CLI.",
             "-- Usage: duckdb -init THIS_FILE   (re-generate after new tables appear in the lake)",
             ".bail on", "set TimeZone = 'UTC';"]
    lines += [s.strip().rstrip(";") + ";" for s in statements]
    lines += [".bail off", ".prompt 'vigie> '"]
    return "\n".join(lines) + "\n"


# --- hunting queries --------------------------------------------------------------------

@dataclass
class HuntParam:
    name: str
    description: str
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass
class Hunt:
    name: str
    title: str
    description: str
    sql: str
    params: list[HuntParam] = field(default_factory=list)


_PARAM = re.compile(r"^@param\s+(\w+)\s+(.*?)(?:\s*\(default:?\s*(.*?)\))?\s*$")


def load_hunt(path: Path) -> Hunt:
    """A hunting query and its header: first comment line the title, then the description,
    then `@param name description (default: value)` lines."""
    text = Path(path).read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    # the title is the header's first sentence, however many comment lines it spans
    text_lines = [line for line in header if not line.startswith("@param")]
    end = next((i for i, line in enumerate(text_lines) if line.endswith(".")), 0)
    title = " ".join(text_lines[:end + 1]) if text_lines else path.stem
    params, description = [], []
    for line in header[end + 1:] if text_lines else header:
        match = _PARAM.match(line)
        if match:
            params.append(HuntParam(match.group(1), match.group(2), match.group(3)))
        elif line:
            description.append(line)
    declared = {p.name for p in params}
    used = set(re.findall(r"\$(\w+)", text))
    if used - declared:
        raise ValueError(f"{path.name}: parameter(s) {', '.join(sorted(used - declared))} not declared")
    return Hunt(path.stem, title, " ".join(description), text, params)


def hunts(folder: Path = HUNTING_DIR) -> dict[str, Hunt]:
    return {p.stem: load_hunt(p) for p in sorted(Path(folder).glob("*.sql"))}


def hunt_params(hunt: Hunt, given: dict[str, str]) -> dict[str, str]:
    """Given values over defaults; every parameter bound (never pasted into the SQL)."""
    unknown = set(given) - {p.name for p in hunt.params}
    if unknown:
        raise ValueError(f"hunt {hunt.name} has no parameter {', '.join(sorted(unknown))}; "
                         f"it takes {', '.join(p.name for p in hunt.params) or 'none'}")
    values = {}
    for p in hunt.params:
        if p.name in given:
            values[p.name] = given[p.name]
        elif p.default is not None:
            values[p.name] = p.default
        else:
            raise ValueError(f"hunt {hunt.name} needs --param {p.name}=... ({p.description})")
    return values


def run_hunt(conn: duckdb.DuckDBPyConnection, name: str, given: dict[str, str]) -> pa.Table:
    catalogue = hunts()
    if name not in catalogue:
        raise ValueError(f"no hunt named {name!r}; known: {', '.join(catalogue)}")
    hunt = catalogue[name]
    result = run(conn, hunt.sql, hunt_params(hunt, given))
    assert result is not None
    return result


# --- interactive shell ------------------------------------------------------------------

SHELL_HELP = """Statements end with ';'. The lake's views are defined; nothing you run can change it.
  .tables            the views and tables
  .hunts             saved hunting queries (run one with: .hunt NAME k=v ...)
  .hunt NAME k=v     run a saved hunting query
  .triage INCIDENT STATUS NOTE...   record a decision (acknowledged, false_positive, closed, open)
  .read FILE         run the statements of an SQL file (a rule's file: with its parameters)
  .mode FORMAT       how results print: table (default), csv, tsv or json
  .help  .quit
With --day D the rules' day tables (day_activity, day_sessions, day_history...) hold day D
and $event_date, $day and the rules' default parameters are bound: a rule's file runs as is."""


def shell(conn: duckdb.DuckDBPyConnection, read: Callable[[str], str] = input, out: TextIO | None = None,
          lake: Path | None = None, params: Callable[[str], dict] | None = None) -> None:
    """A small SQL shell over the lake's views (history with readline when available).

    Ctrl-C while a statement runs cancels that statement (DuckDB's interrupt) and the shell goes
    on; Ctrl-C at the prompt drops the statement being typed; Ctrl-D or .quit leaves.
    `params(sql)`: the named parameters to bind for a statement (`vigie shell --day D`).
    """
    out = out or sys.stdout
    state = ShellState(params=params or (lambda _sql: {}))
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    out.write("Vigie shell — " + SHELL_HELP.splitlines()[0] + " Type .help for commands.\n")
    buffer: list[str] = []
    while True:
        try:
            line = read("vigie> " if not buffer else "   ...> ")
        except EOFError:
            out.write("\n")
            return
        except KeyboardInterrupt:
            out.write("^C\n" if buffer else "\n(.quit or Ctrl-D to leave)\n")
            buffer = []
            continue
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            if _dot_command(conn, stripped, out, lake, state):
                return
            continue
        buffer.append(line)
        # a statement ends with a `;` outside comments (a rule's comment may end with one)
        if not sql_code("\n".join(buffer)).rstrip().endswith(";"):
            continue
        sql, buffer = "\n".join(buffer), []
        _run_in_shell(conn, sql, out, state)


@dataclass
class ShellState:
    params: Callable[[str], dict]
    mode: str = "table"


def _run_in_shell(conn: duckdb.DuckDBPyConnection, sql: str, out: TextIO, state: ShellState) -> None:
    try:
        result = interruptible(conn, functools.partial(run, conn, sql, state.params(sql), SHELL_STATEMENTS))
        if result is not None:
            write_result(result, state.mode, out)
    except (duckdb.InterruptException, KeyboardInterrupt):
        out.write("statement cancelled (Ctrl-C)\n")
    except (ReadOnlyError, duckdb.Error) as exc:
        out.write(f"error: {exc}\n")
    out.flush()


def interruptible(conn: duckdb.DuckDBPyConnection, work: Callable[[], pa.Table | None]) -> pa.Table | None:
    """Run `work` with Ctrl-C (SIGINT) cancelling the connection's running statement."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda _signum, _frame: conn.interrupt())
    try:
        return work()
    finally:
        signal.signal(signal.SIGINT, previous)


def _dot_command(conn: duckdb.DuckDBPyConnection, line: str, out: TextIO, lake: Path | None = None,
                 state: ShellState | None = None) -> bool:
    words = line.split()
    command = words[0]
    if command in (".quit", ".exit", ".q"):
        return True
    state = state or ShellState(params=lambda _sql: {})
    try:
        if command == ".mode" and len(words) == 2 and words[1] in ("table", "csv", "tsv", "json"):
            state.mode = words[1]
            return False
        if command == ".read" and len(words) == 2:
            _run_in_shell(conn, Path(words[1]).read_text(encoding="utf-8"), out, state)
            return False
        if command == ".tables":
            write_result(conn.sql("select table_name, table_type from information_schema.tables "
                                  "order by table_name").to_arrow_table(), "table", out)
        elif command == ".hunts":
            for hunt in hunts().values():
                params = " ".join(f"{p.name}=" + (p.default if p.default is not None else "?") for p in hunt.params)
                out.write(f"{hunt.name:28} {hunt.title}\n{'':28} {params}\n")
        elif command == ".triage" and len(words) >= 4 and lake is not None:
            from transforms import triage

            row = triage.record_decision(conn, lake, words[1], words[2], " ".join(words[3:]))
            out.write(f"{row['incident_uid']}: {row['status']} by {row['analyst']} — {row['note']}\n")
        elif command == ".hunt" and len(words) > 1:
            given = dict(w.split("=", 1) for w in words[2:] if "=" in w)
            write_result(run_hunt(conn, words[1], given), "table", out)
        else:
            out.write(SHELL_HELP + "\n")
    except (ValueError, OSError, duckdb.Error) as exc:
        out.write(f"error: {exc}\n")
    return False
