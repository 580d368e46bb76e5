"""The `vigie` command line: one typer app, one small function per command.

Commands only parse arguments, show progress and print summaries; the work is done by
`transforms` (plain code). With PREFECT_API_URL set, `ingest`, `nightly` and `backfill` run
the same code inside the Prefect flows of `flows/` (tasks, artifacts, logs on the server);
without it they never start Prefect.

Exit codes of `nightly` and `backfill` (and of the other commands where they apply):
0 every night complete; 1 failed (the run raised, the inbox folder is missing, the Prefect
server is unreachable); 2 refused (a bad argument or setting, a day not over yet, a report of
a night never run, the lake busy, no pseudonym key); 3 incomplete (a night could not see all
its data: the report's banner and the run summary say why).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows import prefect_env  # noqa: F401  (Prefect defaults before any Prefect import)
from flows.prefect_env import ServerUnreachable, api_url, require_server
from transforms.ingest.pseudonymise import PseudonymKeyError
from transforms.ingest.run import FileResult, IngestError
from transforms.lake.layout import private_umask
from transforms.lake.lock import LakeBusyError
from transforms.lake.manifest import accounted_for

app = typer.Typer(help="Vigie: nightly security analytics over ProConnect and partner-app logs.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Settings come from vigie.toml and VIGIE_* variables (see README)."""
    private_umask()  # everything Vigie writes (lake, reports, exports, Prefect's home) is owner-only
    check_settings()


def check_settings() -> None:
    """Stop in a few clear lines when vigie.toml or a VIGIE_* variable is wrong (a typo, a bad value)."""
    from pydantic import ValidationError

    from transforms.settings import Settings

    try:
        Settings()
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()]
        fail("invalid settings (vigie.toml or VIGIE_* variables): " + "; ".join(problems))


EXIT_FAILED, EXIT_REFUSED, EXIT_INCOMPLETE = 1, 2, 3
STATUS_EXIT = {"complete": 0, "incomplete": EXIT_INCOMPLETE, "failed": EXIT_FAILED}


def fail(message: str, code: int = 2) -> None:
    """Stop with a clear one-line error (no traceback for the operator's mistakes)."""
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def need_checkout(*modules: str) -> None:
    """Stop with a clear message when a development package is absent: simulator/ and devtools/
    stay in the source checkout, outside the installed wheel."""
    import importlib.util

    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            fail(f"{name} is not installed: a development command: run it from a source checkout")


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
    balanced = all(accounted_for(r.lines_read, r.rows_written, r.rows_quarantined) for r in results)
    console.print("every line accounted for (lines read = rows written + rows quarantined)"
                  if balanced else "[bold red]some lines are unaccounted for[/]")


WORKERS = typer.Option(0, "--workers", min=0, help="Ingest on a local Dask cluster of N worker processes "
                                  "(needs a Prefect server; VIGIE_DASK_ADDRESS names a remote scheduler)")


def _use_workers(workers: int) -> None:
    """`--workers N`: a LocalCluster for the flow's Dask task runner. Dask runs the flows' tasks,
    so a cluster (this or VIGIE_DASK_ADDRESS) needs a Prefect server (PREFECT_API_URL)."""
    if workers:
        os.environ["VIGIE_DASK_WORKERS"] = str(workers)
    if (workers or os.environ.get("VIGIE_DASK_ADDRESS")) and not api_url():
        fail("ingest on a Dask cluster runs as a Prefect flow: set PREFECT_API_URL (a Prefect server), "
             "or drop --workers / VIGIE_DASK_ADDRESS to ingest in this process")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of .jsonl[.gz] logs"),
    source: str = typer.Option("auto", help="auto | proconnect | app"),
    workers: int = WORKERS,
) -> None:
    """Ingest raw log files into the lake (re-ingesting a file changes nothing)."""
    _use_workers(workers)
    from transforms.config import ingest_options
    from transforms.ingest.run import check_source, ingest_run
    from transforms.progress import subscribe, unsubscribe
    from transforms.settings import Settings

    try:
        check_source(source)
    except IngestError as exc:
        fail(f"--source: {exc}")
    files = _input_files(paths)
    if not files:
        fail("no input file (.jsonl, .jsonl.gz, .log, .ndjson) found")
    preflight()
    server = _prefect_server()
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
            if server:
                from flows.ingest import dask_runner, ingest_flow

                runner = dask_runner()
                run = ingest_flow if runner is None else ingest_flow.with_options(task_runner=runner)
                run([str(f) for f in files], source)
            else:
                from transforms.lake import storage

                with storage.writer(Settings(), reports=False, inbox=False) as settings:
                    ingest_run(files, ingest_options(settings), source)
        except (PseudonymKeyError, LakeBusyError, IngestError) as exc:
            fail(str(exc))
        finally:
            unsubscribe(on_event)
    print_ingest_summary(results)


def _prefect_server() -> str | None:
    """PREFECT_API_URL when set (and answering); None: the plain driver, no Prefect at all."""
    url = api_url()
    if url:
        try:
            require_server(url)
        except ServerUnreachable as exc:
            fail(str(exc), EXIT_FAILED)
    return url


# --- nightly run, backfill, report (flows/nightly.py) -------------------------------------

def _day(value: str | None, option: str) -> date | None:
    return None if value is None else _date(value, option)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2025-07-05, not {value!r}")
        raise  # fail() has raised typer.Exit already


def print_run_summary(summary: dict) -> None:
    from transforms.report.i18n import describe_reasons

    inbox = summary["inbox"]
    colour = {"complete": "green", "incomplete": "bold red", "failed": "bold red"}[summary["status"]]
    console.print(f"[{colour}]night of {summary['day']}: {summary['status'].upper()}[/]")
    for day, night in summary["nights"].items():
        if night["status"] != "complete":
            console.print(f"  [bold red]{day} {night['status']}: {describe_reasons(night['reasons'], 'en')}[/]")
    console.print(f"[bold]night of {summary['day']}[/]: {inbox['files']} file(s) to ingest "
                  f"({inbox['late']} late), {inbox['known']} already ingested, {inbox['future']} for later days")
    if summary["late_files"]:
        console.print("  late files: " + ", ".join(summary["late_files"]))
    table = Table(title=f"Run summary {summary['day']}")
    for column in ("step", "seconds", "counts"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for step in summary["steps"]:
        table.add_row(step["step"], f"{step['seconds']:.2f}", step["detail"])
    table.add_row("[bold]total[/]", f"{summary['seconds']:.2f}", "")
    console.print(table)
    for detected in summary["detections"]:
        for rule in detected["rules"]:
            if rule["status"] != "ran":
                console.print(f"  [yellow]{detected['day']} {rule['rule_id']}: {rule['message']}[/]")
    for rep in summary["reports"]:
        console.print(f"  report {rep['day']}: {rep['incidents']} incident(s), {rep['people_exposed']:,} people "
                      f"exposed ({rep['people_with_nir']:,} with NIR) → {rep['folder']}/report.html")
    for note in summary.get("notifications") or []:
        console.print(f"  notification: {note}")


def _run_nights(days: list[date], label: str) -> list[dict]:
    """Run the nights with a progress bar: the plain driver, or the Prefect flow when a server is set."""
    from transforms.lake import storage
    from transforms.nightly import (
        InboxMissingError,
        InboxPlan,
        NightRefused,
        RunSummary,
        check_day,
        require_inbox,
        run_nights,
    )
    from transforms.progress import subscribe, unsubscribe
    from transforms.report import ReportResult
    from transforms.settings import Settings

    settings = Settings()
    try:
        for day in days:
            check_day(day, settings.timezone)
        if not storage.is_remote(settings.inbox):
            require_inbox(Path(settings.inbox))
    except NightRefused as exc:
        fail(str(exc), EXIT_REFUSED)
    except InboxMissingError as exc:
        fail(str(exc), EXIT_FAILED)
    preflight()
    server = _prefect_server()
    summaries: list[dict] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        job = bar.add_task(label, total=None)

        def on_event(step: str, payload: object) -> None:
            if step == "nightly.plan" and isinstance(payload, InboxPlan):
                bar.update(job, total=(bar.tasks[0].total or 0) + len(payload.files),
                           description=f"{payload.day}: ingesting {len(payload.files)} file(s)")
            elif step == "ingest.file" and isinstance(payload, FileResult):
                bar.update(job, advance=1, description=f"ingested {payload.source_file}")
            elif step == "nightly.days" and isinstance(payload, list):
                bar.update(job, total=(bar.tasks[0].total or 0) + 2 * len(payload))
            elif step == "nightly.detect":
                bar.update(job, advance=1, description=f"detected {payload}")
            elif step == "nightly.report" and isinstance(payload, ReportResult):
                bar.update(job, advance=1, description=f"report {payload.day}")
            elif step == "nightly.summary" and isinstance(payload, RunSummary):
                summaries.append(payload.as_dict())

        subscribe(on_event)
        try:
            if server:
                _run_flow(days)
            else:
                run_nights(days, settings)
        except (PseudonymKeyError, LakeBusyError, NightRefused) as exc:
            fail(str(exc))
        except InboxMissingError as exc:
            fail(str(exc), EXIT_FAILED)
        except Exception as exc:  # noqa: BLE001 - the night failed: say it in one line (the team was told)
            console.print_exception(max_frames=4)
            fail(f"the night failed: {type(exc).__name__}: {exc}", EXIT_FAILED)
        finally:
            unsubscribe(on_event)
    return summaries


def _run_flow(days: list[date]) -> None:
    """The Prefect flow of the nights; a failed run raises its error, an Incomplete one does not."""
    from flows.ingest import dask_runner
    from flows.nightly import INCOMPLETE
    from flows.nightly import backfill as backfill_flow
    from flows.nightly import nightly as nightly_flow

    runner = dask_runner()
    if runner is not None:  # a night's files spread over the Dask cluster's workers
        nightly_flow = nightly_flow.with_options(task_runner=runner)
        backfill_flow = backfill_flow.with_options(task_runner=runner)
    state = (nightly_flow(days[0], return_state=True) if len(days) == 1
             else backfill_flow(days[0], days[-1], return_state=True))
    if state.is_failed() and state.name != INCOMPLETE:
        state.result()  # raises the flow's error


def _finish(summaries: list[dict]) -> None:
    for summary in summaries:
        print_run_summary(summary)
    status = max((s["status"] for s in summaries), key=list(STATUS_EXIT).index, default="complete")
    if status != "complete":
        console.print(f"[bold red]{status.upper()}: see the banner at the top of the report[/]")
    raise typer.Exit(STATUS_EXIT[status])


@app.command()
def nightly(day: str = typer.Option(None, "--date", help="Day to run (default: yesterday, local time)"),
            workers: int = WORKERS) -> None:
    """Ingest the day's inbox files (and late ones), detect, link incidents, write the report.

    Exit 0 complete, 3 incomplete (missing data), 1 failed, 2 refused."""
    _use_workers(workers)
    from transforms.nightly import default_day
    from transforms.settings import Settings

    when = _day(day, "--date") or default_day(Settings().timezone)
    _finish(_run_nights([when], "nightly"))


@app.command()
def backfill(start: str = typer.Option(..., "--from", help="First day"),
             end: str = typer.Option(..., "--to", help="Last day (included)"),
             workers: int = WORKERS) -> None:
    """Run the nightly pipeline over every day of a range, in order, in one process.

    Exit 0 if every night was complete, 3 if one was incomplete, 1 failed, 2 refused."""
    _use_workers(workers)
    from transforms.nightly import days_between

    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        fail("--to is before --from")
    _finish(_run_nights(days_between(first, last), "backfill"))


@app.command()
def report(day: str = typer.Option(..., "--date", help="Day of the report"),
           lang: str = typer.Option(None, help="fr or en (default: the setting lang, fr); a language other "
                                    "than the setting's goes to report.<lang>.html beside report.html")) -> None:
    """Write (again) the report of a day from the lake, without Prefect."""
    from transforms.report import write_report
    from transforms.settings import Settings, check_lang

    settings = Settings()
    try:
        lang = check_lang(lang or settings.lang)
    except ValueError as exc:
        fail(f"--lang: {exc}")
    from transforms.lake.lock import lake_lock
    from transforms.nightly import NightRefused, assess_day, check_day, night_has_run
    from transforms.report import load_run_state

    when = _date(day, "--date")
    try:
        check_day(when, settings.timezone)
    except NightRefused as exc:
        fail(str(exc))
    from transforms.lake import storage

    try:  # a nightly run rewrites reports too: one writer at a time
        with storage.writer(settings, 5, inbox=False) as settings, lake_lock(settings.lake, wait_seconds=5):
            if not night_has_run(settings.lake, when):
                fail(f"the night of {when} has not run (no findings for it in {Path(settings.lake).resolve()}): "
                     f"run `vigie nightly --date {when}` first")
            state = load_run_state(settings.reports, when)
            if "night" not in state:  # detected by `vigie detect`, never by a nightly run: judge the data now
                state["night"] = assess_day(Path(settings.lake), when, state.get("rules") or [],
                                            Path(settings.reference)).as_dict()
            result = write_report(settings.lake, settings.reports, when, lang, state,
                                  memory_limit=settings.duckdb_memory_limit, threads=settings.duckdb_threads,
                                  timezone=settings.timezone, main_lang=settings.lang)
    except LakeBusyError as exc:
        fail(str(exc))
    console.print(f"report {result.day}: {result.incidents} incident(s), {result.people_exposed:,} people exposed "
                  f"({result.people_with_nir:,} with NIR), {result.findings} finding(s)")
    print(result.html)


# --- detections and their measured quality (transforms/detect) ----------------------------

@app.command()
def detect(day: str = typer.Option(..., "--date", help="Day to run the rules on")) -> None:
    """Update the day's baselines, run every rule, write findings and relink incidents."""
    from transforms.detect import run_day
    from transforms.lake import storage
    from transforms.lake.lock import lake_lock
    from transforms.settings import Settings

    settings = Settings()
    try:
        with storage.writer(settings, 5, inbox=False, reports=False) as settings, \
                lake_lock(settings.lake, wait_seconds=5):
            summary = run_day(settings.lake, _date(day, "--date"), memory_limit=settings.duckdb_memory_limit,
                              threads=settings.duckdb_threads, timezone=settings.timezone)
    except LakeBusyError as exc:
        fail(str(exc))
    table = Table(title=f"Detections {summary.day}")
    for column in ("rule", "status", "findings", "seconds"):
        table.add_column(column)
    for r in summary.rules:
        table.add_row(r.rule_id, r.message or r.status, str(r.findings), f"{r.seconds:.2f}")
    console.print(table)
    console.print(f"{summary.findings} finding(s) {summary.by_severity}, {summary.incidents} incident(s), "
                  f"{summary.seconds:.1f}s")


@app.command()
def evaluate(labels: Path = typer.Option(..., "--labels", help="Simulator labels.json"),
             as_json: bool = typer.Option(False, "--json", help="Print one JSON object")) -> None:
    """Compare findings in the lake with simulator labels: recall, precision, FP rate, exposure."""
    import json

    need_checkout("devtools.evaluate")
    from devtools.evaluate import default
    from devtools.evaluate import evaluate as evaluate_lake
    from transforms.config import pseudonym_key
    from transforms.settings import Settings

    settings = Settings()
    if not labels.exists():
        fail(f"no such labels file: {labels}")
    try:
        result = evaluate_lake(settings.lake, labels, pseudonym_key(settings), settings.duckdb_memory_limit,
                               settings.timezone)
    except PseudonymKeyError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result, default=default, indent=1))
        return
    table = Table(title="Detection quality per scenario")
    for column in ("scenario", "detected", "first malicious", "first detection", "first activity found",
                   "searched from", "flagged sessions", "full scope/labelled"):
        table.add_column(column)
    for s in result["scenarios"]:
        found = s.get("first_malicious_activity_found")
        table.add_row(str(s["scenario"]), "yes" if s["detected"] else "[red]no[/]", s["first_malicious_day"],
                      str(s["first_detection_day"]), str(found)[:16] if found else "-",
                      str(s.get("scope_searched_from") or "-"), f"{s.get('exposure_flagged_sessions', 0):,}",
                      f"{s['exposure_full_scope']:,}/{s['exposure_labelled']:,}")
    console.print(table)
    console.print(f"recall {result['recall']}, precision (high/critical) {result['precision_high']}, "
                  f"FP entities/day/1000 agents (medium+) {result['fp_per_day_per_1000_agents']}, "
                  f"max exposure error {result['max_exposure_error']:.2%}")


@app.command()
def simulate(start_date: str = typer.Option(..., "--start-date", help="First simulated day (YYYY-MM-DD)"),
             days: int = typer.Option(30, "--days"), agents: int = typer.Option(3000, "--agents"),
             seed: int = typer.Option(1, "--seed"), out: Path = typer.Option(Path("sim"), "--out"),
             options: Path = typer.Option(None, "--options", help="JSON options, or a world's "
                                          "labels/world.json (with its --seed: the same world again)"),
             assignments: list[str] = typer.Option([], "--set", help="One option as group.field=value, "
                                                   "e.g. infostealer.views_per_day=500,1000 or dirt.enabled=false "
                                                   "(repeatable; fields in simulator/options.py)"),
             overwrite: bool = typer.Option(False, "--overwrite", help="Replace the world already in --out "
                                            "(its inbox/, reference/ and labels/ folders)")) -> None:
    """Generate a seeded synthetic world: raw logs, reference data and attack labels."""
    import shutil

    need_checkout("simulator.world")
    from simulator.options import SimulationOptions, from_cli
    from simulator.world import WORLD_FOLDERS
    from simulator.world import simulate as run

    if options is not None and not options.is_file():
        fail(f"no such options file: {options}")
    existing = [out / name for name in WORLD_FOLDERS if (out / name).exists()]
    if existing and not overwrite:
        # stale day files of an earlier world would sit beside the new one's labels
        fail(f"{out} already holds a world ({', '.join(p.name for p in existing)}); "
             "give another --out or --overwrite to replace it")
    try:
        first_day = date.fromisoformat(start_date)
        kwargs = from_cli(assignments, options)
        SimulationOptions.from_kwargs(**kwargs)  # unknown names fail here, before any work
    except (ValueError, TypeError) as exc:
        fail(str(exc))
    for folder in existing:
        shutil.rmtree(folder)
    with console.status("simulating..."):
        summary = run(first_day, days, agents, seed, out, **kwargs)
    console.print(f"{summary.events:,} lines in {summary.seconds:.1f} s "
                  f"({summary.events_per_second:,.0f}/s), {len(summary.attacks)} attacks -> {out}")


@app.command()
def serve(cron: str = typer.Option(None, help="Cron of the nightly run (default: settings, 30 2 * * *)"),
          timezone: str = typer.Option(None, help="Time zone of the cron and of the nights it runs "
                                       "(default: the setting timezone, Europe/Paris)")) -> None:
    """Register the nightly deployment with its cron on the Prefect server and run it (flow.serve)."""
    import os

    from flows.deploy import NoServerError

    if timezone:  # the served nights' working hours and local times follow the cron's zone
        os.environ["VIGIE_TIMEZONE"] = timezone
        check_settings()
    preflight()
    if not api_url():
        fail(str(NoServerError()))
    _prefect_server()
    from flows.deploy import serve_nightly

    try:
        serve_nightly(cron, timezone)
    except NoServerError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
def deploy(work_pool: str = typer.Option(..., "--work-pool", help="Prefect work pool (created beforehand)"),
           cron: str = typer.Option(None, help="Cron of the nightly run (default: settings, 30 2 * * *)"),
           timezone: str = typer.Option(None, help="Time zone of the cron (default: settings)")) -> None:
    """Register the nightly and backfill deployments on a work pool; its workers run this checkout."""
    from flows.deploy import NoServerError

    if not api_url():  # no preflight: the key and the inbox are the worker's, checked by its runs
        fail(str(NoServerError()))
    _prefect_server()
    from flows.deploy import deploy_to_pool

    try:
        ids = deploy_to_pool(work_pool, cron, timezone)
    except ValueError as exc:  # Prefect: unknown work pool
        fail(str(exc))
    console.print(f"{len(ids)} deployments on work pool {work_pool!r}: vigie-nightly/vigie-nightly, "
                  "vigie-backfill/vigie-backfill")


# --- the analyst's workbench (transforms/workbench/) ----------------------------------------

def _open_lake():  # noqa: ANN202
    from transforms.settings import Settings
    from transforms.workbench.query import open_lake

    settings = Settings()
    try:
        return open_lake(settings.lake, settings.duckdb_memory_limit, settings.duckdb_threads, settings.timezone)
    except FileNotFoundError as exc:
        fail(str(exc))
    return None


@app.command()
def query(sql: str = typer.Argument(..., help="SQL over the lake's views (read-only)"),
          fmt: str = typer.Option(None, "--format", help="table | csv | tsv | json | parquet (default: table on a "
                                  "terminal, tsv when the output is a pipe or a file)"),
          output: Path = typer.Option(None, "--output", "-o", help="Write to this file (required for parquet)"),
          force: bool = typer.Option(False, "--force", help="Replace the --output file if it exists"),
          param: list[str] = typer.Option([], "--param", help="Named parameter k=v, used as $k in the SQL")) -> None:
    """Run read-only SQL over the lake with every view defined (Ctrl-C cancels it)."""
    import duckdb

    from transforms.workbench.output import write_result
    from transforms.workbench.query import ReadOnlyError, run
    from transforms.workbench.shell import interruptible

    fmt = _output_format(fmt, output, force)
    params = _params(param)
    conn = _open_lake()
    try:
        result = interruptible(conn, lambda: run(conn, sql, params))
        if result is not None:
            write_result(result, fmt, output=output)
    except (duckdb.InterruptException, KeyboardInterrupt):
        fail("cancelled (Ctrl-C)", 130)
    except (ReadOnlyError, ValueError, duckdb.Error) as exc:
        fail(str(exc))


def _output_format(fmt: str | None, output: Path | None, force: bool) -> str:
    """--format as given, else from -o's suffix, else table (tsv when stdout is not a terminal);
    an existing -o file is refused without --force."""
    from transforms.workbench.output import FORMATS, check_output, default_format

    fmt = fmt or (output.suffix.lstrip(".") if output is not None and output.suffix.lstrip(".") in FORMATS
                  else "table" if output is not None else default_format())
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    try:
        check_output(output, force)
    except FileExistsError as exc:
        fail(str(exc))
    return fmt


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"--param takes name=value, not {pair!r}")
        name, value = pair.split("=", 1)
        params[name.strip()] = value
    return params


@app.command()
def shell(init_file: Path = typer.Option(None, "--init-file",
                                         help="Write an init file for the stock duckdb CLI and exit"),
          day: str = typer.Option(None, "--day", help="Define the rules' day tables for this day and bind "
                                  "$event_date, $day and the rules' default parameters")) -> None:
    """An interactive SQL shell over the lake's views (or an init file for `duckdb -init`)."""
    import duckdb

    from transforms.settings import Settings
    from transforms.workbench.query import init_file_text
    from transforms.workbench.shell import shell as run_shell

    settings = Settings()
    if init_file is not None:
        init_file.write_text(init_file_text(settings.lake, settings.timezone), encoding="utf-8")
        console.print(f"wrote {init_file}; open the lake with: duckdb -init {init_file}")
        return
    conn = _open_lake()
    params = None
    if day is not None:
        from transforms.detect.dayset import for_shell

        try:
            params = for_shell(conn, _date(day, "--day"))
        except (ValueError, duckdb.Error) as exc:
            fail(str(exc))
    # no prompts when the statements come from a pipe or a file (as the duckdb and sqlite CLIs)
    read = input if sys.stdin.isatty() else (lambda _prompt: input())
    run_shell(conn, read=read, lake=settings.lake, params=params)


@app.command()
def hunt(name: str = typer.Argument(None, help="Hunting query name (sql/hunting/NAME.sql); none: list them"),
         param: list[str] = typer.Option([], "--param", help="k=v for the query's named parameters"),
         fmt: str = typer.Option(None, "--format", help="table | csv | tsv | json | parquet (default: table on a "
                                 "terminal, tsv when the output is a pipe or a file)"),
         output: Path = typer.Option(None, "--output", "-o", help="Write to this file"),
         force: bool = typer.Option(False, "--force", help="Replace the --output file if it exists")) -> None:
    """Run a saved hunting query by name, its parameters bound (never pasted into the SQL)."""
    import duckdb

    from transforms.workbench.hunts import hunts, run_hunt
    from transforms.workbench.output import write_result
    from transforms.workbench.shell import interruptible

    if name is None:
        for h in hunts().values():
            params = " ".join(f"--param {p.name}=" + (p.default if p.default is not None else "...")
                              for p in h.params)
            console.print(f"[bold]{h.name}[/]: {h.title}\n    {params}", markup=True, highlight=False)
        return
    fmt = _output_format(fmt, output, force)
    conn = _open_lake()
    try:
        write_result(interruptible(conn, lambda: run_hunt(conn, name, _params(param))), fmt, output=output)
    except (duckdb.InterruptException, KeyboardInterrupt):
        fail("cancelled (Ctrl-C)", 130)
    except (ValueError, duckdb.Error) as exc:
        fail(str(exc))


# --- triage: analysts' decisions and suppressions (transforms/workbench/triage.py) ------------------

BY = typer.Option(None, "--by", help="Who decides (default: VIGIE_ANALYST, else the system user)")


def _lake_writer(settings):  # noqa: ANN001, ANN202
    """The lake alone, to add an analyst's decision (its working copy and lock when remote)."""
    from transforms.lake import storage

    return storage.writer(settings, 5, inbox=False, reports=False, reference=False)


@app.command()
def triage(incident: str = typer.Argument(None, help="Incident uid (or an unambiguous prefix of 8+ characters)"),
           status: str = typer.Option(None, "--status", help="acknowledged | false_positive | closed | open"),
           note: str = typer.Option(None, "--note", help="Why (kept with the decision)"),
           until: str = typer.Option(None, "--until", help="Last day the decision holds (then: open again)"),
           by: str = BY, show: bool = typer.Option(False, "--list", help="List every decision, newest first")) -> None:
    """Record a triage decision on an incident, kept append-only in the lake (survives re-runs)."""
    from transforms.settings import Settings
    from transforms.workbench import triage as triage_data
    from transforms.workbench.output import write_result

    settings = Settings()
    conn = _open_lake()
    if show:
        import pyarrow as pa

        decisions = triage_data.decisions(conn)
        write_result(pa.Table.from_pylist(decisions) if decisions
                     else pa.table({"decision": pa.array([], pa.string())}), "table")
        return
    if incident is None or status is None or note is None:
        fail("give INCIDENT --status STATUS --note TEXT (or --list)")
    try:
        with _lake_writer(settings) as settings:
            row = triage_data.record_decision(conn, settings.lake, incident, status, note, by,
                                              _day(until, "--until"))
    except triage_data.TriageError as exc:
        fail(str(exc))
    console.print(f"{row['incident_uid']}: {row['status']} by {row['analyst']}"
                  + (f" until {row['until']}" if row["until"] else "") + f" — {row['note']}")


@app.command()
def suppress(kind: str = typer.Argument(None, help="account | rule | network"),
             value: str = typer.Argument(None, help="The account id, rule id, or IP/CIDR range"),
             until: str = typer.Option(None, "--until", help="Last day findings are held back (required)"),
             reason: str = typer.Option(None, "--reason", help="Why this pattern is benign (required)"),
             rule: str = typer.Option(None, "--rule", help="Only this rule's findings (account or network)"),
             by: str = BY, show: bool = typer.Option(False, "--list", help="List every suppression")) -> None:
    """Hold back findings of a known-benign pattern until a day; applied when findings are made."""
    from transforms.settings import Settings
    from transforms.workbench import triage as triage_data
    from transforms.workbench.output import write_result

    settings = Settings()
    if show:
        conn = _open_lake()
        write_result(conn.sql("select * from suppressions order by created_at").to_arrow_table(), "table")
        return
    if kind is None or value is None or until is None or reason is None:
        fail("give KIND VALUE --until DATE --reason TEXT (or --list)")
    expires = _date(until, "--until")
    try:
        with _lake_writer(settings) as settings:
            row = triage_data.add_suppression(settings.lake, kind, value, reason, expires, rule, by)
    except triage_data.TriageError as exc:
        fail(str(exc))
    console.print(f"suppression {row['suppression_uid'][:12]}: {row['kind']} {row['value']}"
                  + (f" (rule {row['rule_id']})" if row["rule_id"] and row["kind"] != "rule" else "")
                  + f" until {row['expires']}: {row['reason']}; applies from the next detection run "
                  "(vigie detect --date D re-runs a day)")


# --- the end-to-end benchmark (devtools/bench.py) ---------------------------------------

@app.command()
def bench(events: int = typer.Option(1_000_000, "--events", help="Events in the simulated day"),
          history_days: int = typer.Option(28, "--history-days", help="Days of profiles before it"),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
          keep: Path = typer.Option(None, "--keep", help="Keep the world, lake and reports in this folder "
                                    "(a later run with the same folder and --events reuses its world)"),
          shards: int = typer.Option(1, "--shards", min=1, help="Simulate events/K and add K-1 copies of the day "
                                     "lived by other agents (how a 40M-event day fits in memory)"),
          simulator: bool = typer.Option(False, "--simulator", help="Time the simulator instead: a 30-day "
                                         "world of 3,000 agents against its targets (exit 1 if missed)"),
          repeat: int = typer.Option(1, "--repeat", min=1, help="Runs of the simulator benchmark"),
          lake_days: int = typer.Option(0, "--lake-days", min=0, help="Also time the nightly on a lake given "
                                        "this many earlier days (copies of the day): depth against fresh"),
          reference: Path = typer.Option(None, "--reference", help="Time loading this reference data "
                                         "(a folder of GeoLite2 CSVs / .mmdb files, or one .mmdb)")) -> None:
    """Time a simulated day of N events through the nightly stages, against DuckDB's read_json + COPY."""
    need_checkout("devtools.bench", "simulator.world")
    if simulator:
        # its own process: the allocator setting it needs must come before Polars is loaded
        cmd = [sys.executable, "-m", "devtools.sim_bench", "--days", "30", "--agents", "3000",
               "--repeat", str(repeat)] + (["--json"] if as_json else [])
        raise typer.Exit(subprocess.run(cmd, check=False).returncode)
    from devtools import bench as run_bench
    from transforms.settings import Settings

    settings = Settings()
    with run_bench.stdout_to_stderr():
        result = run_bench.run(events, history_days, keep, settings.duckdb_memory_limit,
                               settings.duckdb_threads, progress=lambda m: console.print(f"[dim]{m}[/]"),
                               shards=shards, lake_days=lake_days, reference=reference)
    if as_json:
        print(run_bench.dumps(result))
        return
    console.print(run_bench.table(result), markup=False)
    console.print(f"{result.events:,} events ({result.raw_mb} MB gzip), nightly {result.nightly_seconds:.1f} s, "
                  f"peak RSS {result.peak_rss_mb:,.0f} MB, ingest {result.ingest_ratio_vs_duckdb:.2f}x the DuckDB "
                  f"reference; load {result.load_start}->{result.load_end}")
    if lake_days:
        console.print(f"fresh lake: nightly {result.nightly_seconds_fresh:.1f} s, peak RSS "
                      f"{result.peak_rss_mb_fresh:,.0f} MB; {lake_days}-day lake: {result.nightly_seconds:.1f} s "
                      f"({run_bench.depth_ratio(result):.2f}x), {result.peak_rss_mb:,.0f} MB")
    if result.reference:
        console.print(f"reference {result.reference['path']}: loaded in {result.reference['load_seconds']} s, "
                      f"peak RSS {result.reference['load_peak_rss_mb']:,.0f} MB")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="vigie")


if __name__ == "__main__":  # pragma: no cover
    main()
