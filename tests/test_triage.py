"""Triage that lasts: decisions and suppressions in the lake, through re-runs, re-links and growth.

A four-day world with the real rules: the victim's account is used by a script on days 2 and
4 (one incident that grows), a colleague's on days 3 and 4 (held back by a suppression that
expires after day 3, so a new incident on day 4).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from typer.testing import CliRunner
from vigie_testing import FIXTURES, TEST_KEY
from world_for_reports import ATTACKER_IP, COLLEAGUE, SCRIPT, VICTIM, _event, app_lines

from transforms.detect import run_day, run_days
from transforms.ingest.enrich import load_reference
from transforms.ingest.run import IngestOptions, ingest_files
from transforms.lake.duck import connect
from transforms.report import write_report
from transforms.workbench import triage

DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(4)]
OTHER_IP = "198.51.100.77"


def _attack(day: date, user: str, ip: str, first_ben: int) -> list[dict]:
    base = datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(minutes=30 if user == COLLEAGUE else 0)
    session = f"s-{day:%m%d}-{user[-3:]}-x"
    return [_event(base + timedelta(seconds=10 * i), 5000 + i, user, session, ip, SCRIPT, "BENEFICIARY_RECORD_VIEW",
                   beneficiary_id=f"BEN{first_ben + i:05d}X", record_type="IDENTITE", contains_nir=i % 4 == 0,
                   in_portfolio=False) for i in range(120)]


def _lines(day: date) -> list[dict]:
    lines = app_lines(day, attack=False)
    if day in (DAYS[1], DAYS[3]):
        lines += _attack(day, VICTIM, ATTACKER_IP, 1000 if day == DAYS[1] else 2000)
    if day in (DAYS[2], DAYS[3]):
        lines += _attack(day, COLLEAGUE, OTHER_IP, 3000 if day == DAYS[2] else 4000)
    return sorted(lines, key=lambda e: e["ts"])


def _ingest(root: Path, lake: Path, day: date) -> None:
    path = root / "inbox" / f"app-{day}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in _lines(day)), encoding="utf-8")
    ingest_files([path], IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                                       memory_limit="1GB"))


def _cli(lake: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    from flows.cli import app

    monkeypatch.setenv("VIGIE_LAKE", str(lake))
    monkeypatch.setenv("VIGIE_CONFIG", str(lake.parent / "absent.toml"))
    monkeypatch.setenv("VIGIE_ANALYST", "alice")
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _incident_of(lake: Path, user: str) -> dict:
    conn = connect(lake)
    try:
        rows = conn.execute("select incident_uid, accounts, sessions, beneficiaries_exposed from incidents "
                            "where list_contains(accounts, $u)", {"u": user}).fetchall()
    finally:
        conn.close()
    assert len(rows) == 1, rows
    return {"incident_uid": rows[0][0], "sessions": rows[0][2], "exposed": rows[0][3]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Days 1-2 ingested and detected; the victim's incident closed; a suppression on the colleague."""
    root = tmp_path_factory.mktemp("triage")
    lake = root / "lake"
    for day in DAYS[:2]:
        _ingest(root, lake, day)
        run_day(lake, day, memory_limit="1GB")
    return {"root": root, "lake": lake, "reports": root / "reports"}


def test_a_decision_survives_a_rerun_and_a_relink(world: dict, monkeypatch: pytest.MonkeyPatch):
    lake = world["lake"]
    incident = _incident_of(lake, VICTIM)
    out = _cli(lake, monkeypatch, "triage", incident["incident_uid"][:12], "--status", "closed",
               "--note", "agent's own test script, confirmed by the manager")
    assert "closed by alice" in out
    run_day(lake, DAYS[1], memory_limit="1GB")  # re-run the night: findings and incidents rewritten
    run_days(lake, DAYS[:2], memory_limit="1GB")  # and re-link everything
    assert _incident_of(lake, VICTIM)["incident_uid"] == incident["incident_uid"]
    conn = connect(lake)
    try:
        state = triage.triage_state(conn, DAYS[1], [{"incident_uid": incident["incident_uid"], "accounts": [VICTIM],
                                                    "sessions": incident["sessions"],
                                                    "beneficiaries_exposed": incident["exposed"]}])
    finally:
        conn.close()
    assert state[incident["incident_uid"]]["status"] == "closed"
    assert state[incident["incident_uid"]]["analyst"] == "alice"
    folder = Path(write_report(lake, world["reports"], DAYS[1]).folder)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    triaged = markdown.split("## Pris en charge ou clos", 1)[1]
    assert incident["incident_uid"] in triaged and "clos par alice" in triaged
    assert "**Incidents qui ont grandi (0)**" in markdown and "**Nouveaux incidents (0)**" in markdown
    listed = _cli(lake, monkeypatch, "triage", "--list")
    assert incident["incident_uid"][:12] in listed


def test_a_suppression_holds_findings_back_until_it_expires(world: dict, monkeypatch: pytest.MonkeyPatch):
    lake = world["lake"]
    _cli(lake, monkeypatch, "suppress", "account", COLLEAGUE, "--until", str(DAYS[2]),
         "--reason", "data-quality campaign, ticket 4242")
    _ingest(world["root"], lake, DAYS[2])
    run_day(lake, DAYS[2], memory_limit="1GB")
    conn = connect(lake)
    try:
        held = conn.execute("select event_date, count(*) from suppressed group by 1").fetchall()
        on_day3 = conn.execute("select count(*) from findings where event_date = $d and user_id = $u",
                               {"d": DAYS[2], "u": COLLEAGUE}).fetchone()[0]
    finally:
        conn.close()
    assert on_day3 == 0 and held and held[0][0] == DAYS[2]
    folder = Path(write_report(lake, world["reports"], DAYS[2]).folder)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## Suppressions en vigueur", 1)[1]
    assert COLLEAGUE in section and "ticket 4242" in section and "alice" in section

    _ingest(world["root"], lake, DAYS[3])  # the day after the expiry: it no longer applies
    run_day(lake, DAYS[3], memory_limit="1GB")
    conn = connect(lake)
    try:
        on_day4 = conn.execute("select count(*) from findings where event_date = $d and user_id = $u",
                               {"d": DAYS[3], "u": COLLEAGUE}).fetchone()[0]
        held4 = conn.execute("select count(*) from suppressed where event_date = $d", {"d": DAYS[3]}).fetchone()[0]
    finally:
        conn.close()
    assert on_day4 >= 1 and held4 == 0


def test_a_closed_incident_that_grows_reopens_and_the_report_opens_with_what_changed(world: dict):
    lake = world["lake"]  # day 4 ran in the previous test: the victim's account is used again
    victim = _incident_of(lake, VICTIM)["incident_uid"]
    colleague = _incident_of(lake, COLLEAGUE)["incident_uid"]
    folder = Path(write_report(lake, world["reports"], DAYS[3]).folder)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    changes = markdown.split("## Ce qui a changé depuis la nuit dernière", 1)[1].split("\n## ", 1)[0]
    new = changes.index("**Nouveaux incidents (1)**")
    grown = changes.index("**Incidents qui ont grandi (1)**")
    still = changes.index("**Toujours ouverts (0)**")
    assert new < changes.index(colleague) < grown < changes.index(victim) < still
    assert "rouvert" in changes.split(victim, 1)[1].split("\n", 1)[0]
    # the incidents' stories follow in the same order, the triaged list (now empty) is gone
    assert markdown.index(colleague, markdown.index(changes) + len(changes)) < \
        markdown.index(victim, markdown.index(changes) + len(changes))
    assert "## Pris en charge ou clos" not in markdown
    incidents = json.loads((folder / "incidents.json").read_text(encoding="utf-8"))["incidents"]
    by_uid = {i["incident_uid"]: i for i in incidents}
    assert by_uid[victim]["triage"]["status"] == "reopened" and by_uid[victim]["triage"]["decided_status"] == "closed"
    assert by_uid[colleague]["change"] == "new"


def test_until_lapses_and_the_shell_records_a_decision(world: dict):
    from transforms.workbench.query import open_lake
    from transforms.workbench.shell import shell

    lake = world["lake"]
    colleague = _incident_of(lake, COLLEAGUE)["incident_uid"]
    conn = open_lake(lake)
    lines = iter([f".triage {colleague} acknowledged looking into it with the manager", ".quit"])
    out = StringIO()
    shell(conn, read=lambda _prompt: next(lines), out=out, lake=lake)
    assert f"{colleague}: acknowledged by" in out.getvalue()
    conn = connect(lake)
    try:
        triage.record_decision(conn, lake, colleague, "acknowledged", "until the 3rd only", by="bob",
                               until=DAYS[2])
        incident = _incident_of(lake, COLLEAGUE)
        state = triage.triage_state(conn, DAYS[3], [{"incident_uid": colleague, "accounts": [COLLEAGUE],
                                                     "sessions": incident["sessions"],
                                                     "beneficiaries_exposed": incident["exposed"]}])
    finally:
        conn.close()
    assert state[colleague]["status"] == "open" and state[colleague]["analyst"] == "bob"
    with pytest.raises(triage.TriageError):
        triage.add_suppression(lake, "network", "not-a-network", "x", DAYS[3])
