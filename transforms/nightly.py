"""What a nightly run has to do: which inbox files to ingest, which days to (re-)run.

Why apart from the flow: deciding that a file is late, or that a day must be re-run, is
data logic and must be testable without Prefect; the flow (`flows/nightly.py`) only wires
these decisions to the ingest, detection and report steps.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from transforms import manifest
from transforms.ingest import file_day
from transforms.lake import write_json_atomic

PENDING_FILE = Path("_nightly") / "pending.json"

INPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".log", ".log.gz", ".ndjson", ".ndjson.gz")


def default_day(timezone: str, now: datetime | None = None) -> date:
    """The night's day: yesterday in the services' local time (the run starts after midnight)."""
    now = now or datetime.now(ZoneInfo(timezone))
    return (now.astimezone(ZoneInfo(timezone)) - timedelta(days=1)).date()


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


def inbox_files(inbox: Path) -> list[Path]:
    if not Path(inbox).is_dir():
        return []
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
    write_json_atomic(Path(lake) / PENDING_FILE, asdict(pending))


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

    def as_dict(self) -> dict:
        return asdict(self)
