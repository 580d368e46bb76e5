"""Incidents maintained night after night (transforms/detect/incidents.py), through the real path:
raw lines ingested, the real rules, the real linker, the real nightly driver.

The world: a simulated day of normal work for each planned night (tests/worlds.py: the
simulator, a dozen accounts, no attack of its own), and on chosen nights one of its accounts'
sessions opened at its office and replayed from a hosting network (198.51.100.200: geolocated in
the test reference, not a shared egress) with another browser, which `session_multi_network`
reports with the replaying IP in the finding's `ips`. The replay is written here because the
linker's edge cases need it on chosen nights and accounts (the same IP for two accounts a day
apart, 12 days apart, months apart), which the simulator does not place.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from vigie_testing import FIXTURES, TEST_KEY
from worlds import ONE_ATTACK, SEED, simulate_world

from transforms.detect import run_day
from transforms.lake.duck import connect

D1 = date(2025, 7, 1)
REPLAY_IP = "198.51.100.200"
OTHER_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@cache
def background(day: date) -> tuple[str, ...]:
    """The simulator's app lines of `day`: a dozen accounts' normal work, no attack."""
    with tempfile.TemporaryDirectory() as tmp:
        out = simulate_world(Path(tmp), day, 1, 12, SEED, **ONE_ATTACK, infostealer={"enabled": False},
                             dirt={"enabled": False})
        path = out / "inbox" / f"app-{day}.jsonl.gz"
        return tuple(gzip.open(path, "rt", encoding="utf-8").read().splitlines()) if path.exists() else ()


@cache
def accounts() -> dict[str, dict]:
    """The simulated advisors who read in their portfolio: who they are, where and with what they work."""
    found: dict[str, dict] = {}
    for line in background(D1):
        e = json.loads(line)
        if e.get("in_portfolio") and e["actor_user_id"] not in found and not e["actor_user_id"].startswith("SVC"):
            found[e["actor_user_id"]] = {k: e[k] for k in ("actor_user_id", "actor_pc_sub", "actor_org_siret",
                                                           "actor_org_type", "actor_roles", "src_ip",
                                                           "user_agent", "device_id") if k in e}
    return found


def _who(n: int) -> str:
    """The n-th advisor with no account-management role (those onboard staff on some days)."""
    return sorted(u for u, a in accounts().items() if len(a["actor_roles"]) == 1)[n]


VICTIM, SECOND, THIRD = "victim", "second", "third"  # the first three advisors of the population
NAMES = {VICTIM: 0, SECOND: 1, THIRD: 2}


def _event(who: str, ts: datetime, session: str, ip: str, ua: str, event_type: str, **extra: object) -> dict:
    actor = accounts()[_who(NAMES[who])]
    return {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{who}|{session}|{ts.isoformat()}")),
            "event_type": event_type, "outcome": "success", **{k: v for k, v in actor.items() if k != "src_ip"},
            "auth_acr": "eidas1", "auth_amr": ["pwd"], "app_session_id": session, "src_ip": ip,
            "user_agent": ua, **extra}


def replay_lines(day: date, who: str, first_record: int) -> list[dict]:
    """`who` opens a session at its office; at noon it is replayed from REPLAY_IP reading 30 records."""
    actor = accounts()[_who(NAMES[who])]
    office, browser = actor["src_ip"], actor["user_agent"]
    base = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    session = f"s-{day:%m%d}-r-{who}"
    lines = [_event(who, base, session, office, browser, "SESSION_CREATED")]
    lines += [_event(who, base + timedelta(minutes=3 * i), session, office, browser, "BENEFICIARY_RECORD_VIEW",
                     beneficiary_id=f"{8_000_000 + i:07d}K", record_type="DOSSIER", contains_nir=False,
                     in_portfolio=True) for i in range(1, 6)]
    noon = base + timedelta(hours=4)
    lines += [_event(who, noon + timedelta(seconds=20 * i), session, REPLAY_IP, OTHER_BROWSER,
                     "BENEFICIARY_RECORD_VIEW", beneficiary_id=f"{9_000_000 + first_record + i:07d}Z",
                     record_type="DOSSIER", contains_nir=False, in_portfolio=True) for i in range(30)]
    return lines


def write_day(inbox: Path, day: date, replays: list[tuple[str, int]]) -> Path:
    lines = [json.loads(line) for line in background(day)]
    for who, first_record in replays:
        lines += replay_lines(day, who, first_record)
    lines.sort(key=lambda e: datetime.fromisoformat(e["ts"]).astimezone(UTC))
    path = inbox / f"app-{day}.jsonl"
    inbox.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    return path


def nights(root: Path, plan: dict[date, list[tuple[str, int]]]) -> tuple[Path, list[list[tuple]]]:
    """Ingest and detect each planned night in order; the incidents after each night."""
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.run import IngestOptions, ingest_files

    lake = root / "lake"
    opts = IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                         memory_limit="1GB")
    ingest_files([write_day(root / "inbox", d, plan[d]) for d in sorted(plan)], opts)
    after = []
    for day in sorted(plan):
        run_day(lake, day, memory_limit="1GB")
        conn = connect(lake)
        after.append(conn.execute(
            "select incident_uid, first_day, last_day, len(finding_uids), accounts, ips, beneficiaries_exposed "
            "from incidents where list_contains(ips, $ip) order by first_day, incident_uid",  # the replays' story
            {"ip": REPLAY_IP}).fetchall())
        conn.close()
    return lake, after


def test_an_incident_keeps_its_uid_and_grows_across_nights(tmp_path: Path):
    lake, after = nights(tmp_path, {D1: [(VICTIM, 100)], D1 + timedelta(days=1): [(VICTIM, 150)],
                                     D1 + timedelta(days=3): [(VICTIM, 200)]})
    [(uid, first, last, n1, members, ips, exposed1)] = after[0]
    assert first == last == D1 and _who(0) in members and REPLAY_IP in ips and exposed1 == 30
    [(uid2, first2, last2, n2, _, _, exposed2)] = after[1]
    [(uid3, first3, last3, n3, _, _, exposed3)] = after[2]
    assert uid2 == uid3 == uid and first2 == first3 == D1
    assert (last2, last3) == (D1 + timedelta(days=1), D1 + timedelta(days=3))
    assert n1 < n2 < n3 and exposed1 < exposed2 < exposed3 == 90  # three nights of 30 distinct records
    conn = connect(lake)
    # every finding of the three nights names the incident; each findings file was written once
    assert conn.execute("select count(*), count(distinct incident_uid), any_value(incident_uid) from findings "
                        "where rule_id = 'session_multi_network'").fetchone() == (3, 1, uid)
    assert conn.execute("select count(*) from incident_beneficiaries where incident_uid = $u",
                        {"u": uid}).fetchone()[0] == 90
    conn.close()


def test_an_ip_links_within_days_but_not_weeks_or_months_apart(tmp_path: Path):
    plan = {D1: [(VICTIM, 100)],
            D1 + timedelta(days=1): [(SECOND, 150)],  # another account, the same replaying IP the next day
            D1 + timedelta(days=12): [(THIRD, 200)],  # the first incident is still open, the IP is 11 days old
            D1 + timedelta(days=95): [(VICTIM, 250)]}  # months later: the first incident is long closed
    _, after = nights(tmp_path, plan)
    [(uid, _, _, _, accounts, _, _)] = after[1]
    assert {_who(0), _who(1)} <= set(accounts)  # the shared IP joined them within days
    assert len(after[2]) == 2 and after[2][0][0] == uid and _who(2) not in after[2][0][4]
    assert len(after[3]) == 3 and after[3][0][0] == uid
    assert after[3][0][2] == D1 + timedelta(days=1)  # the old incident did not grow
    assert after[3][2][1] == D1 + timedelta(days=95) and after[3][2][4] == [_who(0)]


LAKE_TABLES = ("app_events", "findings", "account_daily", "incident_versions", "incident_exposed",
               "incident_members")


def _lake_files(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for table in LAKE_TABLES
            for p in sorted((lake / table).rglob("*.parquet"))}


@pytest.fixture
def nightly_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("VIGIE_REFERENCE", str(FIXTURES / "reference"))
    monkeypatch.setenv("VIGIE_PSEUDONYM_KEY", "nightly-test-key-0123456789abcdef")
    monkeypatch.setenv("VIGIE_DUCKDB_MEMORY_LIMIT", "1GB")

    def run(name: str, schedule: list[tuple[date, list[date]]], plan: dict) -> Path:
        """Run the nightly for each (night, days whose files are in the inbox by then)."""
        from transforms.nightly import run_nights
        from transforms.settings import Settings

        root = tmp_path / name
        monkeypatch.setenv("VIGIE_INBOX", str(root / "inbox"))
        monkeypatch.setenv("VIGIE_LAKE", str(root / "lake"))
        monkeypatch.setenv("VIGIE_REPORTS", str(root / "reports"))
        for night, present in schedule:
            for d in present:
                if not (root / "inbox" / f"app-{d}.jsonl").exists():
                    write_day(root / "inbox", d, plan.get(d, []))
            run_nights([night], Settings())  # the plain driver, as `vigie nightly` runs it
        return root / "lake"

    return run


def test_rerunning_a_middle_night_with_a_late_file_converges_to_a_clean_run(nightly_env):
    days = [D1 + timedelta(days=i) for i in range(4)]
    plan = {days[0]: [(VICTIM, 100)], days[1]: [(SECOND, 150), (VICTIM, 300)], days[2]: [(VICTIM, 200)],
            days[3]: [(SECOND, 250)]}
    clean = nightly_env("clean", [(d, days[:i + 1]) for i, d in enumerate(days)], plan)
    # the second day's file comes two nights late: the fourth night re-runs the second to the fourth
    late_schedule = [(days[0], [days[0]]), (days[1], []), (days[2], [days[2]]), (days[3], [days[1], days[3]])]
    late = nightly_env("late", late_schedule, plan)
    assert _lake_files(late) == _lake_files(clean)
    conn = connect(late)
    [(accounts, n)] = conn.execute("select accounts, len(finding_uids) from incidents").fetchall()
    conn.close()
    assert {_who(0), _who(1)} <= set(accounts) and n >= 4
