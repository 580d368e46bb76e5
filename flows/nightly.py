"""The nightly run and the backfill: ingest → detect → report, one day after another.

This module only wires steps that live in `transforms` (plan, ingest, detection, report);
it holds the lake's lock once for the whole run (never nested), retries only the steps that
do file I/O, and leaves a run summary with per-step timings beside each report (run.json).
Flow parameters stay plain dates: settings and keys never reach Prefect's database.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from flows.ingest import _is_io_error, ingest_paths
from flows.progress import emit
from transforms import quarantine, retention
from transforms.config import ingest_options
from transforms.detect import run_day
from transforms.ingest import IngestOptions
from transforms.lake import clean_stale_tmp, crash_point, lake_lock, private_umask, safe_name
from transforms.nightly import (
    RunSummary,
    StepTiming,
    clear_pending,
    days_between,
    days_to_run,
    default_day,
    load_pending,
    plan_inbox,
    save_pending,
)
from transforms.report import ReportResult, load_run_state, save_run_state, write_report
from transforms.settings import Settings


@task(cache_policy=NO_CACHE, task_run_name="detect {day}")
def detect(lake: Path, day: date, memory_limit: str, threads: int) -> dict:
    summary = run_day(lake, day, memory_limit=memory_limit, threads=threads)
    return {"day": str(day), "findings": summary.findings, "incidents": summary.incidents,
            "by_severity": summary.by_severity, "baseline_days": summary.baseline_days,
            "seconds": summary.seconds,
            "rules": [{"rule_id": r.rule_id, "status": r.status, "findings": r.findings, "message": r.message}
                      for r in summary.rules]}


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=_is_io_error, cache_policy=NO_CACHE,
      task_run_name="report {day}")
def report(lake: Path, reports: Path, day: date, lang: str, run_state: dict, memory_limit: str,
           threads: int) -> ReportResult:
    return write_report(lake, reports, day, lang, run_state, memory_limit, threads)


def publish_artifacts(result: ReportResult) -> None:
    """The day's report and incident table as Prefect artifacts (keys: lowercase, digits, dashes)."""
    create_markdown_artifact(key=f"vigie-report-{result.day}", markdown=result.markdown,
                             description=f"Vigie morning report for {result.day}")
    create_table_artifact(key=f"vigie-incidents-{result.day}",
                          table=result.incident_rows or [{"incident": "", "severity": "", "accounts": "",
                                                          "people_exposed": 0, "with_nir": 0, "rules": ""}],
                          description=f"Incidents with a finding on {result.day}")


def run_night(day: date, settings: Settings, opts: IngestOptions | None = None,
              artifacts: bool = True) -> RunSummary:
    """One night's work for `day` (the caller holds the lake lock; `opts` carries the key)."""
    started = time.monotonic()
    summary = RunSummary(day=str(day))
    lake, reports = Path(settings.lake).resolve(), Path(settings.reports)

    t = time.monotonic()
    plan = plan_inbox(Path(settings.inbox), lake, day)
    emit("nightly.plan", plan)
    # What an earlier run killed midway had set out to do is finished by this one.
    pending = load_pending(lake).merged([safe_name(p.name) for p in plan.files],
                                        [safe_name(p.name) for p in plan.late])
    if pending.files:
        save_pending(lake, pending)
    crash_point("nightly.planned")
    if plan.files and opts is None:
        opts = ingest_options(settings)
    results = ingest_paths(plan.files, "auto", opts) if plan.files else []
    crash_point("nightly.ingested")
    summary.inbox = {"files": len(plan.files), "todays": len(plan.todays), "late": len(plan.late),
                     "known": plan.known, "future": plan.future}
    summary.ingested = [asdict(r) for r in results]
    changed = [r for r in results if r.status != "skipped"]
    purged = quarantine.purge(lake, settings.quarantine_retention_days)
    touched = pending.touched(lake)
    for r in changed:
        touched[r.source_file] = sorted(set(touched.get(r.source_file, [])) | set(r.event_dates))
    summary.late_files = sorted(name for name in pending.late if name in touched)
    summary.steps.append(StepTiming("ingest", round(time.monotonic() - t, 2),
                                    f"{len(results)} files, {sum(r.lines_read for r in changed)} lines, "
                                    f"{sum(r.rows_quarantined for r in changed)} quarantined"
                                    + (f", {len(purged)} quarantine file(s) past retention purged" if purged else "")))

    days = days_to_run(day, [d for dates in touched.values() for d in dates])
    summary.days_run = [str(d) for d in days]
    emit("nightly.days", days)
    for d in days:
        t = time.monotonic()
        detected = detect(lake, d, settings.duckdb_memory_limit, settings.duckdb_threads)
        summary.detections.append(detected)
        summary.steps.append(StepTiming(f"detect {d}", round(time.monotonic() - t, 2),
                                        f"{detected['findings']} findings, {detected['incidents']} incidents"))
        emit("nightly.detect", d)
        crash_point("nightly.detected")

        t = time.monotonic()
        previous = load_run_state(reports, d)
        late_for_day = sorted(set(previous.get("late_files") or []) |
                              {name for name in summary.late_files if str(d) in touched[name] or d == day})
        state = {"late_files": late_for_day, "rules": detected["rules"],
                 "detection": {"status": "ran"}}
        result = report(lake, reports, d, settings.lang, state, settings.duckdb_memory_limit,
                        settings.duckdb_threads)
        summary.reports.append({k: v for k, v in asdict(result).items() if k not in ("markdown", "incident_rows")})
        summary.steps.append(StepTiming(f"report {d}", round(time.monotonic() - t, 2),
                                        f"{result.incidents} incidents, {result.people_exposed} people exposed"))
        if artifacts:
            publish_artifacts(result)
        crash_point("nightly.reported")
        save_run_state(reports, d, {**state, "run": {"night_of": str(day), "steps": [
            asdict(s) for s in summary.steps if s.step.endswith(str(d)) or s.step == "ingest"]}})
        emit("nightly.report", result)
    retained = retention.purge(lake, day, settings.retention_days, settings.record_retention_days)
    summary.steps.append(StepTiming("retention", retained.seconds, retained.detail))
    crash_point("nightly.before_clear")
    clear_pending(lake)
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _log(summary: RunSummary) -> None:
    logger = get_run_logger()
    for step in summary.steps:
        logger.info("%s: %.2fs %s", step.step, step.seconds, step.detail)


@flow(name="vigie-nightly")
def nightly(day: date | None = None) -> dict:
    """Ingest the day's inbox files (and late ones), detect, link incidents, write the report."""
    private_umask()
    settings = Settings()
    day = day or default_day(settings.timezone)
    with lake_lock(settings.lake):
        clean_stale_tmp(settings.lake)
        summary = run_night(day, settings)
    _log(summary)
    return summary.as_dict()


@flow(name="vigie-backfill")
def backfill(start: date, end: date) -> list[dict]:
    """Every day from `start` to `end`, in order, in this one process and under one lock."""
    private_umask()
    settings = Settings()
    summaries = []
    with lake_lock(settings.lake):
        clean_stale_tmp(settings.lake)
        opts = ingest_options(settings)  # the key and reference data, loaded once
        for day in days_between(start, end):
            summary = run_night(day, settings, opts)
            _log(summary)
            summaries.append(summary.as_dict())
    return summaries
