"""The `timezone` setting reaches every local time: the nightly's working hours, the report's
words, the analysts' connections; an unknown zone stops the command at start-up.

Why: France Travail also serves La Réunion, the Antilles, Guyane and Mayotte; a deployment there
says its zone (VIGIE_TIMEZONE), and the same events must then be judged in that local time.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner
from vigie_testing import FIXTURES, plain_vigie_env

from flows.cli import app

DAY = date(2025, 7, 1)  # a Tuesday: Paris is UTC+2, La Réunion UTC+4
SHIFT = timedelta(hours=3)  # the attack at 04:00-05:00 UTC: 06:00 in Paris (off hours), 08:00 in La Réunion
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/138.0.0.0 Safari/537.36")


def _app_event(ts: datetime, n: int, user: str, session: str, ip: str, ua: str, **extra: object) -> dict:
    return {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "event_type": "BENEFICIARY_RECORD_VIEW", "outcome": "success", "actor_user_id": user,
            "actor_org_siret": "81234567800021", "actor_org_type": "OF", "actor_roles": ["FORMATEUR"],
            "actor_email": f"{user.lower()}@of-isere.fr", "auth_acr": "eidas1", "auth_amr": ["pwd"],
            "app_session_id": session, "src_ip": ip, "user_agent": ua, "device_id": f"dev-{session}",
            "record_type": "DOSSIER", "contains_nir": False, "in_portfolio": True, **extra}


def _shifted_inbox(inbox: Path, shift: timedelta = SHIFT) -> None:
    """Exact times, which the test needs (the simulated worlds of tests/worlds.py spread theirs):
    two agents reading 12 records each from 07:00 and 08:00 UTC, and one account's script
    reading 240 other records from 01:00 to 02:00 UTC (one every 15 s), all `shift` later. By
    three hours, the extraction falls before 07:00 in Paris and after 07:00 in La Réunion. The
    day's ProConnect login (the fixture's) makes the night complete."""
    base = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC) + shift
    events = []
    for u, user in enumerate(("OF-38-000142-u07", "OF-38-000142-u02")):
        start = base + timedelta(hours=7 + u)
        events += [_app_event(start + timedelta(minutes=5 * (i + 1)), 100 * u + i, user, f"s-{u}", "192.0.2.10",
                              BROWSER, beneficiary_id=f"BEN{u * 20 + i:05d}X") for i in range(12)]
    events += [_app_event(base + timedelta(hours=1, seconds=15 * i), 1000 + i, "OF-38-000142-u07", "s-x",
                          "203.0.113.50", "python-requests/2.32.3", beneficiary_id=f"BEN{100 + i:05d}X",
                          record_type="IDENTITE", in_portfolio=False) for i in range(240)]
    inbox.mkdir(parents=True)
    events.sort(key=lambda e: e["ts"])
    (inbox / f"app-{DAY}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    login = [json.loads(line) for line in (FIXTURES / "proconnect-2025-07-05.jsonl").read_text().splitlines()[:8]]
    at = int((datetime(DAY.year, DAY.month, DAY.day, 6, 55, tzinfo=UTC) + shift).timestamp() * 1000)
    (inbox / f"proconnect-{DAY}.jsonl").write_text(
        "".join(json.dumps({**e, "time": at + 1000 * i, "requestId": f"{e['requestId']}-{DAY}"}) + "\n"
                for i, e in enumerate(login)), encoding="utf-8")


def _night(root: Path, monkeypatch: pytest.MonkeyPatch, zone: str | None, shift: timedelta = SHIFT) -> dict:
    root.mkdir()
    plain_vigie_env(monkeypatch, root, "timezone-test-key-0123456789abcdef")
    if zone is None:
        monkeypatch.delenv("VIGIE_TIMEZONE", raising=False)
    else:
        monkeypatch.setenv("VIGIE_TIMEZONE", zone)
    _shifted_inbox(root / "inbox", shift)
    result = CliRunner().invoke(app, ["nightly", "--date", str(DAY)])
    assert result.exit_code == 0, result.output
    lake = root / "lake"
    conn = duckdb.connect()
    off_hours = conn.execute("select sum(off_hours_reads)::int from read_parquet($p)",
                             {"p": str(lake / "account_daily" / f"event_date={DAY}" / "*.parquet")}).fetchall()[0][0]
    rules = {r for (r,) in conn.execute("select distinct rule_id from read_parquet($p)",
                                        {"p": str(lake / "findings" / f"event_date={DAY}" / "*.parquet")}).fetchall()}
    return {"off_hours_reads": off_hours, "rules": rules,
            "report": (root / "reports" / str(DAY) / "report.md").read_text(encoding="utf-8")}


def test_a_reunion_night_judges_working_hours_in_reunion_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The same events through `vigie nightly`: off hours in Paris (06:00), working hours in
    La Réunion (08:00); the report names the zone it tells times in."""
    paris = _night(tmp_path / "paris", monkeypatch, None)
    reunion = _night(tmp_path / "reunion", monkeypatch, "Indian/Reunion")

    assert paris["off_hours_reads"] >= 240 and "off_hours_bulk" in paris["rules"]
    assert reunion["off_hours_reads"] == 0 and "off_hours_bulk" not in reunion["rules"]
    assert reunion["rules"] - {"off_hours_bulk"} == paris["rules"] - {"off_hours_bulk"}  # the rest is the same
    assert "(heure de Paris)" in paris["report"] and "heure locale" not in paris["report"]
    assert "(heure locale (Indian/Reunion))" in reunion["report"] and "heure de Paris" not in reunion["report"]
    # the story's times are local: 06:00 in Paris, 08:00 in La Réunion
    assert "06:00" in paris["report"] and "08:00" in reunion["report"]


@pytest.mark.parametrize("zone", ["Europe/Pariss", "localtime", "Indian/La_Reunion"])
def test_an_unknown_zone_stops_at_start_up_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         zone: str):
    plain_vigie_env(monkeypatch, tmp_path, "timezone-test-key-0123456789abcdef")
    monkeypatch.setenv("VIGIE_TIMEZONE", zone)
    (tmp_path / "inbox").mkdir()
    result = CliRunner().invoke(app, ["nightly", "--date", str(DAY)])
    assert result.exit_code == 2, result.output
    assert "invalid settings" in result.output and f"unknown time zone '{zone}'" in result.output
    assert not (tmp_path / "lake").exists()


def test_the_analysts_connections_use_the_zone(tmp_path: Path):
    """`vigie query`/`shell` (open_lake) and the stock CLI's init file convert as the nightly does."""
    from transforms.workbench.query import init_file_text, open_lake

    (tmp_path / "lake").mkdir()
    noon_utc = "timestamp '2025-07-01 12:00'"
    conn = open_lake(tmp_path / "lake", timezone="America/Cayenne")
    assert conn.execute(f"select to_local_time({noon_utc})::varchar, is_off_hours({noon_utc})").fetchall() == [
        ("2025-07-01 09:00:00", False)]
    conn = open_lake(tmp_path / "lake")  # the default: Paris
    assert conn.execute(f"select to_local_time({noon_utc})::varchar").fetchall() == [("2025-07-01 14:00:00",)]
    init = init_file_text(tmp_path / "lake", "Indian/Reunion")
    assert "set variable vigie_timezone = 'Indian/Reunion';" in init.splitlines()
    stock = duckdb.connect()
    for statement in init.split(";\n"):
        if statement.strip() and not statement.lstrip().startswith("."):
            stock.execute("\n".join(line for line in statement.splitlines() if not line.startswith(".")))
    assert stock.execute(f"select to_local_time({noon_utc})::varchar").fetchall() == [("2025-07-01 16:00:00",)]


def test_a_connection_without_a_zone_is_refused(tmp_path: Path):
    """Views on a connection nobody configured would read NULL local times: refused, loudly."""
    from transforms.lake.views import define_views

    (tmp_path / "lake").mkdir()
    with pytest.raises(RuntimeError, match="vigie_timezone"):
        define_views(duckdb.connect(), tmp_path / "lake")


def test_a_half_hour_zone_splits_an_utc_hour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Asia/Kolkata is UTC+05:30: the extraction from 01:00 to 02:00 UTC is half before 07:00 local
    (off hours) and half after; the night's local-time lookup is per UTC quarter-hour, not per hour."""
    kolkata = _night(tmp_path / "kolkata", monkeypatch, "Asia/Kolkata", timedelta(0))
    assert kolkata["off_hours_reads"] == 120  # of the 240 reads, one every 15 s


def test_quarter_hour_zones(tmp_path: Path):
    """Working hours start at 07:00 local in a +05:30 zone too."""
    from transforms.lake.duck import connect

    (tmp_path / "lake").mkdir()
    conn = connect(tmp_path / "lake", timezone="Asia/Kolkata")
    rows = conn.execute("select is_off_hours(timestamp '2025-07-01 01:15'), is_off_hours(timestamp '2025-07-01 01:30')"
                        ).fetchall()
    assert rows == [(True, False)]  # 06:45 and 07:00 in Kolkata
