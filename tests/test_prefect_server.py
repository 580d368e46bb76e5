"""A real Prefect server on loopback: `vigie serve` registers the nightly deployment, a run is
triggered, completes, and publishes its report artifact. Slow (a server and a runner start):
`make test-prefect` runs it, and `.ci/run` calls that target."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from world_for_reports import write_inbox

pytestmark = [pytest.mark.prefect_server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DAY = date(2025, 7, 3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(api: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("prefect server did not become healthy")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_serve_registers_the_nightly_deployment_and_a_run_publishes_its_report(tmp_path: Path):
    from vigie_testing import FIXTURES

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIE_"))}
    env.update({
        "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PYTHONPATH": str(ROOT),
        "VIGIE_CONFIG": str(tmp_path / "absent.toml"), "VIGIE_INBOX": str(tmp_path / "inbox"),
        "VIGIE_LAKE": str(tmp_path / "lake"), "VIGIE_REPORTS": str(tmp_path / "reports"),
        "VIGIE_REFERENCE": str(FIXTURES / "reference"), "VIGIE_PSEUDONYM_KEY": "server-test-key-0123456789",
        "VIGIE_DUCKDB_MEMORY_LIMIT": "1GB",
    })
    write_inbox(tmp_path / "inbox", [DAY - timedelta(days=1), DAY], DAY)
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    runner = None
    try:
        _wait_healthy(api, server)
        env["PREFECT_API_URL"] = api
        runner_log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
        runner = subprocess.Popen([str(BIN / "vigie"), "serve", "--cron", "30 2 * * *"], env=env, cwd=ROOT,
                                  stdout=runner_log, stderr=subprocess.STDOUT, start_new_session=True)
        deployment = None
        deadline = time.monotonic() + 90
        while deployment is None and time.monotonic() < deadline:
            found = httpx.post(f"{api}/deployments/filter", json={"limit": 10, "offset": 0}, timeout=5).json()
            deployment = next((d for d in found if d["name"] == "vigie-nightly"), None)
            time.sleep(1)
        assert deployment is not None, (tmp_path / "serve.log").read_text()
        [schedule] = deployment["schedules"]
        assert schedule["schedule"]["cron"] == "30 2 * * *"
        assert schedule["schedule"]["timezone"] == "Europe/Paris"

        run = subprocess.run([str(BIN / "prefect"), "deployment", "run", "vigie-nightly/vigie-nightly",
                              "--param", f"day={DAY}", "--watch", "--watch-timeout", "240"],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr + (tmp_path / "serve.log").read_text()
        runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 5, "offset": 0,
                          "sort": "START_TIME_DESC"}, timeout=5).json()
        assert runs[0]["state"]["type"] == "COMPLETED"
        artifacts = httpx.post(f"{api}/artifacts/filter", json={
            "artifacts": {"key": {"any_": [f"vigie-report-{DAY}"]}}, "limit": 5, "offset": 0,
            "sort": "CREATED_DESC"}, timeout=5).json()
        assert artifacts and "240" in artifacts[0]["data"]
        assert (tmp_path / "reports" / str(DAY) / "report.html").exists()
    finally:
        if runner is not None:
            _stop(runner)
        _stop(server)
        shutil.rmtree(tmp_path / "prefect", ignore_errors=True)
