"""The one driver of a night: plan the inbox, ingest, detect, report, judge, tell someone.

Why here and not in a flow: a plain `vigie nightly` runs this code directly (no Prefect, no
temporary server), and the Prefect flows (`flows/nightly.py`) run the very same code with
their tasks passed in as `Steps`; deciding that a file is late, that a day must be re-run or
that a night could not see its data is data logic, testable without Prefect.

A night ends `complete`, `incomplete` (named reasons: a source missing or empty, rules
skipped or failed, reference data missing) or `failed` (it raised). "No incident" is only
ever said of a complete night.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from transforms import notify
from transforms.config import ingest_options
from transforms.detect import run_day
from transforms.ingest import quarantine
from transforms.ingest.enrich import ASN_FILES, CITY_FILES, LOCATIONS_FILE, TAGS_FILE
from transforms.ingest.run import SOURCES, FileResult, IngestOptions, file_day, ingest_files, ingest_path
from transforms.lake import manifest, retention, storage
from transforms.lake.atomic import clean_stale_tmp, write_json_atomic
from transforms.lake.crash import crash_point
from transforms.lake.layout import TMP_DIR, partition_dir, safe_name
from transforms.lake.lock import lake_lock
from transforms.progress import emit
from transforms.report import ReportResult, load_run_state, save_run_state, write_report
from transforms.report.i18n import LABELS, NIGHT, NIGHT_STATUS, describe_reasons, night_subject, number, translate
from transforms.settings import Settings
from transforms.severity import Severity

log = logging.getLogger("vigie")

PENDING_FILE = Path("_nightly") / "pending.json"

INPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".log", ".log.gz", ".ndjson", ".ndjson.gz")


def default_day(timezone: str, now: datetime | None = None) -> date:
    """The night's day: yesterday in the services' local time (the run starts after midnight)."""
    now = now or datetime.now(ZoneInfo(timezone))
    return (now.astimezone(ZoneInfo(timezone)) - timedelta(days=1)).date()


class NightRefused(ValueError):
    """A night that must not run or be reported (a day not over yet, a night never run)."""


class InboxMissingError(FileNotFoundError):
    """The inbox folder does not exist: the night cannot see its data at all."""


def check_day(day: date, timezone: str, now: datetime | None = None) -> date:
    """Refuse a night whose day is not over yet in the services' local time."""
    today = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()
    if day >= today:
        raise NightRefused(f"the night of {day} cannot run: that day is not over yet "
                           f"(today is {today} in {timezone})")
    return day


def night_has_run(lake: Path, day: date) -> bool:
    """Detection wrote the day's findings partition (even an empty one) once the night ran."""
    return (partition_dir(Path(lake), "findings", str(day)) / "findings.parquet").exists()


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass
class InboxPlan:
    """The inbox as seen by the run of `day`."""

    day: date
    todays: list[Path] = field(default_factory=list)  # named after `day` (or after no day)
    late: list[Path] = field(default_factory=list)  # named after an earlier day, not ingested yet
    known: int = 0  # already in the manifest with the same name and size: not read again
    future: int = 0  # named after a later day: left for that day's run

    @property
    def files(self) -> list[Path]:
        return sorted(self.todays + self.late, key=lambda p: p.name)


def require_inbox(inbox: Path) -> Path:
    """The inbox folder, or a clear error naming it: a night that cannot see its data must not run."""
    if not Path(inbox).is_dir():
        raise InboxMissingError(f"inbox folder not found: {Path(inbox).resolve()} (setting `inbox`, "
                                "VIGIE_INBOX): the night cannot see its data")
    return Path(inbox)


def inbox_files(inbox: Path) -> list[Path]:
    require_inbox(inbox)
    return sorted((p for p in Path(inbox).rglob("*") if p.is_file() and p.name.endswith(INPUT_SUFFIXES)),
                  key=lambda p: p.name)


def plan_inbox(inbox: Path, lake: Path, day: date) -> InboxPlan:
    """Sort the inbox into the day's files, late files and files already ingested or not due yet.

    A file is known when the manifest has its name with the same size (cheap: no hashing of
    months of old files every night); a file that grew is read again and its new version
    replaces the old one in the lake (the ingest step decides by content hash).
    """
    plan = InboxPlan(day=day)
    sizes: dict[str, set[int]] = {}
    for entry in manifest.load_all(lake):
        sizes.setdefault(entry.source_file, set()).add(entry.size_bytes)
    for path in inbox_files(inbox):
        named = file_day(path.name)
        if named is not None and named > day:
            plan.future += 1
        elif path.stat().st_size in sizes.get(path.name, set()):
            plan.known += 1
        elif named is None or named == day:
            plan.todays.append(path)
        else:
            plan.late.append(path)
    return plan


def days_to_run(day: date, touched: list[str]) -> list[date]:
    """Every day from the earliest day a new file touched up to `day`, in order.

    Why the days in between too: a day's detections compare it with the days before, so new
    data for an earlier day can change every later day's findings; re-running them in order
    makes the lake what it would have been had the files come on time.
    """
    earlier = [date.fromisoformat(d) for d in touched if date.fromisoformat(d) < day]
    return days_between(min(earlier), day) if earlier else [day]


@dataclass
class Pending:
    """The inbox files a nightly run set out to ingest, saved before it ingests anything.

    Why: a run killed after ingesting a late file but before re-running the days it touched
    would leave those days stale for ever, since the next run finds the file already in the
    manifest and has nothing new to react to. The record survives the crash; the next run
    adds the days of every file it names (from the manifest) and the late ones to its own,
    and deletes the record only after its last report.
    """

    files: list[str] = field(default_factory=list)  # source_file names (as in the manifest)
    late: list[str] = field(default_factory=list)

    def merged(self, files: list[str], late: list[str]) -> Pending:
        return Pending(sorted(set(self.files) | set(files)), sorted(set(self.late) | set(late)))

    def touched(self, lake: Path) -> dict[str, list[str]]:
        """source_file → event dates, for the files the crashed run had already ingested."""
        out: dict[str, list[str]] = {}
        for name in self.files:
            for entry in manifest.find_by_name(lake, name):
                out[name] = sorted(set(out.get(name, [])) | set(entry.event_dates))
        return out


def load_pending(lake: Path) -> Pending:
    path = Path(lake) / PENDING_FILE
    if not path.exists():
        return Pending()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Pending(list(data.get("files", [])), list(data.get("late", [])))
    except (ValueError, AttributeError):  # cannot be half-written (atomic), but never trust it blindly
        return Pending()


def save_pending(lake: Path, pending: Pending) -> None:
    write_json_atomic(Path(lake) / PENDING_FILE, asdict(pending), Path(lake) / TMP_DIR)


def clear_pending(lake: Path) -> None:
    (Path(lake) / PENDING_FILE).unlink(missing_ok=True)


@dataclass
class StepTiming:
    step: str
    seconds: float
    detail: str = ""


@dataclass
class RunSummary:
    """What one nightly run did, step by step (printed by the CLI, saved as run.json)."""

    day: str
    inbox: dict = field(default_factory=dict)
    ingested: list[dict] = field(default_factory=list)
    late_files: list[str] = field(default_factory=list)
    days_run: list[str] = field(default_factory=list)
    detections: list[dict] = field(default_factory=list)
    reports: list[dict] = field(default_factory=list)
    steps: list[StepTiming] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "complete"  # the worst of the days run: complete | incomplete | failed
    nights: dict[str, dict] = field(default_factory=dict)  # day -> NightStatus.as_dict()
    notifications: list[str] = field(default_factory=list)  # what was sent, and channels that failed

    def as_dict(self) -> dict:
        return asdict(self)


# --- a night's status ----------------------------------------------------------------------

Status = Literal["complete", "incomplete", "failed"]
STATUS_ORDER: dict[str, int] = {"complete": 0, "incomplete": 1, "failed": 2}
REFERENCE_FILES = (*ASN_FILES, *CITY_FILES, LOCATIONS_FILE, TAGS_FILE)
# What a rule's `requires` (transforms/detect/runner.py) needs from the reference folder.
REFERENCE_NEEDS = {"asn": ASN_FILES, "geo": (*CITY_FILES, LOCATIONS_FILE), "network_tags": (TAGS_FILE,)}


@dataclass
class NightStatus:
    """Whether the night of `day` saw all its data; each reason is a dict with a `code`.

    Codes: `source_missing` (no file of a source holds the day's events: late data still
    expected), `source_empty` (a file of the day with no usable line), `rules_skipped` (rules
    that lacked data, with the reference folder looked in), `rules_failed`, `reference_missing`
    (reference files absent from the folder named), `error` (the night failed).
    """

    day: str
    status: Status = "complete"
    reasons: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def worst(statuses: list[str]) -> str:
    return max(statuses, key=STATUS_ORDER.__getitem__, default="complete")


def missing_reference(reference: Path) -> list[str]:
    """Reference files that enrichment looks for in `reference` and does not find."""
    return [name for name in REFERENCE_FILES if not (Path(reference) / name).is_file()]


def assess_day(lake: Path, day: date, rules: list[dict], reference: Path,
               entries: list[manifest.ManifestEntry] | None = None) -> NightStatus:
    """A night is complete when both sources delivered the day, every rule ran and the
    reference data was there; otherwise each gap is a named reason. `entries`: the ingest
    manifest, when the caller has it already (a night judging several days reads it once)."""
    reasons: list[dict] = []
    entries = manifest.load_all(lake) if entries is None else entries
    for kind in SOURCES:
        mine = [e for e in entries if e.source_kind == kind]
        empty = sorted((e for e in mine if file_day(e.source_file) == day and e.rows_written == 0),
                       key=lambda e: e.source_file)
        for e in empty:
            reasons.append({"code": "source_empty", "source": kind, "file": e.source_file,
                            "lines_read": e.lines_read, "rows_quarantined": e.rows_quarantined})
        if not empty and not any(str(day) in e.event_dates for e in mine):
            reasons.append({"code": "source_missing", "source": kind})
    absent = missing_reference(reference)
    if absent:
        reasons.append({"code": "reference_missing", "path": str(Path(reference).resolve()), "files": absent})
    missing_sources = {r["source"] for r in reasons if r["code"] in ("source_missing", "source_empty")}
    for rules_of_kind, ref in _skipped_by_cause(rules, missing_sources):
        needs = sorted({n for r in rules_of_kind for n in _needs(r)})
        reasons.append({"code": "rules_skipped", "rules": sorted(r["rule_id"] for r in rules_of_kind),
                        "needs": needs, "reference": str(Path(reference).resolve()) if ref else None,
                        "reference_missing": [f for n in needs for f in REFERENCE_NEEDS.get(n, ()) if f in absent]})
    failed = [r for r in rules if r.get("status") == "failed"]
    if failed:
        reasons.append({"code": "rules_failed", "rules": sorted(r["rule_id"] for r in failed),
                        "message": failed[0].get("message", "")})
    return NightStatus(str(day), "incomplete" if reasons else "complete", reasons)


def _needs(rule: dict) -> list[str]:
    return [n.strip() for n in str(rule.get("message", "")).removeprefix("skipped: needs ").split(",") if n.strip()]


def _skipped_by_cause(rules: list[dict], missing_sources: set[str]) -> list[tuple[list[dict], bool]]:
    """Skipped rules in two groups: those a missing source explains (no app events: no AS
    number or geolocation either), and those that lacked enrichment on a day with events."""
    explained = set(missing_sources) | ({"asn", "geo"} if "app" in missing_sources else set())
    skipped = [r for r in rules if r.get("status") == "skipped"]
    by_source = [r for r in skipped if any(n in explained or n in SOURCES for n in _needs(r))]
    by_reference = [r for r in skipped if r not in by_source]
    return [(group, ref) for group, ref in ((by_source, False), (by_reference, True)) if group]


# --- the steps, as plain calls or as Prefect tasks --------------------------------------------

def detect_day(lake: Path, day: date, memory_limit: str, threads: int, timezone: str) -> dict:
    """Baselines, rules, findings and incidents of one day, as a plain dict for the summary."""
    summary = run_day(lake, day, memory_limit=memory_limit, threads=threads, timezone=timezone)
    return {"day": str(day), "findings": summary.findings, "incidents": summary.incidents,
            "by_severity": summary.by_severity, "baseline_days": summary.baseline_days,
            "seconds": summary.seconds,
            "rules": [{"rule_id": r.rule_id, "status": r.status, "findings": r.findings, "message": r.message}
                      for r in summary.rules]}


@dataclass
class Steps:
    """How the driver runs each step: plain function calls by default; the Prefect flows pass
    their tasks (same signatures) so that a run shows them and retries the I/O ones."""

    ingest_file: Callable[[Path, str, IngestOptions], FileResult] = ingest_path
    detect: Callable[[Path, date, str, int, str], dict] = detect_day
    report: Callable[[Path, Path, date, str, dict, str, int, str], ReportResult] = write_report
    published: Callable[[ReportResult, dict], None] = lambda result, night: None
    # a night's files staged side by side (the flow's Dask task runner, transforms/ingest/distributed.py)
    ingest_batch: Callable[[list[Path], IngestOptions], list[FileResult]] | None = None


# --- one night, then a run of nights -------------------------------------------------------------

def run_night(day: date, settings: Settings, opts: IngestOptions | None = None,
              steps: Steps | None = None) -> tuple[RunSummary, IngestOptions | None]:
    """One night's work for `day` (the caller holds the lake lock); returns its summary and the
    ingest options it loaded (the key and reference data), for the next night to reuse."""
    steps = steps or Steps()
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
    results = [] if not (plan.files and opts) else steps.ingest_batch(plan.files, opts) if steps.ingest_batch \
        else ingest_files(plan.files, opts, "auto", run_file=steps.ingest_file)
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
    entries = manifest.load_all(lake)  # what each day is judged on: ingest is over
    for d in days:
        t = time.monotonic()
        detected = steps.detect(lake, d, settings.duckdb_memory_limit, settings.duckdb_threads, settings.timezone)
        summary.detections.append(detected)
        summary.steps.append(StepTiming(f"detect {d}", round(time.monotonic() - t, 2),
                                        f"{detected['findings']} findings, {detected['incidents']} incidents"))
        emit("nightly.detect", d)
        crash_point("nightly.detected")

        night = assess_day(lake, d, detected["rules"], Path(settings.reference), entries).as_dict()
        summary.nights[str(d)] = night
        t = time.monotonic()
        previous = load_run_state(reports, d)
        late_for_day = sorted(set(previous.get("late_files") or []) |
                              {name for name in summary.late_files if str(d) in touched[name] or d == day})
        state = {"late_files": late_for_day, "rules": detected["rules"], "detection": {"status": "ran"},
                 "night": night}
        result = steps.report(lake, reports, d, settings.lang, state, settings.duckdb_memory_limit,
                              settings.duckdb_threads, settings.timezone)
        summary.reports.append({k: v for k, v in asdict(result).items() if k != "markdown"})
        summary.steps.append(StepTiming(f"report {d}", round(time.monotonic() - t, 2),
                                        f"{result.incidents} incidents, {result.people_exposed} people exposed"))
        steps.published(result, night)
        crash_point("nightly.reported")
        save_run_state(reports, d, {**state, "run": {"night_of": str(day), "steps": [
            asdict(s) for s in summary.steps if s.step.endswith(str(d)) or s.step == "ingest"]}})
        emit("nightly.report", result)
    retained = retention.purge(lake, day, settings.retention_days, settings.record_retention_days)
    summary.steps.append(StepTiming("retention", retained.seconds, retained.detail))
    crash_point("nightly.before_clear")
    clear_pending(lake)
    summary.status = worst([n["status"] for n in summary.nights.values()])
    summary.seconds = round(time.monotonic() - started, 2)
    return summary, opts


def run_nights(days: list[date], settings: Settings, steps: Steps | None = None,
               logger: logging.Logger | logging.LoggerAdapter | None = None,
               now: datetime | None = None) -> list[RunSummary]:
    """The nightly run (one day) or a backfill (days in order), under one lake lock.

    Every night's summary is logged at INFO (into the Prefect run's logs when a flow calls
    this), and the team is told once per run when a night was incomplete or failed, and once
    per incident that became critical. A failure is told, then raised.
    """
    logger = logger or log
    for day in days:
        check_day(day, settings.timezone, now)
    if not storage.is_remote(settings.inbox):
        require_inbox(Path(settings.inbox))  # a missing inbox stops the run before it takes the lock
    summaries: list[RunSummary] = []
    try:
        # a remote lake: its global lock, then local working copies pulled, pushed at the end
        with storage.writer(settings) as settings, lake_lock(settings.lake):
            clean_stale_tmp(settings.lake)
            clean_stale_tmp(settings.reports)
            opts = None
            for day in days:
                summary, opts = run_night(day, settings, opts, steps)
                storage.publish(settings)  # a remote lake: the night's objects, then its manifests
                summaries.append(summary)
                log_summary(summary, logger)
            # told under the lock, so that the incidents remembered as told reach the lake with it
            notes = tell(settings, summaries, logger)
            storage.publish(settings)
    except Exception as exc:
        failed_day = days[len(summaries)] if len(summaries) < len(days) else days[-1]
        failed = RunSummary(day=str(failed_day), status="failed")
        failed.nights[str(failed_day)] = NightStatus(str(failed_day), "failed", [
            {"code": "error", "type": type(exc).__name__, "message": str(exc).splitlines()[0] if str(exc) else ""}
        ]).as_dict()
        failed.notifications = tell(settings, summaries + [failed], logger)
        raise
    if summaries:
        summaries[-1].notifications = notes
    for summary in summaries:
        emit("nightly.summary", summary)
    return summaries


def log_summary(summary: RunSummary, logger: logging.Logger | logging.LoggerAdapter) -> None:
    """The run summary in plain lines: the operator's first look in the Prefect UI or a cron log."""
    logger.info("night of %s: %s, %d file(s) ingested (%d late), days run: %s, %.1fs", summary.day,
                summary.status.upper(), summary.inbox.get("files", 0), summary.inbox.get("late", 0),
                ", ".join(summary.days_run), summary.seconds)
    for step in summary.steps:
        logger.info("  %s: %.2fs %s", step.step, step.seconds, step.detail)
    for rep in summary.reports:
        logger.info("  report %s: %d incident(s), %d people exposed (%d with NIR) -> %s/report.html", rep["day"],
                    rep["incidents"], rep["people_exposed"], rep["people_with_nir"], rep["folder"])
    for day, night in summary.nights.items():
        if night["status"] != "complete":
            logger.warning("  night of %s %s: %s", day, night["status"].upper(),
                           describe_reasons(night["reasons"], "en"))


# --- telling someone -------------------------------------------------------------------------------

def channels(settings: Settings) -> notify.Channels:
    return notify.Channels(
        webhook_url=settings.notify_webhook_url, smtp_host=settings.notify_smtp_host,
        smtp_port=settings.notify_smtp_port, smtp_from=settings.notify_smtp_from,
        smtp_to=[a.strip() for a in settings.notify_smtp_to.split(",") if a.strip()],
        smtp_starttls=settings.notify_smtp_starttls, smtp_user=settings.notify_smtp_user,
        smtp_password=settings.notify_smtp_password.get_secret_value() if settings.notify_smtp_password else None)


def messages(settings: Settings, summaries: list[RunSummary], notified: set[str]) -> tuple[list[notify.Message],
                                                                                          set[str]]:
    """One message for the run's incomplete or failed nights, one per incident newly critical."""
    lang = settings.lang
    out: list[notify.Message] = []
    bad = [(day, night, s) for s in summaries for day, night in s.nights.items() if night["status"] != "complete"]
    if bad:
        status = worst([night["status"] for _, night, _ in bad])
        days = [day for day, _, _ in bad]
        lines = [f"- {day}{LABELS[lang]['colon']}{translate(NIGHT_STATUS, night['status'], lang)} — "
                 f"{describe_reasons(night['reasons'], lang)}" for day, night, _ in bad]
        folders = {rep["day"]: rep["folder"] for s in summaries for rep in s.reports}
        lines += [f"  {Path(folders[day]).resolve() / 'report.html'}" for day in days if day in folders]
        out.append(notify.Message(night_subject(status, days, lang), "\n".join(lines)))
    critical: dict[str, dict] = {}
    for s in summaries:
        for rep in s.reports:
            for row in rep.get("incident_rows", []):
                if row["severity"] == Severity.CRITICAL and row["incident"] not in notified:
                    critical[row["incident"]] = {**row, "report": str(Path(rep["folder"]).resolve() / "report.html")}
    for uid, row in sorted(critical.items()):
        text = NIGHT[lang]["critical_text"].format(people=number(row["people_exposed"], lang),
                                                   nir=number(row["with_nir"], lang), accounts=row["accounts"])
        out.append(notify.Message(NIGHT[lang]["critical_subject"].format(uid=uid), f"{text}\n{row['report']}"))
    return out, set(critical)


def tell(settings: Settings, summaries: list[RunSummary],
         logger: logging.Logger | logging.LoggerAdapter) -> list[str]:
    """Send the run's messages on the configured channels; return what was sent or failed."""
    chans = channels(settings)
    if not chans.enabled:
        return []
    lake = Path(settings.lake)
    notified = notify.already_notified(lake)
    out, critical = messages(settings, summaries, notified)
    notes = []
    for message in out:
        errors = notify.send(chans, message)
        for error in errors:
            logger.error("notification not delivered (%s): %s", message.subject, error)
        notes.append(f"{message.subject}: " + ("; ".join(errors) if errors else "sent"))
    if critical:
        notify.remember_notified(lake, notified | critical)
    return notes
