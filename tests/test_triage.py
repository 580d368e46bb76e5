"""Triage that lasts: decisions and suppressions in the lake, through re-runs, re-links and growth.

The session's simulated world (tests/worlds.py) replayed night by night into a fresh deployment
by the real nightly: the low-and-slow reader's incident opens on the first night and grows every
night after (the "victim"); the infostealer's account is first used on the fourth night (the
"colleague", held back by a suppression that expires after that night, so a new incident on the
fifth).
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transforms.detect import run_day, run_days
from transforms.lake.duck import connect
from transforms.report import write_report
from transforms.workbench import triage


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
def world(world, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The first two nights run; the rest of the world's nights come in the tests, one by one."""
    import worlds

    replay = worlds.World(tmp_path_factory.mktemp("triage"), world.world, world.days)
    worlds.run(replay, replay.days[:2])
    victim = replay.accounts("low_and_slow")[0]
    colleague = replay.accounts("infostealer_mass_extraction")[0]
    first = replay.attack("infostealer_mass_extraction")["first_malicious_day"]
    assert replay.attack("low_and_slow")["first_malicious_day"] == str(replay.days[0])
    assert first == str(replay.days[3])  # the colleague's account is first used on the fourth night
    return {"world": replay, "lake": replay.lake, "reports": replay.reports, "days": replay.days,
            "victim": victim, "colleague": colleague}


def _night(world: dict, day) -> None:
    import worlds

    worlds.run(world["world"], [day])


def test_a_decision_survives_a_rerun_and_a_relink(world: dict, monkeypatch: pytest.MonkeyPatch):
    lake, DAYS, VICTIM = world["lake"], world["days"], world["victim"]  # noqa: N806
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
    changes = markdown.split("## Ce qui a changé depuis la nuit dernière", 1)[1]
    changes = changes.split("## Pris en charge ou clos", 1)[0]
    assert incident["incident_uid"] not in changes  # closed: not told again as new or grown
    listed = _cli(lake, monkeypatch, "triage", "--list")
    assert incident["incident_uid"][:12] in listed


def test_a_suppression_holds_findings_back_until_it_expires(world: dict, monkeypatch: pytest.MonkeyPatch):
    lake, DAYS, COLLEAGUE = world["lake"], world["days"], world["colleague"]  # noqa: N806
    _cli(lake, monkeypatch, "suppress", "account", COLLEAGUE, "--until", str(DAYS[3]),
         "--reason", "data-quality campaign, ticket 4242")
    _night(world, DAYS[2])
    _night(world, DAYS[3])
    conn = connect(lake)
    try:
        held = conn.execute("select distinct event_date, user_id from suppressed").fetchall()
        on_day4 = conn.execute("select count(*) from findings where event_date = $d and user_id = $u",
                               {"d": DAYS[3], "u": COLLEAGUE}).fetchone()[0]
    finally:
        conn.close()
    assert on_day4 == 0 and held == [(DAYS[3], COLLEAGUE)]
    folder = Path(write_report(lake, world["reports"], DAYS[3]).folder)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## Suppressions en vigueur", 1)[1]
    assert COLLEAGUE in section and "ticket 4242" in section and "alice" in section

    _night(world, DAYS[4])  # the day after the expiry: it no longer applies
    conn = connect(lake)
    try:
        on_day5 = conn.execute("select count(*) from findings where event_date = $d and user_id = $u",
                               {"d": DAYS[4], "u": COLLEAGUE}).fetchone()[0]
        held5 = conn.execute("select count(*) from suppressed where event_date = $d", {"d": DAYS[4]}).fetchone()[0]
    finally:
        conn.close()
    assert on_day5 >= 1 and held5 == 0


def test_a_closed_incident_that_grows_reopens_and_the_report_opens_with_what_changed(world: dict):
    lake, DAYS = world["lake"], world["days"]  # noqa: N806  night 5 ran in the previous test
    victim = _incident_of(lake, world["victim"])["incident_uid"]
    colleague = _incident_of(lake, world["colleague"])["incident_uid"]
    folder = Path(write_report(lake, world["reports"], DAYS[4]).folder)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    incidents = json.loads((folder / "incidents.json").read_text(encoding="utf-8"))["incidents"]
    count = {c: sum(i["change"] == c for i in incidents) for c in ("new", "grown")}
    changes = markdown.split("## Ce qui a changé depuis la nuit dernière", 1)[1].split("\n## ", 1)[0]
    new = changes.index(f"**Nouveaux incidents ({count['new']})**")
    grown = changes.index(f"**Incidents qui ont grandi ({count['grown']})**")
    still = changes.index("**Toujours ouverts (")
    assert new < changes.index(colleague) < grown < changes.index(victim) < still
    assert "rouvert" in changes.split(victim, 1)[1].split("\n", 1)[0]
    # the incidents' stories follow in the same order, the triaged list (now empty) is gone
    assert markdown.index(colleague, markdown.index(changes) + len(changes)) < \
        markdown.index(victim, markdown.index(changes) + len(changes))
    assert "## Pris en charge ou clos" not in markdown
    by_uid = {i["incident_uid"]: i for i in incidents}
    assert by_uid[victim]["triage"]["status"] == "reopened" and by_uid[victim]["triage"]["decided_status"] == "closed"
    assert by_uid[colleague]["change"] == "new"


def test_until_lapses_and_the_shell_records_a_decision(world: dict):
    from transforms.workbench.query import open_lake
    from transforms.workbench.shell import shell

    lake, DAYS, COLLEAGUE = world["lake"], world["days"], world["colleague"]  # noqa: N806
    colleague = _incident_of(lake, COLLEAGUE)["incident_uid"]
    conn = open_lake(lake)
    lines = iter([f".triage {colleague} acknowledged looking into it with the manager", ".quit"])
    out = StringIO()
    shell(conn, read=lambda _prompt: next(lines), out=out, lake=lake)
    assert f"{colleague}: acknowledged by" in out.getvalue()
    conn = connect(lake)
    try:
        triage.record_decision(conn, lake, colleague, "acknowledged", "until the 4th only", by="bob",
                               until=DAYS[3])
        incident = _incident_of(lake, COLLEAGUE)
        state = triage.triage_state(conn, DAYS[4], [{"incident_uid": colleague, "accounts": [COLLEAGUE],
                                                     "sessions": incident["sessions"],
                                                     "beneficiaries_exposed": incident["exposed"]}])
    finally:
        conn.close()
    assert state[colleague]["status"] == "open" and state[colleague]["analyst"] == "bob"
    with pytest.raises(triage.TriageError):
        triage.add_suppression(lake, "network", "not-a-network", "x", DAYS[4])
