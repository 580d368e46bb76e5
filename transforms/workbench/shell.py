"""`vigie shell`: a small interactive SQL shell over the lake's views."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import duckdb
import pyarrow as pa

from transforms.workbench.hunts import hunts, run_hunt
from transforms.workbench.output import write_result
from transforms.workbench.query import SHELL_STATEMENTS, ReadOnlyError, run

# --- interactive shell ------------------------------------------------------------------

SHELL_HELP = """Statements end with ';'. The lake's views are defined; nothing you run can change it.
  .tables            the views and tables
  .hunts             saved hunting queries (run one with: .hunt NAME k=v ...)
  .hunt NAME k=v     run a saved hunting query
  .triage INCIDENT STATUS NOTE...   record a decision (acknowledged, false_positive, closed, open)
  .help  .quit"""


def shell(conn: duckdb.DuckDBPyConnection, read: Callable[[str], str] = input, out: TextIO | None = None,
          lake: Path | None = None) -> None:
    """A small SQL shell over the lake's views (history with readline when available).

    Ctrl-C while a statement runs cancels that statement (DuckDB's interrupt) and the shell goes
    on; Ctrl-C at the prompt drops the statement being typed; Ctrl-D or .quit leaves.
    """
    out = out or sys.stdout
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
            if _dot_command(conn, stripped, out, lake):
                return
            continue
        buffer.append(line)
        if not stripped.endswith(";"):
            continue
        sql, buffer = "\n".join(buffer), []
        try:
            result = interruptible(conn, functools.partial(run, conn, sql, allowed=SHELL_STATEMENTS))
            if result is not None:
                write_result(result, "table", out)
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


def _dot_command(conn: duckdb.DuckDBPyConnection, line: str, out: TextIO, lake: Path | None = None) -> bool:
    words = line.split()
    command = words[0]
    if command in (".quit", ".exit", ".q"):
        return True
    try:
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
    except (ValueError, duckdb.Error) as exc:
        out.write(f"error: {exc}\n")
    return False
