"""Vigie beyond one machine, against real servers on loopback (`make test-cluster`): a SeaweedFS
S3 store, a Prefect server, a Dask scheduler and two worker processes that get credentials and
the pseudonym key from their own environment.

- `vigie backfill` over sample_logs/ with the inbox, the reference data, the lake and the
  reports on s3://, ingest spread over the workers: the lake's rows, the findings, the
  incidents and the reports equal those of a plain local run;
- the analysts' read-only identity: `vigie query` reads the s3:// lake, and a write is
  refused by the store itself;
- a worker killed mid-ingest: the run fails or finishes, and a re-run converges to the same lake.

Every process is started here and stopped by its pid (tests/cluster/services.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from services import READER, S3Server, dask_cluster, free_port, seaweedfs, stop  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "sample_logs"
KEY = "cluster-test-pseudonym-key-0123456789"
FIRST, LAST = "2025-11-17", "2025-11-30"
SHORT_LAST = "2025-11-21"  # the killed-worker scenario: five nights
TABLES = ("auth_events", "app_events", "quarantine", "findings", "account_daily", "suppressed",
          "incident_versions", "incident_exposed", "incident_members", "ingest_manifest", "incidents")


def _base_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIE_", "AWS_"))}
    env.update({"VIGIE_CONFIG": str(root / "absent.toml"), "VIGIE_PSEUDONYM_KEY": KEY,
                "VIGIE_DUCKDB_MEMORY_LIMIT": "1GB", "VIGIE_DUCKDB_THREADS": "1", "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
                "PREFECT_HOME": str(root / "prefect-home")})
    return env


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[S3Server, str, Path]]:
    """The store (with sample_logs' inbox and reference uploaded) and a Prefect server."""
    root = tmp_path_factory.mktemp("cluster")
    with seaweedfs(root / "seaweedfs") as s3:
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        env = {**_base_env(root), "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{root / 'prefect.db'}"}
        server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                                   str(port)], env=env, cwd=root, stdout=open(root / "server.log", "w"),  # noqa: SIM115
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None, (root / "server.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the Prefect server did not start"
                time.sleep(0.5)
            fs = _fs(s3)
            for folder in ("inbox", "reference"):
                for path in sorted((SAMPLE / folder).rglob("*")):
                    if path.is_file():
                        fs.put_file(str(path), f"vigie/{folder}/{path.relative_to(SAMPLE / folder).as_posix()}")
            yield s3, api, root
        finally:
            stop(server)


def _fs(s3: S3Server, identity: tuple[str, str] | None = None):  # noqa: ANN202
    import s3fs

    env = s3.env(identity) if identity else s3.env()
    return s3fs.S3FileSystem(key=env["AWS_ACCESS_KEY_ID"], secret=env["AWS_SECRET_ACCESS_KEY"],
                             skip_instance_cache=True, use_listings_cache=False,
                             client_kwargs={"endpoint_url": s3.endpoint, "region_name": env["AWS_DEFAULT_REGION"]})


def _s3_env(s3: S3Server, api: str, root: Path, lake: str, reports: str, name: str) -> dict[str, str]:
    return {**_base_env(root), **s3.env(), "PREFECT_API_URL": api,
            "VIGIE_INBOX": "s3://vigie/inbox", "VIGIE_REFERENCE": "s3://vigie/reference",
            "VIGIE_LAKE": lake, "VIGIE_REPORTS": reports, "VIGIE_STATE": str(root / f"state-{name}")}


def _worker_env(s3: S3Server, api: str, root: Path, lake: str) -> dict[str, str]:
    """What a remote worker machine is given: its own credentials, the key, the lake's URL."""
    return {**s3.env(), "VIGIE_PSEUDONYM_KEY": KEY, "VIGIE_LAKE": lake, "VIGIE_REFERENCE": "s3://vigie/reference",
            "VIGIE_STATE": str(root / f"worker-state-{free_port()}"), "VIGIE_DUCKDB_THREADS": "1",
            "VIGIE_DUCKDB_MEMORY_LIMIT": "1GB", "VIGIE_CONFIG": str(root / "absent.toml"),
            "PREFECT_API_URL": api, "PREFECT_HOME": str(root / "prefect-home"), "DO_NOT_TRACK": "1",
            "PYTHONPATH": str(ROOT)}


def _vigie(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "vigie"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def _local(root: Path, last: str) -> Path:
    """The same backfill, plain and local: the reference."""
    env = {**_base_env(root), "VIGIE_INBOX": str(SAMPLE / "inbox"), "VIGIE_REFERENCE": str(SAMPLE / "reference"),
           "VIGIE_LAKE": str(root / "lake"), "VIGIE_REPORTS": str(root / "reports"),
           "VIGIE_STATE": str(root / "state")}
    done = _vigie(env, "backfill", "--from", FIRST, "--to", last)
    assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def local_run(services: tuple[S3Server, str, Path]) -> Path:
    return _local(services[2] / "local", LAST)


def _tables(lake: str | Path, env: dict[str, str] | None = None) -> dict[str, list[tuple]]:
    from transforms.lake.duck import connect

    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        conn = connect(lake)
        found = {}
        for table in TABLES:
            found[table] = conn.execute(f"select * from {table} order by all").fetchall()
        conn.close()
        return found
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _reports(local: Path, s3: S3Server, prefix: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    fs = _fs(s3)
    remote = {name[len(f"vigie/{prefix}/"):]: fs.cat_file(name) for name in fs.find(f"vigie/{prefix}")}
    here = {p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()
            and not p.relative_to(local).as_posix().startswith(".")}
    return here, remote


def _assert_same(local: Path, s3: S3Server, lake: str, reports: str) -> None:
    expected = _tables(local / "lake")
    got = _tables(f"s3://vigie/{lake}", s3.env())
    for table in TABLES:
        assert len(got[table]) == len(expected[table]), table
        assert got[table] == expected[table], table
    assert len(expected["app_events"]) > 40_000 and expected["findings"] and expected["incidents"]
    here, remote = _reports(local / "reports", s3, reports)
    assert sorted(here) == sorted(remote)
    for files in (here, remote):  # run.json without its timings (tests/test_crash_nightly.py)
        for name in [n for n in files if n.endswith("run.json")]:
            data = json.loads(files[name])
            data.pop("run", None)
            files[name] = json.dumps(data, sort_keys=True).encode()
    different = [name for name in here if here[name] != remote[name]]
    assert not different, different[:5]


def test_backfill_on_s3_with_dask_equals_a_local_run(services, local_run: Path):
    s3, api, root = services
    lake = "s3://vigie/lake"
    with dask_cluster(root / "dask-1", 2, _worker_env(s3, api, root, lake)) as cluster:
        env = {**_s3_env(s3, api, root, lake, "s3://vigie/reports", "one"), "VIGIE_DASK_ADDRESS": cluster.address}
        started = time.monotonic()
        done = _vigie(env, "backfill", "--from", FIRST, "--to", LAST)
        print(f"s3 + dask backfill: {time.monotonic() - started:.1f} s")
        assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
        logs = "".join((root / "dask-1" / f"worker-{i}.log").read_text() for i in range(2))
    # one task per file ran on the cluster (Prefect's record of them), the key and secrets nowhere
    staged = httpx.post(f"{api}/task_runs/filter", json={"task_runs": {"name": {"like_": "stage "}}, "limit": 200},
                        timeout=10).json()
    assert len({run["name"] for run in staged}) == len(list((SAMPLE / "inbox").glob("*.jsonl.gz"))), staged[:2]
    assert all(KEY not in str(run.get("parameters")) for run in staged)
    assert KEY not in logs and s3.env()["AWS_SECRET_ACCESS_KEY"] not in done.stdout + done.stderr
    _assert_same(local_run, s3, "lake", "reports")
    # nothing staged is left behind
    assert not [name for name in _fs(s3).find("vigie/lake/.staging") if name.endswith(".parquet")]


def test_analysts_read_the_s3_lake_read_only(services, local_run: Path):
    s3, api, root = services
    env = {**_base_env(root), **s3.env(READER), "VIGIE_LAKE": "s3://vigie/lake",
           "VIGIE_STATE": str(root / "state-analyst")}
    if not _fs(s3).exists("vigie/lake/_manifest"):
        pytest.skip("needs the s3 backfill of the test above")
    shown = _vigie(env, "query", "select count(*) as n from app_events", "--format", "csv")
    assert shown.returncode == 0, shown.stderr[-2000:]
    expected = len(_tables(local_run / "lake")["app_events"])
    assert str(expected) in shown.stdout
    # the store itself refuses the analysts' identity a write
    with pytest.raises(PermissionError):
        _fs(s3, READER).pipe_file("vigie/lake/findings/evil.parquet", b"not parquet")
    # and so does a Vigie command that writes (a suppression), through the same identity
    refused = _vigie(env, "suppress", "account", "x", "--until", "2025-12-31", "--reason", "test")
    assert refused.returncode != 0
    assert "Access Denied" in refused.stdout + refused.stderr or "PermissionError" in refused.stdout + refused.stderr
    assert not _fs(s3).exists("vigie/lake/suppressions")


def test_a_worker_killed_mid_ingest_then_the_rerun_converges(services):
    s3, api, root = services
    local_run = _local(root / "local-short", SHORT_LAST)
    lake = "s3://vigie/lake-killed"
    with dask_cluster(root / "dask-2", 2, _worker_env(s3, api, root, lake)) as cluster:
        env = {**_s3_env(s3, api, root, lake, "s3://vigie/reports-killed", "two"),
               "VIGIE_DASK_ADDRESS": cluster.address}
        run = subprocess.Popen([str(BIN / "vigie"), "backfill", "--from", FIRST, "--to", SHORT_LAST], env=env,
                               cwd=ROOT,
                               stdout=open(root / "killed-run.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                               start_new_session=True)
        try:
            fs = _fs(s3)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and run.poll() is None:
                if fs.exists("vigie/lake-killed/_manifest") and any(
                        "event_date=2025-11-19" in f for f in fs.find("vigie/lake-killed/.staging")):
                    break
                time.sleep(0.2)
            assert run.poll() is None, "the run ended before a worker could be killed"
            cluster.kill_worker(0)
            run.wait(240)
        finally:
            stop(run)
        print(f"run with a killed worker: exit {run.returncode}")
        again = _vigie(env, "backfill", "--from", FIRST, "--to", SHORT_LAST)
        assert again.returncode in (0, 3), again.stdout[-3000:] + again.stderr[-3000:]
    _assert_same(local_run, s3, "lake-killed", "reports-killed")
    shutil.rmtree(root / "state-two", ignore_errors=True)


def test_the_lake_lock_holds_across_machines_through_prefect(services):
    """A second writer of the same s3:// lake (another machine: only the Prefect server is shared)
    is refused while the first holds the lake's global concurrency limit."""
    s3, api, root = services
    lake = "s3://vigie/lake-locked"
    env = {**_s3_env(s3, api, root, lake, "s3://vigie/reports-locked", "locked"),
           "VIGIE_REFERENCE": str(SAMPLE / "reference")}
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom transforms import storage\n"
         f"with storage.global_lock({lake!r}, 30):\n    print('held', flush=True)\n    time.sleep(120)\n"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = _vigie(env, "ingest", str(SAMPLE / "inbox" / "app-2025-11-17.jsonl.gz"))
        assert refused.returncode != 0
        assert "in use by another Vigie run" in refused.stdout + refused.stderr, refused.stdout[-2000:]
        assert not _fs(s3).exists("vigie/lake-locked/_manifest")
    finally:  # Ctrl-C: the holder leaves its `with` and gives the slot back (a killed one holds it
        # until its Prefect lease expires, 300 s)
        os.killpg(holder.pid, signal.SIGINT)
        try:
            holder.wait(20)
        finally:
            stop(holder)
    done = _vigie(env, "ingest", str(SAMPLE / "inbox" / "app-2025-11-17.jsonl.gz"))  # the lock was given back
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert _fs(s3).find("vigie/lake-locked/_manifest")
