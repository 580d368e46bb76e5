"""Failure injection for the crash tests (`VIGIE_CRASH_AT`)."""

from __future__ import annotations

import os
import signal

_CRASH_HITS: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Failure injection for the crash tests: die here, hard, when VIGIE_CRASH_AT names this point.

    `VIGIE_CRASH_AT=name#3` dies on the third time the run passes `name` (a point inside a
    step that runs once per day or per file).
    """
    wanted = os.environ.get("VIGIE_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    _CRASH_HITS[name] = _CRASH_HITS.get(name, 0) + 1
    if _CRASH_HITS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
