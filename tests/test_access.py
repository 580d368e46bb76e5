"""Safe analyst access: the workbench cannot write, cannot read outside the lake, binds hunting
parameters, and no value from the data can name a path outside the report folder.

test_workbench.py checks the plain refusals (COPY, ATTACH, INSTALL, SET); these are the
ways around them: statements wrapped in EXPLAIN ANALYZE or PREPARE, PRAGMAs that run SQL,
secrets, file functions, injected parameters and hostile incident ids.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from transforms.workbench.hunts import run_hunt
from transforms.workbench.query import SHELL_STATEMENTS, ReadOnlyError, open_lake, run


@pytest.fixture(scope="module")
def root(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's simulated world after its nightly runs: raw inbox, lake, reports."""
    root = world.copy(tmp_path_factory.mktemp("access") / "deployment").root
    shutil.copytree(world.inbox, root / "inbox")
    return root


@pytest.fixture(scope="module")
def victim(world) -> str:
    """The infostealer's account: the real rules found it."""
    return world.accounts("infostealer_mass_extraction")[0]


@pytest.fixture(scope="module")
def conn(root: Path):
    connection = open_lake(root / "lake", "1GB")
    yield connection
    connection.close()


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def writes(target: Path) -> list[str]:
    t = str(target).replace("'", "''")
    return [
        f"copy (select * from app_events) to '{t}'",
        f"explain analyze copy (select 42) to '{t}'",
        f"explain (format json) analyze copy (select 42) to '{t}'",
        f"EXPLAIN   ANALYSE copy (select 42) to '{t}'",
        f"explain copy (select 42) to '{t}'",
        f"prepare p as copy (select 42) to '{t}'",
        f"create table x as select 1; copy x to '{t}'",
        f"export database '{t}'",
        f"pragma import_database('{t}')",
        "pragma enable_profiling",
        f"pragma profiling_output = '{t}'",
        f"attach '{t}' as other",
        "install httpfs",
        "load httpfs",
        "set memory_limit = '10GB'",
        "reset memory_limit",
        "create persistent secret leak (type http)",
        "create or replace secret leak (type http)",
        "checkpoint",
        "call pragma_version()",
        "vacuum",
    ]


@pytest.mark.parametrize("kind", ["query", "shell"])
def test_no_statement_writes_a_file_or_changes_a_setting(root: Path, conn, kind: str):
    target = root / "out" / "leak.csv"
    target.parent.mkdir(exist_ok=True)
    allowed = SHELL_STATEMENTS if kind == "shell" else None
    before = tree(root)
    for sql in writes(target) + writes(root / "lake" / "inside.csv"):
        with pytest.raises((ReadOnlyError, duckdb.Error)):  # refused before it runs, or by DuckDB
            run(conn, sql, allowed=allowed) if allowed else run(conn, sql)
    assert tree(root) == before
    assert conn.sql("select current_setting('memory_limit')").fetchall()[0][0] != "10.0 GiB"


def test_refusals_name_what_was_refused(conn, tmp_path: Path):
    for sql, word in ((f"explain analyze copy (select 1) to '{tmp_path}/x.csv'", "COPY"),
                      (f"pragma import_database('{tmp_path}')", "PRAGMA import_database"),
                      ("create secret s (type http)", "CREATE SECRET")):
        with pytest.raises(ReadOnlyError, match=f"{word} statements are not allowed here"):
            run(conn, sql, allowed=SHELL_STATEMENTS)


def test_reading_still_works(conn):
    assert run(conn, "explain analyze select count(*) from app_events") is not None
    assert run(conn, "pragma table_info('app_events')").num_rows > 5
    assert run(conn, "select count(*) as n from app_activity").to_pylist()[0]["n"] > 0
    shell_table = run(conn, "create table mine as select 1 as x; select * from mine", allowed=SHELL_STATEMENTS)
    assert shell_table.to_pylist() == [{"x": 1}]  # the shell's own tables live in memory


def test_files_outside_the_lake_cannot_be_read(root: Path, conn):
    """Raw logs (clear identifiers) and the key file are out of reach of the workbench's SQL."""
    key = root / "key.txt"
    key.write_text("secret")
    inbox_file = next((root / "inbox").glob("app-*.jsonl.gz"))
    for path in (key, inbox_file, root / "lake" / ".." / "inbox" / inbox_file.name, Path("/etc/passwd")):
        for function in ("read_text", "read_csv", "read_json_auto", "read_blob"):
            with pytest.raises(duckdb.Error, match="Permission|disabled"):
                run(conn, f"select * from {function}('{path}')")


@pytest.mark.parametrize("value", [
    "x' or '1'='1",
    "x'; copy (select 1) to '/tmp/vigie-injected.csv'; --",
    "{victim}' union select * from app_events --",
    "$user_id",
])
def test_hunting_parameters_are_bound(conn, victim: str, value: str):
    result = run_hunt(conn, "account_findings", {"user_id": value.format(victim=victim)})
    assert result.num_rows == 0  # a literal that matches no account, not SQL
    assert not Path("/tmp/vigie-injected.csv").exists()
    assert run_hunt(conn, "account_findings", {"user_id": victim}).num_rows > 0


def test_query_parameters_are_bound(conn):
    result = run(conn, "select $v as v", {"v": "1; drop view app_events"})
    assert result.to_pylist() == [{"v": "1; drop view app_events"}]
    assert run(conn, "select count(*) as n from app_events").to_pylist()[0]["n"] > 0


def test_cli_refuses_a_wrapped_write(root: Path, monkeypatch: pytest.MonkeyPatch):
    from flows.cli import app

    monkeypatch.setenv("VIGIE_CONFIG", str(root / "absent.toml"))
    monkeypatch.setenv("VIGIE_LAKE", str(root / "lake"))
    target = root / "cli-leak.csv"
    result = CliRunner().invoke(app, ["query", f"explain analyze copy (select 1) to '{target}'"])
    assert result.exit_code == 2 and "COPY statements are not allowed" in result.output
    assert not target.exists()


def test_a_hostile_incident_id_cannot_name_a_file_outside_the_report(world, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    """Report file names come from data (incident ids): made safe, they stay in exposed/."""
    import transforms.report as report

    real_collect = report.collect

    def hostile(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        data = real_collect(*args, **kwargs)
        renamed = {}
        for n, (uid, rows) in enumerate(data["exposed"].items()):
            bad = ["../../../escaped", "/tmp/vigie-abs", ".hidden"][n % 3]
            renamed[bad] = rows
            for inc in data["incidents"]:
                if inc["incident_uid"] == uid:
                    inc["incident_uid"] = bad
        data["exposed"] = renamed
        return data

    monkeypatch.setattr(report, "collect", hostile)
    reports = tmp_path / "reports"
    day = world.days[-1]
    result = report.write_report(world.lake, reports, day, "en")
    assert result.incidents >= 3  # one of each hostile name
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.is_relative_to(reports / str(day)) for p in written)
    assert not Path("/tmp/vigie-abs.csv").exists() and not (tmp_path / "escaped.csv").exists()
    names = {p.name for p in (reports / str(day) / "exposed").iterdir()}
    assert "escaped.csv" in names
    assert "exposed/escaped.csv" in (reports / str(day) / "report.md").read_text()
