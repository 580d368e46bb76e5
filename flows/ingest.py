"""Prefect flow that ingests raw files into the lake: one task per file, nothing else.

The data logic lives in `transforms.ingest`; this module only wires it, holds the lake's
lock for the run, and retries a file only when the failure was I/O.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from flows.progress import emit
from transforms.config import ingest_options
from transforms.ingest import FileResult, IngestOptions, detect_source, ingest_file
from transforms.lake import clean_stale_tmp, lake_lock
from transforms.settings import Settings


def _is_io_error(task, task_run, state) -> bool:  # noqa: ANN001 (Prefect's callback signature)
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=_is_io_error, cache_policy=NO_CACHE,
      task_run_name="ingest {path.name}")
def ingest_one(path: Path, source: str, opts: IngestOptions) -> FileResult:
    kind = detect_source(path) if source == "auto" else source
    return ingest_file(path, kind, opts)


def ingest_paths(paths: list[Path], source: str, opts: IngestOptions) -> list[FileResult]:
    """Run the per-file task over `paths` in name order (callers hold the lake lock)."""
    results = []
    for path in sorted(paths, key=lambda p: p.name):
        result = ingest_one(path, source, opts)
        results.append(result)
        emit("ingest.file", result)
    return results


@flow(name="vigie-ingest")
def ingest_flow(paths: list[str], source: str = "auto") -> list[dict]:
    """Ingest `paths` into the lake named by the settings (VIGIE_* / vigie.toml)."""
    settings = Settings()
    opts = ingest_options(settings)
    with lake_lock(settings.lake):
        clean_stale_tmp(settings.lake)
        results = ingest_paths([Path(p) for p in paths], source, opts)
    logger = get_run_logger()
    for result in results:
        logger.info("%s: %s, %d lines = %d rows + %d quarantined", result.source_file, result.status,
                    result.lines_read, result.rows_written, result.rows_quarantined)
    return [asdict(r) for r in results]
