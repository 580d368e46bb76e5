"""A process-local hook through which flows tell the command line how far they are.

Why not a flow parameter: flow parameters are stored by Prefect's API; a callback is not
data, and nothing that reaches Prefect's database should be more than paths and dates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_listeners: list[Callable[[str, Any], None]] = []


def subscribe(listener: Callable[[str, Any], None]) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Callable[[str, Any], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def emit(step: str, payload: Any = None) -> None:
    """Tell listeners that `step` made progress (e.g. ('ingest.file', FileResult))."""
    for listener in list(_listeners):
        listener(step, payload)
