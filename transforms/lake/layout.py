"""The lake's layout: its folders, their names, and owner-only permissions on what it creates.

Why here: every step writes or reads the same folders; the atomic writes (`atomic`), the lock
(`lock`), SQL loading (`sql`) and DuckDB connections (`duck`) are modules of their own beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

EVENT_TABLES = ("auth_events", "app_events")
TMP_DIR = ".tmp"
MANIFEST_DIR = "_manifest"
QUARANTINE_DIR = "quarantine"
LOCK_FILE = ".lock"


def private_dir(path: Path) -> Path:
    """Create a folder readable by its owner only (the lake holds who read whose file).

    Every folder it has to create is owner-only, the missing parents too (`mkdir(parents=True)`
    would give those the process's default mode); existing folders are left as they are.
    """
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a folder")
    return path


PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Owner-only defaults for everything this process creates (DuckDB's files, Prefect's home,
    analysts' exports): called at the start of the CLI and of every flow that writes."""
    os.umask(PRIVATE_UMASK)


def safe_name(name: str) -> str:
    """A file name that cannot climb out of its folder (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).lstrip(".")
    return cleaned or "unnamed"


def partition_dir(lake: Path, table: str, event_date: str) -> Path:
    return lake / table / f"event_date={event_date}"
