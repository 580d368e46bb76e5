"""`vigie ingest` as a Prefect flow: `transforms.ingest.ingest_run`, with one task per file.

The data logic and the run itself (lock, order, checks, progress) live in `transforms.ingest`;
this module only passes the per-file task, retried when the failure was I/O, and logs the
counts into the run.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import prefect_env  # noqa: F401  (sets Prefect defaults before import)
from transforms import storage
from transforms.config import ingest_options
from transforms.ingest import FileResult, IngestOptions, check_source, ingest_path, ingest_run
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


@flow(name="vigie-ingest")
def ingest_flow(paths: list[str], source: str = "auto") -> list[dict]:
    """Ingest `paths` into the lake named by the settings (VIGIE_* / vigie.toml)."""
    check_source(source)
    with storage.writer(Settings(), reports=False, inbox=False) as settings:
        results = ingest_run([Path(p) for p in paths], ingest_options(settings), source, run_file=ingest_one)
    logger = get_run_logger()
    for result in results:
        logger.info("%s: %s, %d lines = %d rows + %d quarantined", result.source_file, result.status,
                    result.lines_read, result.rows_written, result.rows_quarantined)
    return [asdict(r) for r in results]
