"""Atomic writes, the one way Vigie writes a file (lake, reports, state): a private temporary
sibling or scratch folder on the same filesystem, then one rename, so readers see the old file
or the new one, never half, and a crash leaves no half-written file."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from transforms.lake.layout import TMP_DIR, private_dir


def new_tmp_dir(lake: Path) -> Path:
    """A private scratch folder inside the lake (same filesystem, so renames are atomic)."""
    return private_dir(lake / TMP_DIR / uuid.uuid4().hex)


def clean_stale_tmp(root: Path) -> None:
    """Remove the scratch of runs that died (lake or reports); only called while holding the lock."""
    shutil.rmtree(Path(root) / TMP_DIR, ignore_errors=True)


def write_text_atomic(path: Path, text: str, scratch: Path | None = None) -> None:
    """Write `text` (owner-only) through a temporary file, fsync, and one rename.

    `scratch`: the root's scratch folder (`<lake or reports>/.tmp`, same filesystem) for the
    temporary file, so that a process killed mid-write leaves nothing among the files readers
    list, and the next run's `clean_stale_tmp` removes it; without, a hidden sibling.
    """
    private_dir(path.parent)
    folder = private_dir(scratch) if scratch is not None else path.parent
    tmp = folder / f".{path.name}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, payload: object, scratch: Path | None = None) -> None:
    """`payload` as indented, key-sorted JSON, written atomically."""
    write_text_atomic(path, json.dumps(payload, indent=1, sort_keys=True, default=str), scratch)


def publish(tmp_file: Path, final: Path) -> None:
    """Move a finished file into the lake in one rename."""
    private_dir(final.parent)
    os.chmod(tmp_file, 0o600)
    os.replace(tmp_file, final)
