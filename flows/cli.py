"""The `vigie` command line: one typer app, one small function per command.

Commands only parse arguments, show progress and print summaries; the work is done by
the flows (Prefect) and by `transforms` (pure data logic).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows import prefect_env  # noqa: F401  (Prefect defaults before any Prefect import)
from transforms.ingest import FileResult
from transforms.lake import LakeBusyError
from transforms.pseudonymise import PseudonymKeyError

app = typer.Typer(help="Vigie: nightly security analytics over ProConnect and partner-app logs.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Settings come from vigie.toml and VIGIE_* variables (see README)."""


def fail(message: str, code: int = 2) -> None:
    """Stop with a clear one-line error (no traceback for the operator's mistakes)."""
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _input_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and
                         p.name.endswith((".jsonl", ".jsonl.gz", ".log", ".log.gz", ".ndjson", ".ndjson.gz")))
        elif path.is_file():
            files.append(path)
        else:
            fail(f"no such file or folder: {path}")
    return files


def preflight() -> None:
    """Fail fast, before Prefect starts, when the pseudonym key is missing or unreadable."""
    from transforms.config import pseudonym_key
    from transforms.settings import Settings

    try:
        pseudonym_key(Settings())
    except PseudonymKeyError as exc:
        fail(str(exc))


def print_ingest_summary(results: list[FileResult]) -> None:
    table = Table(title="Ingest summary", show_lines=False)
    for column in ("file", "source", "status", "lines read", "rows written", "quarantined", "days", "seconds"):
        table.add_column(column, justify="right" if column in ("lines read", "rows written",
                                                                "quarantined", "seconds") else "left")
    for r in results:
        table.add_row(r.source_file, r.source_kind, r.status, f"{r.lines_read:,}", f"{r.rows_written:,}",
                      f"{r.rows_quarantined:,}", ", ".join(r.event_dates), f"{r.seconds:.1f}")
    console.print(table)
    for r in results:
        if r.message:
            console.print(f"  {r.source_file}: {r.message}")
        for warning in r.warnings:
            console.print(f"  [yellow]{r.source_file}: {warning}[/]")
    balanced = all(r.lines_read == r.rows_written + r.rows_quarantined for r in results)
    console.print("every line accounted for (lines read = rows written + rows quarantined)"
                  if balanced else "[bold red]some lines are unaccounted for[/]")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of .jsonl[.gz] logs"),
    source: str = typer.Option("auto", help="auto | proconnect | app"),
) -> None:
    """Ingest raw log files into the lake (re-ingesting a file changes nothing)."""
    from flows.ingest import ingest_flow
    from flows.progress import subscribe, unsubscribe

    files = _input_files(paths)
    if not files:
        fail("no input file (.jsonl, .jsonl.gz, .log, .ndjson) found")
    preflight()
    results: list[FileResult] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        job = bar.add_task("ingesting", total=len(files))

        def on_event(step: str, payload: object) -> None:
            if step == "ingest.file" and isinstance(payload, FileResult):
                results.append(payload)
                bar.update(job, advance=1, description=f"ingested {payload.source_file}")

        subscribe(on_event)
        try:
            ingest_flow([str(f) for f in files], source)
        except (PseudonymKeyError, LakeBusyError) as exc:
            fail(str(exc))
        finally:
            unsubscribe(on_event)
    print_ingest_summary(results)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="vigie")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
