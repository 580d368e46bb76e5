"""The analyst's workbench: read-only queries, formats, the shell and the stock CLI init file."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from transforms.workbench.output import write_result
from transforms.workbench.query import ReadOnlyError, init_file_text, open_lake, run
from transforms.workbench.shell import shell


@pytest.fixture(scope="module")
def lake(world) -> Path:
    """The session's simulated world after the real nightly run (tests/worlds.py)."""
    return world.lake


@pytest.fixture(scope="module")
def attacker(world) -> dict:
    """The infostealer's account and address, and how many app lines that address sent (raw inbox)."""
    label = world.attack("infostealer_mass_extraction")
    ip = label["malicious_ips"][0]
    lines = sum(r.get("src_ip") == ip for r in world.raw_rows("app"))
    assert lines > 100
    return {"ip": ip, "lines": lines, "user": label["malicious_accounts"][0]["actor_user_id"]}


@pytest.fixture(scope="module")
def conn(lake: Path):
    connection = open_lake(lake, "1GB")
    yield connection
    connection.close()


def test_every_view_answers(conn):
    for view in ("app_events", "auth_events", "app_activity", "app_sessions", "pc_logins", "pc_sessions",
                 "accounts", "account_creations", "account_daily", "findings", "incidents",
                 "incident_beneficiaries", "quarantine", "ingest_manifest"):
        assert run(conn, f"select count(*) as n from {view}").num_rows == 1


def test_parameters_are_bound_not_pasted(conn, attacker: dict):
    table = run(conn, "select count(*) as n from app_events where src_ip = $ip", {"ip": attacker["ip"]})
    assert table.to_pylist() == [{"n": attacker["lines"]}]
    sneaky = run(conn, "select count(*) as n from app_events where src_ip = $ip", {"ip": "x' or '1'='1"})
    assert sneaky.to_pylist() == [{"n": 0}]


@pytest.mark.parametrize("sql", [
    "copy (select 1) to 'out.csv'",
    "attach 'other.duckdb'",
    "set enable_external_access = true",
    "install httpfs",
    "export database 'dump'",
    "create table x as select 1",
    "select 1; copy (select 1) to 'out.csv'",
])
def test_query_refuses_anything_but_reading(conn, sql: str, tmp_path: Path):
    with pytest.raises(ReadOnlyError):
        run(conn, sql)
    assert not list(tmp_path.iterdir())


def test_configuration_is_locked(conn):
    import duckdb

    with pytest.raises(duckdb.Error):
        conn.execute("set enable_external_access = true")


def test_formats(conn, tmp_path: Path):
    table = run(conn, "select user_id, nets, event_date from account_daily order by all limit 3")
    out = io.StringIO()
    write_result(table, "csv", out)
    assert out.getvalue().splitlines()[0] == '"user_id","nets","event_date"'
    out = io.StringIO()
    write_result(table, "json", out)
    assert json.loads(out.getvalue().splitlines()[0])["user_id"]
    out = io.StringIO()
    write_result(table, "table", out)
    assert "user_id" in out.getvalue() and "(3 rows)" in out.getvalue()
    write_result(table, "parquet", output=tmp_path / "r.parquet")
    assert pq.read_table(tmp_path / "r.parquet").num_rows == 3
    with pytest.raises(ValueError):
        write_result(table, "parquet")


def test_shell_runs_statements_and_refuses_writes(conn, tmp_path: Path):
    lines = iter([".tables", "select count(*) as n", "from findings;", f"copy (select 1) to '{tmp_path}/x.csv';",
                  "create temp table mine as select 41 + 1 as answer;", "select answer from mine;",
                  ".hunts", ".quit"])
    out = io.StringIO()
    shell(conn, read=lambda prompt: next(lines), out=out)
    text = out.getvalue()
    assert "app_activity" in text and "COPY statements are not allowed" in text and "42" in text
    assert "session_activity" in text
    assert not (tmp_path / "x.csv").exists()


def test_init_file_opens_the_same_views_in_the_stock_cli(lake: Path, tmp_path: Path):
    init = tmp_path / "init.sql"
    init.write_text(init_file_text(lake), encoding="utf-8")
    assert str(lake.resolve()) in init.read_text()
    duckdb_cli = shutil.which("duckdb")
    if duckdb_cli is None:  # the stock CLI is not installed here: run the file through Python
        import duckdb

        conn = duckdb.connect()
        statements = [s for s in init.read_text().split(";\n") if s.strip() and not s.lstrip().startswith(".")]
        for statement in statements:
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("."))
            if body.strip():
                conn.execute(body)
        assert conn.execute("select count(*) from app_activity").fetchone()[0] > 0
    else:  # pragma: no cover - depends on the machine
        out = subprocess.run([duckdb_cli, "-init", str(init), "-csv", "-c", "select count(*) from app_activity"],
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip().splitlines()[-1] != "0"


def test_cli_query_and_hunt(lake: Path, attacker: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("VIGIE_LAKE", str(lake))
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    runner = CliRunner()
    result = runner.invoke(app, ["query", "select count(*) as n from app_events where src_ip = $ip",
                                 "--param", f"ip={attacker['ip']}", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"n": attacker["lines"]}
    refused = runner.invoke(app, ["query", f"copy (select 1) to '{tmp_path}/x.csv'"])
    assert refused.exit_code == 2 and not (tmp_path / "x.csv").exists()
    hunt = runner.invoke(app, ["hunt", "ip_activity", "--param", f"ip={attacker['ip']}", "--format", "csv"])
    assert hunt.exit_code == 0 and attacker["user"] in hunt.stdout
    missing = runner.invoke(app, ["hunt", "ip_activity"])
    assert missing.exit_code == 2
    init = runner.invoke(app, ["shell", "--init-file", str(tmp_path / "init.sql")])
    assert init.exit_code == 0 and (tmp_path / "init.sql").exists()


def test_a_year_of_manifests_opens_in_a_small_memory_limit(tmp_path):
    """Two files a day for a year: the manifest view must not hold a buffer per file."""
    from dataclasses import fields

    from transforms.lake import manifest
    from transforms.lake.duck import connect

    for n in range(730):
        manifest.save(tmp_path, manifest.ManifestEntry(
            sha256=f"{n:064x}", source_file=f"app-{n}.jsonl.gz", source_kind="app", size_bytes=n,
            lines_read=n + 1, rows_written=n, rows_quarantined=1, first_event_time=None, last_event_time=None,
            event_dates=["2025-07-05"], replaces_sha256=f"{n - 1:064x}" if n else None))
    conn = connect(tmp_path, "256MB")
    columns = [row[0] for row in conn.sql("describe ingest_manifest").fetchall()]
    assert columns == [f.name for f in fields(manifest.ManifestEntry)]
    assert conn.sql("select count(*), sum(rows_written), count(replaces_sha256) from ingest_manifest").fetchall() == [
        (730, sum(range(730)), 729)]


def _cli_env(lake: Path, tmp_path: Path) -> dict:
    import os

    return {**os.environ, "VIGIE_LAKE": str(lake), "VIGIE_CONFIG": str(tmp_path / "absent.toml")}


def _vigie() -> str:
    import sys

    return str(Path(sys.executable).with_name("vigie"))


def test_duckdb_help_is_shown_whole(lake: Path, tmp_path: Path, conn):
    env = _cli_env(lake, tmp_path)
    for sql, needle in (("select * from incident", 'Did you mean "incidents"?'),
                        ("select incidnt_uid from incidents", "Candidate bindings"),
                        ("selec 1 from incidents", "LINE 1: selec 1 from incidents")):
        done = subprocess.run([_vigie(), "query", sql], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and needle in done.stderr, (sql, done.stderr)
    done = subprocess.run([_vigie(), "query", "selec 1"], env=env, capture_output=True, text=True, timeout=120)
    assert "\n        ^" in done.stderr  # the caret under the error, not wrapped away
    lines = iter(["select * from incident;", ".quit"])
    out = io.StringIO()
    shell(conn, read=lambda prompt: next(lines), out=out)
    assert 'Did you mean "incidents"?' in out.getvalue()


def test_output_to_a_pipe_is_tab_separated_and_never_wraps(lake: Path, tmp_path: Path):
    sql = ("select 'inc-' || repeat('7', 120) as incident_uid, 1234567 as people, "
           "['a', 'b'] as accounts, 'two\twords' as note")
    done = subprocess.run([_vigie(), "query", sql], env=_cli_env(lake, tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["incident_uid\tpeople\taccounts\tnote",
                                        f"inc-{'7' * 120}\t1234567\t[\"a\", \"b\"]\ttwo\\twords"]


def test_a_terminal_table_right_aligns_numbers_with_separators(conn):
    table = run(conn, "select 'OF-1' as account, 1234567 as people, 3 as nir union all "
                      "select 'OF-22', 12, 1 order by people desc")
    out = io.StringIO()
    write_result(table, "table", out)
    rows = [line for line in out.getvalue().splitlines() if "OF-" in line]
    assert "1,234,567" in rows[0]
    # right-aligned: both numbers end in the same column
    assert rows[0].index("1,234,567") + len("1,234,567") == rows[1].index("12") + len("12")


def test_ctrl_c_cancels_the_running_statement_and_the_shell_goes_on(lake: Path, tmp_path: Path):
    import os
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child: the real `vigie shell` on a terminal
        os.environ.update(_cli_env(lake, tmp_path))
        os.execv(_vigie(), ["vigie", "shell"])

    def read_until(needle: bytes, timeout: float = 60) -> bytes:
        buffer, end = b"", time.monotonic() + timeout
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    buffer += os.read(fd, 4096)
                except OSError:
                    break
                if needle in buffer:
                    return buffer
        raise AssertionError(f"{needle!r} not in {buffer!r}")

    try:
        read_until(b"vigie> ")
        os.write(fd, b"select sum(i) from range(100000000000) t(i);\r")
        time.sleep(1.5)
        started = time.monotonic()
        os.write(fd, b"\x03")  # Ctrl-C, as the terminal sends it
        assert b"statement cancelled" in read_until(b"vigie> ")
        assert time.monotonic() - started < 20
        os.write(fd, b"select 41 + 1 as answer;\r")
        assert b"42" in read_until(b"rows)")
        os.write(fd, b".quit\r")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(fd)
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_hunt_titles_are_whole_and_output_files_are_not_overwritten(lake: Path, attacker: dict, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from flows.cli import app
    from transforms.workbench.hunts import hunts

    assert hunts()["account_vs_baseline"].title.endswith("beside the median of its previous days.")
    monkeypatch.setenv("VIGIE_LAKE", str(lake))
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    runner = CliRunner()
    listed = runner.invoke(app, ["hunt"])
    assert "beside the median of its previous days." in " ".join(listed.output.split())
    target = tmp_path / "out.csv"
    target.write_text("precious\n", encoding="utf-8")
    refused = runner.invoke(app, ["query", "select 1 as n", "-o", str(target)])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert target.read_text(encoding="utf-8") == "precious\n"
    refused = runner.invoke(app, ["hunt", "ip_activity", "--param", f"ip={attacker['ip']}", "-o", str(target)])
    assert refused.exit_code == 2 and target.read_text(encoding="utf-8") == "precious\n"
    forced = runner.invoke(app, ["query", "select 1 as n", "-o", str(target), "--force"])
    assert forced.exit_code == 0 and target.read_text(encoding="utf-8").splitlines() == ['"n"', "1"]
