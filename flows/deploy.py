"""Scheduled nightly runs: the Prefect deployments of the nightly and backfill flows.

Why apart from the flows: the pipeline code does not know how it is scheduled. One definition
(`deployments`) serves both ways of running them on the Prefect server named by
PREFECT_API_URL: `vigie serve` runs them in this process (`serve`); `vigie deploy --work-pool`
registers them on a work pool whose workers run them from this checkout. A plain
`vigie nightly` needs none of this.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from prefect import Flow, get_client, serve
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Cron

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from flows.nightly import backfill, nightly
from transforms.settings import Settings

NIGHTLY = "vigie-nightly"
BACKFILL = "vigie-backfill"
CHECKOUT = Path(__file__).resolve().parents[1]


class NoServerError(RuntimeError):
    """Scheduling needs a long-lived Prefect server; the temporary one cannot schedule."""

    def __init__(self, message: str = "PREFECT_API_URL is not set: scheduled runs need a Prefect server. Start one "
                 "with `DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false prefect server start` and "
                 "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (see docs/operations.md)") -> None:
        super().__init__(message)


def deployments(cron: str, timezone: str, checkout: Path | None = None) -> list[RunnerDeployment]:
    """The nightly deployment on its cron (local time) and an unscheduled backfill one.

    With `checkout`, the flows are loaded from that folder by a work pool's worker (which sets
    it as its working directory, so `vigie.toml` there is read); without, they run in-process.
    """
    nightly_flow: Flow = nightly
    backfill_flow: Flow = backfill
    if checkout is not None:  # from_source is sync-compatible too: outside an event loop, a Flow
        nightly_flow = cast(Flow, nightly.from_source(source=str(checkout), entrypoint="flows/nightly.py:nightly"))
        backfill_flow = cast(Flow, backfill.from_source(source=str(checkout), entrypoint="flows/nightly.py:backfill"))
    # to_deployment is sync-compatible: outside an event loop it returns the deployment
    return [
        cast(RunnerDeployment, nightly_flow.to_deployment(
            name=NIGHTLY, schedule=Cron(cron, timezone=timezone), tags=["vigie"],
            description=f"Vigie nightly run ({cron}, {timezone}): ingest, detect, report for yesterday.",
        )),
        cast(RunnerDeployment, backfill_flow.to_deployment(
            name=BACKFILL, tags=["vigie"],
            description="Vigie backfill: the nightly run over a range of days, in order.")),
    ]


def serve_nightly(cron: str | None = None, timezone: str | None = None) -> None:
    """Register the deployments and run them from this process until stopped (Ctrl-C)."""
    if not os.environ.get("PREFECT_API_URL"):
        raise NoServerError()
    settings = Settings()
    # limit=1: one run at a time in this process (the lake's lock would refuse a second anyway)
    serve(*deployments(cron or settings.nightly_cron, timezone or settings.timezone), limit=1)


def deploy_to_pool(work_pool: str, cron: str | None = None, timezone: str | None = None,
                   checkout: Path = CHECKOUT) -> list[str]:
    """Register the deployments on `work_pool` (which must exist); a worker runs them from `checkout`.

    `RunnerDeployment.apply` rather than `prefect.deploy`: on Prefect 3.8.8 the latter first lists
    the pool's workers with `"limit": null`, which its own server refuses (422).
    """
    if not os.environ.get("PREFECT_API_URL"):
        raise NoServerError()
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(work_pool)
        except ObjectNotFound:
            raise ValueError(f"no work pool {work_pool!r} on {os.environ['PREFECT_API_URL']}: create it with "
                             f"`prefect work-pool create {work_pool} --type process`") from None
    settings = Settings()
    found = deployments(cron or settings.nightly_cron, timezone or settings.timezone, checkout)
    return [str(d.apply(work_pool_name=work_pool)) for d in found]


if __name__ == "__main__":  # pragma: no cover
    serve_nightly()
