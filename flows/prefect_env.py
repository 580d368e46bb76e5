"""Prefect defaults (project-local home, no telemetry) and the one question the CLI asks first:
is there a Prefect server to run the flows on?

Why: a plain `vigie nightly` runs the nightly driver as plain code and never starts Prefect;
with PREFECT_API_URL set (a long-lived server, what `vigie serve` needs) the same driver runs
inside the flows, and an unreachable server is a one-line error, not a traceback. Imported
before Prefect by every flow module; explicit settings always win.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def apply_defaults() -> None:
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's client telemetry, beside the server's analytics
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")


class ServerUnreachable(RuntimeError):
    """PREFECT_API_URL names a server that does not answer."""


def api_url() -> str | None:
    """The Prefect server to run flows on; None: run the driver as plain code."""
    return os.environ.get("PREFECT_API_URL") or None


def require_server(url: str, timeout: float = 5.0) -> None:
    """Fail in one clear line when the server does not answer its health check."""
    import httpx

    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ServerUnreachable(
            f"the Prefect server at {url} is not reachable ({type(exc).__name__}: {exc}). Start it with "
            "`DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false prefect server start --host 127.0.0.1 "
            "--port 4200`, or unset PREFECT_API_URL to run without Prefect") from None


apply_defaults()
