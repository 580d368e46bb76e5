"""Prefect defaults for a project-local, quiet, patient temporary server.

Why: with no PREFECT_API_URL each process starts a temporary Prefect server; it must keep
its state inside the project, not phone home, and be given time to start on a small
machine. Imported before Prefect by every flow module; explicit settings always win.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def apply_defaults() -> None:
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")


apply_defaults()
