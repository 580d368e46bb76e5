"""The ingest manifest: one JSON record per ingested file, keyed by its SHA-256.

Why one file per record: each ingest adds or replaces its own record with one atomic
rename, so a crash never leaves a half-written manifest, and DuckDB reads the folder as a
table (`ingest_manifest` view) for the run summary and for analysts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from transforms.lake.atomic import write_json_atomic
from transforms.lake.layout import MANIFEST_DIR, TMP_DIR


@dataclass
class ManifestEntry:
    sha256: str
    source_file: str
    source_kind: str
    size_bytes: int
    lines_read: int
    rows_written: int
    rows_quarantined: int
    first_event_time: str | None
    last_event_time: str | None
    event_dates: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reference_missing: list[str] = field(default_factory=list)
    replaces_sha256: str | None = None
    purged_dates: list[str] = field(default_factory=list)  # event dates retention removed (lake/retention.py)


def accounted_for(lines_read: int, rows_written: int, rows_quarantined: int) -> bool:
    """Nothing lost: every line read became a row of the lake or a row of the quarantine."""
    return lines_read == rows_written + rows_quarantined


def manifest_path(lake: Path, sha256: str) -> Path:
    return lake / MANIFEST_DIR / f"{sha256}.json"


def load_all(lake: Path) -> list[ManifestEntry]:
    folder = lake / MANIFEST_DIR
    if not folder.exists():
        return []
    entries = []
    for path in sorted(folder.glob("*.json")):
        entries.append(ManifestEntry(**json.loads(path.read_text(encoding="utf-8"))))
    return entries


def find_by_hash(lake: Path, sha256: str) -> ManifestEntry | None:
    path = manifest_path(lake, sha256)
    if not path.exists():
        return None
    return ManifestEntry(**json.loads(path.read_text(encoding="utf-8")))


def find_by_name(lake: Path, source_file: str) -> list[ManifestEntry]:
    """Earlier versions of a file with this name (a file that grew, or was re-delivered)."""
    return [entry for entry in load_all(lake) if entry.source_file == source_file]


def save(lake: Path, entry: ManifestEntry) -> None:
    write_json_atomic(manifest_path(lake, entry.sha256), asdict(entry), Path(lake) / TMP_DIR)


def remove(lake: Path, sha256: str) -> None:
    manifest_path(lake, sha256).unlink(missing_ok=True)
