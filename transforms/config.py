"""Turn settings into what the steps need: the pseudonym key and ingest options.

Why apart from settings: loading the key and the reference data does I/O and can fail
with a message meant for the operator; the settings class itself stays declarative.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from transforms.ingest.enrich import load_reference
from transforms.ingest.pseudonymise import PseudonymKey, ensure_demo_key, load_key
from transforms.ingest.run import IngestOptions
from transforms.settings import Settings

log = logging.getLogger("vigie")


def demo_mode() -> bool:
    """`make demo` sets VIGIE_DEMO=1: a local demo key is created when none is configured."""
    return os.environ.get("VIGIE_DEMO", "") == "1"


_warned: set[Path] = set()


def pseudonym_key(settings: Settings) -> PseudonymKey:
    if settings.pseudonym_key_file is None and not settings.pseudonym_key and demo_mode():
        path = ensure_demo_key(settings.state)
        if path not in _warned:  # once per process, not once per step that needs the key
            _warned.add(path)
            log.warning("demo mode: using the local demo pseudonym key %s (not for production)", path)
        return load_key(path, None)
    secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return load_key(settings.pseudonym_key_file, secret)


def ingest_options(settings: Settings) -> IngestOptions:
    return IngestOptions(
        lake=settings.lake,
        key=pseudonym_key(settings),
        reference=load_reference(settings.reference),
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        max_line_bytes=settings.max_line_bytes,
        max_clock_skew_days=settings.max_clock_skew_days,
    )
