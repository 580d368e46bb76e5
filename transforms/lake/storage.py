"""Where the inbox, the lake, the reports and the reference data live: a local folder (the
default, unchanged) or an S3-compatible object store (`s3://bucket/prefix`), through fsspec.

Why so few operations: every step of Vigie works on local files (DuckDB's spill, renames,
the fcntl lock). With a remote lake a writer works on a local working copy of it: `pull`
brings the copy up to date with the store (only the objects that changed), the steps run
unchanged, and `push` publishes what changed: data objects first, the manifests last (a
manifest is the commit marker of its file's objects: readers and the views of a remote lake
ignore event objects no manifest names), then removes what the run deleted. Readers (`vigie
query`/`shell`) read the store directly: DuckDB gets the store as a registered fsspec
filesystem (`register`), and the views name explicit object lists.

Credentials and the endpoint come from the standard AWS variables (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_DEFAULT_REGION) or the
usual AWS files: never from Vigie's settings, flow parameters or task parameters, so that
Prefect's database and the logs never hold them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from transforms.lake import atomic
from transforms.lake.layout import private_dir

log = logging.getLogger("vigie")

SCHEMES = ("s3",)
SYNC_STATE = ".vigie-sync.json"


def _hidden(rel: str) -> bool:
    """Top-level names starting with a dot are never synced: a working copy's scratch (.tmp),
    lock and sync state, a remote lake's staging area (.staging)."""
    return rel.split("/", 1)[0].startswith(".")


def location(value: str | os.PathLike) -> str:
    """`value` as a string, with a URL's `//` restored (pathlib turns `s3://b/p` into `s3:/b/p`)."""
    text = os.fspath(value)
    for scheme in SCHEMES:
        if text.startswith(f"{scheme}:/") and not text.startswith(f"{scheme}://"):
            return f"{scheme}://" + text[len(scheme) + 2:]
    return text


def is_remote(value: str | os.PathLike | None) -> bool:
    return value is not None and location(value).split("://", 1)[0] in SCHEMES and "://" in location(value)


def join(base: str | os.PathLike, *parts: str) -> str:
    return "/".join([location(base).rstrip("/"), *(p.strip("/") for p in parts)])


def _client_kwargs() -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if os.environ.get("AWS_ENDPOINT_URL"):
        kwargs["endpoint_url"] = os.environ["AWS_ENDPOINT_URL"]
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        kwargs["region_name"] = region
    return kwargs


def filesystem(url: str | os.PathLike) -> Any:  # noqa: ANN401 (an fsspec filesystem)
    """The fsspec filesystem of `url`, credentials from the process's environment."""
    if not is_remote(url):
        import fsspec

        return fsspec.filesystem("file")
    import s3fs

    # a fresh instance: listings are not cached across the steps of a run (another writer,
    # another machine may have published since)
    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False, client_kwargs=_client_kwargs())


def register(conn: duckdb.DuckDBPyConnection, url: str | os.PathLike) -> None:
    """Let `conn` read (and, with a writer's credentials, write) `s3://` paths through fsspec."""
    if is_remote(url):
        conn.register_filesystem(filesystem(url))


def _key(url: str) -> str:
    return url.split("://", 1)[1].rstrip("/")


def list_files(url: str | os.PathLike) -> dict[str, dict]:
    """Every object under `url`: relative key -> its listing (size, ETag)."""
    fs = filesystem(url)
    base = _key(location(url))
    try:
        found = fs.find(base, detail=True)
    except FileNotFoundError:
        return {}
    return {name[len(base) + 1:]: info for name, info in found.items()
            if info.get("type") != "directory" and name.startswith(base + "/")}


# Local working copy -> the remote location it mirrors (for a Dask worker, which reads the store).
ORIGINS: dict[Path, str] = {}


def origin_of(path: str | os.PathLike) -> str:
    """Where a worker on another machine finds `path`: its object URL when it lies in a working
    copy of a remote location, else the path itself (a folder every worker mounts)."""
    path = Path(path).resolve()
    for root, url in ORIGINS.items():
        if path.is_relative_to(root):
            return join(url, path.relative_to(root).as_posix())
    return str(path)


def local_of(url: str | os.PathLike) -> Path | None:
    """The working copy this process pulled of `url`, if any."""
    return next((root for root, origin in ORIGINS.items() if origin == location(url)), None)


def working_copy(state: Path, url: str | os.PathLike) -> Path:
    """The local folder a writer works in for the remote `url` (under the local state folder)."""
    digest = hashlib.sha256(location(url).encode()).hexdigest()[:16]
    folder = Path(state).resolve() / "remote" / digest
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _local_files(root: Path) -> dict[str, os.stat_result]:
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if _hidden(rel) or not path.is_file():
            continue
        found[rel] = path.stat()
    return found


def _load_state(root: Path) -> dict[str, dict]:
    try:
        return json.loads((root / SYNC_STATE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_state(root: Path, state: dict[str, dict]) -> None:
    atomic.write_json_atomic(root / SYNC_STATE, state)


def _same_local(stat: os.stat_result | None, record: dict | None) -> bool:
    return stat is not None and record is not None and stat.st_size == record["size"] \
        and stat.st_mtime_ns == record["mtime_ns"]


@dataclass
class SyncResult:
    copied: int = 0
    removed: int = 0
    kept: int = 0
    bytes: int = 0


def pull(url: str | os.PathLike, root: Path, delete: bool = True) -> SyncResult:
    """Bring the working copy `root` up to date with `url`: download the objects that are new
    or changed (or that were changed locally since the last sync), remove local files the
    store no longer has (`delete`)."""
    fs = filesystem(url)
    remote = {rel: info for rel, info in list_files(url).items() if not _hidden(rel)}
    local = _local_files(root)
    state = _load_state(root)
    result = SyncResult()
    base = _key(location(url))
    for rel, info in sorted(remote.items()):
        record = state.get(rel)
        if record is not None and record.get("etag") == info.get("ETag") and _same_local(local.get(rel), record):
            result.kept += 1
            continue
        target = root / rel
        private_dir(target.parent)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.pull")
        fs.get_file(f"{base}/{rel}", str(tmp))
        atomic.publish(tmp, target)
        stat = target.stat()
        state[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "etag": info.get("ETag")}
        result.copied += 1
        result.bytes += stat.st_size
    if delete:
        for rel in sorted(set(local) - set(remote)):
            (root / rel).unlink(missing_ok=True)
            state.pop(rel, None)
            result.removed += 1
    for rel in set(state) - set(remote):
        state.pop(rel, None)
    _save_state(root, state)
    return result


def _is_manifest(rel: str) -> bool:
    return rel.split("/", 1)[0] == "_manifest"


def push(root: Path, url: str | os.PathLike) -> SyncResult:
    """Publish the working copy `root` to `url`: changed data objects, then the changed
    manifests (the commit markers, written last), then the removals (manifests first, so
    that no manifest ever names a missing object)."""
    fs = filesystem(url)
    local = _local_files(root)
    state = _load_state(root)
    base = _key(location(url))
    result = SyncResult()
    changed = [rel for rel, stat in local.items() if not _same_local(stat, state.get(rel))]
    for rel in sorted(changed, key=lambda r: (_is_manifest(r), r)):
        fs.put_file(str(root / rel), f"{base}/{rel}")
        stat = local[rel]
        info = fs.info(f"{base}/{rel}")
        state[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "etag": info.get("ETag")}
        result.copied += 1
        result.bytes += stat.st_size
    gone = [rel for rel in state if rel not in local]
    for rel in sorted(gone, key=lambda r: (not _is_manifest(r), r)):
        with contextlib.suppress(FileNotFoundError):
            fs.rm_file(f"{base}/{rel}")
        state.pop(rel)
        result.removed += 1
    result.kept = len(local) - len(changed)
    _save_state(root, state)
    return result


@contextlib.contextmanager
def working_copies(settings: Any, *, lake: bool = True, reports: bool = True,  # noqa: ANN401
                   inbox: bool = True, reference: bool = True) -> Iterator[Any]:
    """`settings` with each remote location replaced by its local working copy, pulled first;
    the lake and the reports pushed back at the end (also after a failure: what the run
    committed locally is consistent, the manifests say what is published). Local settings
    come back as they are."""
    remote = {name: getattr(settings, name) for name, wanted in
              (("lake", lake), ("reports", reports), ("inbox", inbox), ("reference", reference))
              if wanted and is_remote(getattr(settings, name))}
    if not remote:
        yield settings
        return
    local = {}
    for name, url in remote.items():
        root = working_copy(settings.state, url)
        done = pull(url, root, delete=True)
        log.info("%s: %s pulled to %s (%d copied, %d kept, %d removed)", name, location(url), root,
                 done.copied, done.kept, done.removed)
        local[name] = root
        ORIGINS[root] = location(url)
    try:
        yield settings.model_copy(update=local)
    finally:
        for name in ("lake", "reports"):
            if name in local:
                done = push(local[name], remote[name])
                log.info("%s: pushed to %s (%d copied, %d removed)", name, location(remote[name]),
                         done.copied, done.removed)


def publish(settings: Any) -> None:  # noqa: ANN401
    """Push the lake's and the reports' working copies now (after each night of a backfill)."""
    for name in ("lake", "reports"):
        root = Path(getattr(settings, name)).resolve()
        if root in ORIGINS:
            done = push(root, ORIGINS[root])
            log.info("%s: pushed to %s (%d copied, %d removed)", name, ORIGINS[root], done.copied, done.removed)


def manifest_outputs(manifests: Iterable[dict]) -> set[str]:
    """The lake-relative objects the manifests name (the published event and quarantine files)."""
    return {output for entry in manifests for output in entry.get("outputs", [])}


def lock_name(url: str | os.PathLike) -> str:
    """The Prefect global concurrency limit that serves as the lock of the lake at `url`."""
    import re

    return "vigie-lake-" + re.sub(r"[^A-Za-z0-9]+", "-", location(url).split("://", 1)[-1]).strip("-")


@contextlib.contextmanager
def global_lock(url: str | os.PathLike, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lake's lock across machines: a Prefect global concurrency limit of 1 named after
    the lake (created on first use), when a Prefect server is configured (PREFECT_API_URL).

    Without one, a remote lake has no lock across machines: each machine's working copy has
    its fcntl lock, and running one writer at a time is the scheduler's job (one deployment).
    """
    from transforms.lake.lock import LakeBusyError

    if not os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.concurrency.sync import concurrency
    from prefect.exceptions import ObjectNotFound

    name = lock_name(url)
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with contextlib.suppress(Exception):  # another machine created it meanwhile
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    held = concurrency(name, occupy=1, timeout_seconds=max(wait_seconds, 2.0), strict=True)
    try:
        held.__enter__()
    except TimeoutError as exc:  # prefect's AcquireConcurrencySlotTimeoutError is a TimeoutError
        raise LakeBusyError(f"the lake {location(url)} is in use by another Vigie run (Prefect concurrency "
                            f"limit {name}); wait for it to finish and run again") from exc
    try:
        yield
    finally:
        held.__exit__(None, None, None)


@contextlib.contextmanager
def writer(settings: Any, wait_seconds: float = 0.0, **which: bool) -> Iterator[Any]:  # noqa: ANN401
    """What a writing run holds: the lake's global lock (a remote lake) and the working copies
    of its remote locations (`working_copies`); a local setup comes back unchanged."""
    if not is_remote(settings.lake):
        with working_copies(settings, **which) as local:
            yield local
        return
    with global_lock(settings.lake, wait_seconds), working_copies(settings, **which) as local:
        yield local
