"""The nightly run and the backfill as Prefect flows: the driver of `transforms.nightly`, wired.

Why so thin: a plain `vigie nightly` runs the same driver without Prefect; here it only gets
tasks (the run page shows each file, day and report; the I/O steps are retried), artifacts,
logs into the run, a run named after its night, and a final state an automation can match:
`Completed` for a complete night, a FAILED-type state named `Incomplete` when a night could
not see all its data (event `prefect.flow-run.Incomplete`), `Failed` when it raised.
Flow parameters stay plain dates: settings and keys never reach Prefect's database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from flows.ingest import batch_ingest, ingest_one, is_io_error, on_dask
from transforms.lake import storage
from transforms.lake.layout import private_umask
from transforms.nightly import RunSummary, Steps, days_between, default_day, detect_day, run_nights
from transforms.report import ReportResult, write_report
from transforms.report.i18n import describe_reasons
from transforms.settings import Settings

INCOMPLETE = "Incomplete"  # the state name automations match (docs/operations.md)


@task(cache_policy=NO_CACHE, task_run_name="detect {day}")
def detect(lake: Path, day: date, memory_limit: str, threads: int) -> dict:
    return detect_day(lake, day, memory_limit, threads)


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=is_io_error, cache_policy=NO_CACHE,
      task_run_name="report {day}")
def report(lake: Path, reports: Path, day: date, lang: str, run_state: dict, memory_limit: str,
           threads: int) -> ReportResult:
    return write_report(lake, reports, day, lang, run_state, memory_limit, threads)


def publish_artifacts(result: ReportResult, night: dict) -> None:
    """The day's report summary (its night-status banner on top) and a compact incident table as
    artifacts (keys: lowercase, digits, dashes)."""
    create_markdown_artifact(key=f"vigie-report-{result.day}", markdown=result.markdown,
                             description=f"Vigie morning report for {result.day}: {result.html}")
    create_table_artifact(key=f"vigie-incidents-{result.day}",
                          table=result.incident_rows or [{"people_exposed": 0, "with_nir": 0, "severity": "",
                                                          "change": "", "incident": "", "accounts": ""}],
                          description=f"Incidents with a finding on {result.day} ({night['status']} night)")


PREFECT_STEPS = Steps(ingest_file=ingest_one, detect=detect, report=report, published=publish_artifacts)


def steps(settings: Settings) -> Steps:
    """The flow's steps; with a Dask task runner, a night's files are staged on its workers."""
    if not on_dask():
        return PREFECT_STEPS
    remote = storage.location(settings.lake) if storage.is_remote(settings.lake) else None
    return replace(PREFECT_STEPS, ingest_batch=batch_ingest(remote))


def final_state(summaries: list[RunSummary]) -> State:
    """Completed when every night was complete; else a FAILED-type state named Incomplete."""
    result = [s.as_dict() for s in summaries]
    bad = {day: night for s in summaries for day, night in s.nights.items() if night["status"] != "complete"}
    if not bad:
        return Completed(data=result, message=f"{len(summaries)} night(s) complete")
    message = " | ".join(f"{day}: {describe_reasons(night['reasons'], 'en')}" for day, night in bad.items())
    return Failed(name=INCOMPLETE, data=result, message=message[:2000])


def night_run_name() -> str:
    """`vigie-nightly 2025-11-30`: the run page says which night it is (the default: yesterday)."""
    day = flow_run.parameters.get("day") or default_day(Settings().timezone)
    return f"vigie-nightly {day}"


def backfill_run_name() -> str:
    return f"vigie-backfill {flow_run.parameters.get('start')}..{flow_run.parameters.get('end')}"


@flow(name="vigie-nightly", flow_run_name=night_run_name)
def nightly(day: date | None = None) -> State:
    """Ingest the day's inbox files (and late ones), detect, link incidents, write the report."""
    private_umask()
    settings = Settings()
    summaries = run_nights([day or default_day(settings.timezone)], settings, steps(settings), get_run_logger())
    return final_state(summaries)


@flow(name="vigie-backfill", flow_run_name=backfill_run_name)
def backfill(start: date, end: date) -> State:
    """Every day from `start` to `end`, in order, in this one process and under one lock."""
    private_umask()
    settings = Settings()
    return final_state(run_nights(days_between(start, end), settings, steps(settings), get_run_logger()))
