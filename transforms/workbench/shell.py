"""`vigie shell`: a small interactive SQL shell over the lake's views."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import duckdb
import pyarrow as pa

from transforms.lake.sql import sql_code
from transforms.workbench.hunts import hunts, run_hunt
from transforms.workbench.output import write_result
from transforms.workbench.query import SHELL_STATEMENTS, ReadOnlyError, run

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
            if sql_code("\n".join(buffer)).strip():  # input ended mid-statement: a file piped without its `;`
                _run_in_shell(conn, "\n".join(buffer), out, state)
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
            from transforms.workbench import triage

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
