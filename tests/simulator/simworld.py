"""One small world per test session: every trap and attack, scaled down to run in seconds."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

from simulator.world import simulate

SMALL = {
    "infostealer": {"views_per_day": (300, 600)},
    "account_manager": {"views_per_day": (800, 1500)},
    "abused_advisors": {"views_per_session": (100, 200)},
    "cookie_replay": {"views": (100, 200)},
    "dirt": {"rate": 5e-4},
}


def small_world(out: Path, seed: int = 11):
    return simulate(date(2025, 11, 17), 8, 120, seed, out, **SMALL)


def read_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read().split("\n")


def load(out: Path, source: str) -> list[dict]:
    """Every line of every file of `source`, less the deliberate dirt recorded in world.json."""
    dirt = json.loads((out / "labels" / "world.json").read_text())["dirt"]
    skip = {(d["file"], d["line"]) for d in dirt}
    rows = []
    for path in sorted((out / "inbox").glob(f"{source}-*.jsonl.gz")):
        for no, line in enumerate(read_lines(path), 1):
            if not line or (f"inbox/{path.name}", no) in skip:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows
