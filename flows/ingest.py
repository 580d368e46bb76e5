"""`vigie ingest` as a Prefect flow: `transforms.ingest.run.ingest_run`, with one task per file.

The data logic and the run itself (lock, order, checks, progress) live in `transforms.ingest.run`;
this module only passes the per-file task, retried when the failure was I/O, and logs the
counts into the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect_dask import DaskTaskRunner

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from transforms.config import ingest_options
from transforms.ingest.distributed import ingest_batch, stage_file
from transforms.ingest.run import FileResult, IngestOptions, check_source, ingest_path, ingest_run
from transforms.lake import storage
from transforms.lake.atomic import clean_stale_tmp
from transforms.lake.lock import lake_lock
from transforms.settings import Settings


def is_io_error(task, task_run, state) -> bool:  # noqa: ANN001 (Prefect's callback signature)
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=is_io_error, cache_policy=NO_CACHE,
      task_run_name="ingest {path.name}")
def ingest_one(path: Path, source: str, opts: IngestOptions) -> FileResult:
    return ingest_path(path, source, opts)


@task(cache_policy=NO_CACHE, task_run_name="stage {location}")
def stage_one(location: str, source: str, staging: str) -> FileResult:
    """On a Dask worker: a file staged against the lake of the worker's own environment."""
    return stage_file(location, source, staging)


def dask_runner() -> Any:  # noqa: ANN401 (a DaskTaskRunner, which Flow.with_options' types do not name)
    """Prefect's Dask task runner when a cluster is configured: a scheduler's address
    (VIGIE_DASK_ADDRESS), or a LocalCluster of VIGIE_DASK_WORKERS single-threaded processes."""
    address = os.environ.get("VIGIE_DASK_ADDRESS")
    if address:
        return DaskTaskRunner(address=address)
    workers = int(os.environ.get("VIGIE_DASK_WORKERS") or 0)
    if workers:
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                             "dashboard_address": None})
    return None


def on_dask() -> bool:
    """Whether the running flow's tasks go to a Dask cluster."""
    context = FlowRunContext.get()
    return context is not None and isinstance(context.task_runner, DaskTaskRunner)


def batch_ingest(remote_lake: str | None) -> Callable[..., list[FileResult]]:
    """A night's (or a run's) files staged side by side on the flow's Dask workers, then committed."""

    def submit(locations: list[str], source: str, staging: str) -> list[FileResult]:
        futures = stage_one.map(locations, source=unmapped(source), staging=unmapped(staging))
        return [future.result() for future in futures]

    def run(paths: list[Path], opts: IngestOptions, source: str = "auto") -> list[FileResult]:
        return ingest_batch(paths, opts, source, submit, remote_lake)

    return run


@flow(name="vigie-ingest")
def ingest_flow(paths: list[str], source: str = "auto") -> list[dict]:
    """Ingest `paths` into the lake named by the settings (VIGIE_* / vigie.toml); with a Dask
    task runner (`dask_runner`), one task per file on the cluster's workers."""
    check_source(source)
    configured = Settings()
    remote = storage.location(configured.lake) if storage.is_remote(configured.lake) else None
    with storage.writer(configured, reports=False, inbox=False) as settings:
        opts = ingest_options(settings)
        if on_dask():
            with lake_lock(opts.lake):
                clean_stale_tmp(opts.lake)
                results = batch_ingest(remote)([Path(p) for p in paths], opts, source)
        else:
            results = ingest_run([Path(p) for p in paths], opts, source, run_file=ingest_one)
    logger = get_run_logger()
    for result in results:
        logger.info("%s: %s, %d lines = %d rows + %d quarantined", result.source_file, result.status,
                    result.lines_read, result.rows_written, result.rows_quarantined)
    return [asdict(r) for r in results]
