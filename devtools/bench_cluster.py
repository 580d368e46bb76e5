"""Ingest of one big day through `vigie ingest`: in process, and on a Dask cluster of 1 and 2
worker processes, into a local lake and into an s3:// lake on a real SeaweedFS store, all on
loopback (docs/performance.md, "Beyond one machine").

    .venv/bin/python devtools/bench_cluster.py WORLD_INBOX_FOLDER DAY [--runs local,s3] [--workers 1,2]

WORLD_INBOX_FOLDER: a `vigie bench --keep` world's inbox (setup/world/inbox); DAY: the day
whose files are ingested. Each run starts from an empty lake; the reference data is empty
(as in the cluster test's workers, no GeoLite2) so only Vigie's own work is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
from services import dask_cluster, free_port, seaweedfs, stop  # noqa: E402

BIN = Path(sys.executable).parent
KEY = "bench-cluster-pseudonym-key-0123456789"


def prefect_server(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env={**env, "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{root}/p.db"},
                            stdout=open(root / "server.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                            start_new_session=True)
    while True:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return proc, api
        except httpx.HTTPError:
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("inbox", type=Path)
    parser.add_argument("day")
    parser.add_argument("--runs", default="local,s3")
    parser.add_argument("--workers", default="0,1,2")
    args = parser.parse_args()
    files = sorted(str(p) for p in args.inbox.glob(f"*{args.day}*"))
    size = sum(Path(f).stat().st_size for f in files)
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-cluster-"))
    (root / "reference").mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIE_", "AWS_"))}
    base.update({"VIGIE_CONFIG": str(root / "absent.toml"), "VIGIE_PSEUDONYM_KEY": KEY, "DO_NOT_TRACK": "1",
                 "VIGIE_REFERENCE": str(root / "reference"), "PREFECT_HOME": str(root / "prefect-home"),
                 "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"})
    results = []
    server = None
    try:
        with seaweedfs(root / "s3") as s3:
            server, api = prefect_server(root, base)
            # interleaved (local then s3 for each worker count): the machine's load drifts less between
            # the two runs compared
            for workers in (int(w) for w in args.workers.split(",")):
                for where in args.runs.split(","):
                    tag = f"{where}-{workers}"
                    lake = f"s3://vigie/{tag}" if where == "s3" else str(root / tag)
                    env = {**base, **(s3.env() if where == "s3" else {}), "VIGIE_LAKE": lake,
                           "VIGIE_STATE": str(root / f"state-{tag}")}
                    worker_env = {**env, "PREFECT_API_URL": api, "VIGIE_DUCKDB_THREADS": "1",
                                  "PYTHONPATH": str(ROOT)}
                    started = time.monotonic()
                    if workers == 0:  # the plain driver, DuckDB on both cores
                        done = subprocess.run([str(BIN / "vigie"), "ingest", *files], env=env, capture_output=True,
                                              text=True)
                    else:
                        with dask_cluster(root / f"dask-{tag}", workers, worker_env) as cluster:
                            started = time.monotonic()
                            done = subprocess.run([str(BIN / "vigie"), "ingest", *files], capture_output=True,
                                                  text=True, env={**env, "PREFECT_API_URL": api,
                                                                  "VIGIE_DASK_ADDRESS": cluster.address})
                    seconds = time.monotonic() - started
                    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
                    results.append({"lake": where, "workers": workers, "seconds": round(seconds, 1),
                                    "input_mb": round(size / 2**20), "loadavg_1m": os.getloadavg()[0]})
                    print(json.dumps(results[-1]), flush=True)
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
