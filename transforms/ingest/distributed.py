"""Ingest spread over a Dask cluster: each file staged on a worker, committed by the flow.

Why this split: parsing, checking, pseudonymising and enriching a file is nearly all of an
ingest's time and needs nothing but the file, the key, the reference data and the lake's
manifests; publishing must happen in one place, in order, under the lake's lock. So a
worker (`stage_file`, run by Prefect's `DaskTaskRunner`) ingests the file into a private
shadow lake holding a copy of the manifests, reads the events of other files from the real
lake (the duplicate check), and uploads its Parquet under a staging key; the flow
(`commit_staged`) then commits the files in name order, exactly as `ingest_files` would:
outputs moved into the lake, the manifest record written last.

Optimistic, then exact: files staged side by side cannot see each other's events. When a file
shares an event with one committed earlier in the same batch, or has the same name (a new
version), or the same content, its staged outputs are dropped and the flow ingests it again
in process, so the lake ends as a sequential ingest would leave it.

A worker takes everything from its own environment (VIGIE_*, AWS_*): the task's parameters
are a file's location, its source kind and a staging location, never a key or a credential.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import duckdb

from transforms.ingest.run import (
    SOURCES,
    FileResult,
    IngestOptions,
    _commit,
    _drop_earlier_versions,
    detect_source,
    ingest_file,
    ingest_path,
)
from transforms.lake import manifest, storage
from transforms.lake.atomic import new_tmp_dir
from transforms.lake.layout import MANIFEST_DIR
from transforms.lake.sql import sql_string
from transforms.progress import emit

STAGING_DIR = ".staging"


def staging_location(lake: str) -> str:
    """Where a batch's workers put their staged files: under the lake, apart from its tables."""
    return storage.join(lake, STAGING_DIR, uuid.uuid4().hex)


@functools.cache
def _worker_options() -> IngestOptions:
    """The key and the reference data, loaded once per worker process from its environment."""
    from transforms.config import ingest_options
    from transforms.settings import Settings

    settings = Settings()
    if storage.is_remote(settings.reference):
        root = storage.working_copy(settings.state, settings.reference)
        storage.pull(settings.reference, root)
        settings = settings.model_copy(update={"reference": root})
    return ingest_options(settings)


def _copy_manifests(lake: str, shadow: Path) -> None:
    folder = shadow / MANIFEST_DIR
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(lake) / MANIFEST_DIR
    if storage.is_remote(lake):  # a working copy of the manifests, kept by the worker across tasks
        from transforms.settings import Settings

        url = storage.join(lake, MANIFEST_DIR)
        source = storage.working_copy(Path(Settings().state) / f"worker-{os.getpid()}", url)
        storage.pull(url, source)
    if source.is_dir():
        for path in source.glob("[!.]*.json"):
            shutil.copy2(path, folder / path.name)


def stage_file(location: str, source: str, staging: str) -> FileResult:
    """On a worker: ingest the file at `location` (a path the worker sees, or an object URL)
    against the lake its environment names, and upload its outputs under `staging`."""
    from transforms.settings import Settings

    lake = storage.location(Settings().lake)
    scratch = Path(tempfile.mkdtemp(prefix="vigie-stage-", dir=os.environ.get("DASK_TEMPORARY_DIRECTORY")))
    try:
        path = Path(location)
        if storage.is_remote(location):
            path = scratch / "input" / storage.location(location).rsplit("/", 1)[-1]
            path.parent.mkdir()
            storage.filesystem(location).get_file(storage.location(location).split("://", 1)[1], str(path))
        shadow = scratch / "lake"
        _copy_manifests(lake, shadow)
        fs = storage.filesystem(staging)
        target = storage.location(staging)
        if storage.is_remote(target):
            target = target.split("://", 1)[1]

        def upload(moves: list[tuple[Path, Path]], entry: manifest.ManifestEntry, result: FileResult) -> None:
            folder = f"{target}/{entry.sha256}"
            for staged, final in moves:
                key = f"{folder}/{final.relative_to(shadow).as_posix()}"
                if not storage.is_remote(staging):
                    Path(key).parent.mkdir(parents=True, exist_ok=True)
                fs.put_file(str(staged), key)
            result.entry = asdict(entry)
            result.staged = storage.join(staging, entry.sha256)

        opts = replace(_worker_options(), lake=shadow, existing=lake, handoff=upload)
        kind = detect_source(path) if source == "auto" else source
        result = ingest_file(path, kind, opts)
        result.path = location
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _shares_events(lake: Path, staged: list[Path], committed: list[Path]) -> bool:
    if not staged or not committed:
        return False
    conn = duckdb.connect()
    try:
        files = lambda paths: "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"  # noqa: E731
        return conn.execute(f"select exists (select 1 from read_parquet({files(staged)}) a "
                            f"semi join read_parquet({files(committed)}) b using (event_uid))").fetchall()[0][0]
    finally:
        conn.close()


def commit_staged(results: list[FileResult], local_paths: dict[str, Path], opts: IngestOptions,
                  source: str) -> list[FileResult]:
    """In the flow, under the lock: commit the staged files in name order (see the module's doc)."""
    lake = opts.lake
    committed: dict[str, list[Path]] = {}  # partition folder -> outputs committed by this batch
    names: set[str] = set()
    hashes: set[str] = set()
    final: list[FileResult] = []
    for result in sorted(results, key=lambda r: Path(r.path).name):
        local = local_paths[result.path]
        conflict = result.source_file in names or result.sha256 in hashes
        staged_files: list[tuple[Path, Path]] = []
        tmp = None
        if result.entry is not None and result.staged is not None and not conflict:
            tmp = new_tmp_dir(lake)
            fs = storage.filesystem(result.staged)
            base = storage.location(result.staged)
            base = base.split("://", 1)[1] if storage.is_remote(base) else base
            for output in result.entry["outputs"]:
                staged = tmp / output
                staged.parent.mkdir(parents=True, exist_ok=True)
                fs.get_file(f"{base}/{output}", str(staged))
                staged_files.append((staged, lake / output))
            table = SOURCES[result.source_kind]
            mine = [s for s, f in staged_files if f.parent.parent.name == table]
            theirs = [p for _, f in staged_files if f.parent.parent.name == table
                      for p in committed.get(str(f.parent), [])]
            conflict = _shares_events(lake, mine, theirs)
        if conflict:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            result = ingest_path(local, source, replace(opts, existing=None, handoff=None))
        elif result.entry is not None:
            _commit(lake, staged_files, manifest.ManifestEntry(**result.entry))
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        elif result.status == "skipped":
            same = manifest.find_by_hash(lake, result.sha256)
            if same is None:  # unknown here: ingest it in process
                result = ingest_path(local, source, replace(opts, existing=None, handoff=None))
            else:
                _drop_earlier_versions(lake, same)
        for output in (result.entry or {}).get("outputs", []) if result.status != "skipped" else []:
            committed.setdefault(str((lake / output).parent), []).append(lake / output)
        names.add(result.source_file)
        hashes.add(result.sha256)
        result.entry, result.staged, result.path = None, None, str(local)
        emit("ingest.file", result)
        final.append(result)
    return final


def remove_staging(staging: str) -> None:
    fs = storage.filesystem(staging)
    target = storage.location(staging)
    target = target.split("://", 1)[1] if storage.is_remote(target) else target
    with contextlib.suppress(FileNotFoundError):
        fs.rm(target, recursive=True)


def ingest_batch(paths: list[Path], opts: IngestOptions, source: str,
                 submit: Callable[[list[str], str, str], list[FileResult]],
                 remote_lake: str | None) -> list[FileResult]:
    """Stage `paths` side by side with `submit` (the flow's mapped task), then commit them.

    `remote_lake`: the lake's URL when the flow works on a working copy of a remote lake
    (workers read it and stage under it); else the local lake itself.
    """
    lake = remote_lake or str(opts.lake)
    staging = staging_location(lake)
    locations = {storage.origin_of(p): Path(p) for p in paths}
    try:
        results = submit(sorted(locations, key=lambda loc: Path(loc).name), source, staging)
        return commit_staged(results, locations, opts, source)
    finally:
        remove_staging(staging)

