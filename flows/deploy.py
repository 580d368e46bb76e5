"""Scheduled nightly runs: a Prefect deployment of the nightly flow with its cron.

Why apart from the flows: the pipeline code does not know how it is scheduled. `vigie serve`
(or `python -m flows.deploy`) registers the deployments on the Prefect server named by
PREFECT_API_URL and runs them in this process (`serve`); teams with work pools use
`prefect.yaml` instead. A plain `vigie nightly` needs none of this.
"""

from __future__ import annotations

import os
from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from flows.nightly import backfill, nightly
from transforms.settings import Settings

NIGHTLY = "vigie-nightly"
BACKFILL = "vigie-backfill"


class NoServerError(RuntimeError):
    """Scheduling needs a long-lived Prefect server; the temporary one cannot schedule."""

    def __init__(self, message: str = "PREFECT_API_URL is not set: scheduled runs need a Prefect server. Start one "
                 "with `DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false prefect server start` and "
                 "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (see docs/operations.md)") -> None:
        super().__init__(message)


def deployments(cron: str, timezone: str) -> list[RunnerDeployment]:
    """The nightly deployment on its cron (local time) and an unscheduled backfill one."""
    deployments = [
        cast(RunnerDeployment, nightly.to_deployment(
            name=NIGHTLY, schedule=Cron(cron, timezone=timezone), tags=["vigie"],
            description=f"Vigie nightly run ({cron}, {timezone}): ingest, detect, report for yesterday.",
        )),
        cast(RunnerDeployment, backfill.to_deployment(
            name=BACKFILL, tags=["vigie"],
            description="Vigie backfill: the nightly run over a range of days, in order.")),
    ]
    return deployments  # to_deployment is sync-compatible: outside an event loop it returns the deployment


def serve_nightly(cron: str | None = None, timezone: str | None = None) -> None:
    """Register the deployments and run them from this process until stopped (Ctrl-C)."""
    if not os.environ.get("PREFECT_API_URL"):
        raise NoServerError()
    settings = Settings()
    # limit=1: one run at a time in this process (the lake's lock would refuse a second anyway)
    serve(*deployments(cron or settings.nightly_cron, timezone or settings.timezone), limit=1)


if __name__ == "__main__":  # pragma: no cover
    serve_nightly()
