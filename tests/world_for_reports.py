"""A tiny synthetic world for report, nightly, workbench and hunting tests.

Why here and not the simulator: these tests need a handful of days with one clear attack,
known clear identifiers (to prove none reaches an output) and findings/incidents shaped
like the detection contract (DESIGN.md), without waiting for the real rules.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from transforms.lake.atomic import publish
from transforms.lake.duck import connect
from transforms.lake.layout import partition_dir

OFFICE_IP = "192.0.2.10"
ATTACKER_IP = "203.0.113.50"
VICTIM = "OF-38-000142-u07"
COLLEAGUE = "OF-38-000142-u02"
SIRET = "81234567800021"
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/138.0.0.0 Safari/537.36")
SCRIPT = "python-requests/2.32.3"
ATTACK_READS = 240  # record views by the attacker on the attack day
CLEAR_IDS = [f"BEN{n:05d}X" for n in range(400)]  # job seekers' clear ids (never in outputs)
CLEAR_EMAIL = "agent.sept@of-isere.fr"


def _event(ts: datetime, n: int, user: str, session: str, ip: str, ua: str, event_type: str,
           **extra: object) -> dict:
    return {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "event_id": f"00000000-0000-4000-8000-{abs(hash((ts.isoformat(), n, user))) % 10**12:012d}",
            "event_type": event_type, "outcome": "success", "actor_user_id": user,
            "actor_org_siret": SIRET, "actor_org_type": "OF", "actor_roles": ["FORMATEUR"],
            "actor_email": CLEAR_EMAIL if user == VICTIM else "agent.deux@of-isere.fr",
            "auth_acr": "eidas1", "auth_amr": ["pwd"], "app_session_id": session, "src_ip": ip,
            "user_agent": ua, "device_id": f"dev-{session}", **extra}


def app_lines(day: date, attack: bool) -> list[dict]:
    """A normal working day for two agents, plus the night-time extraction when `attack`."""
    base = datetime(day.year, day.month, day.day, tzinfo=UTC)
    lines = []
    for u, user in enumerate((VICTIM, COLLEAGUE)):
        session = f"s-{day:%m%d}-{u}"
        start = base + timedelta(hours=7 + u)
        lines.append(_event(start, 0, user, session, OFFICE_IP, BROWSER, "SESSION_CREATED"))
        for i in range(12):
            ben = CLEAR_IDS[(u * 20 + i) % 40]
            lines.append(_event(start + timedelta(minutes=5 * (i + 1)), i + 1, user, session, OFFICE_IP,
                                BROWSER, "BENEFICIARY_RECORD_VIEW", beneficiary_id=ben,
                                record_type="DOSSIER", contains_nir=False, in_portfolio=True))
    if attack:
        session = f"s-{day:%m%d}-x"
        start = base + timedelta(hours=1)
        for i in range(ATTACK_READS):
            ben = CLEAR_IDS[100 + i]
            lines.append(_event(start + timedelta(seconds=15 * i), 1000 + i, VICTIM, session, ATTACKER_IP,
                                SCRIPT, "BENEFICIARY_RECORD_VIEW", beneficiary_id=ben,
                                record_type="IDENTITE", contains_nir=i % 3 == 0, in_portfolio=False))
    lines.sort(key=lambda e: e["ts"])
    return lines


def proconnect_lines(day: date) -> list[dict]:
    """The fixture's ProConnect login (authorize to FC_VERIFIED), replayed at 06:55 UTC on `day`."""
    from vigie_testing import FIXTURES

    login = [json.loads(line) for line in (FIXTURES / "proconnect-2025-07-05.jsonl").read_text().splitlines()[:8]]
    start = int(datetime(day.year, day.month, day.day, 6, 55, tzinfo=UTC).timestamp() * 1000)
    return [{**e, "time": start + 1000 * i, "requestId": f"{e['requestId']}-{day}"} for i, e in enumerate(login)]


def write_inbox(inbox: Path, days: list[date], attack_day: date, proconnect: bool = False) -> list[Path]:
    """The app's file of each day (with one unreadable line), and ProConnect's when `proconnect`:
    a night is complete only when both sources delivered."""
    inbox.mkdir(parents=True, exist_ok=True)
    files = []
    for day in days:
        path = inbox / f"app-{day}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in app_lines(day, day == attack_day)) +
                        "not json at all\n", encoding="utf-8")
        files.append(path)
        if proconnect:
            path = inbox / f"proconnect-{day}.jsonl"
            path.write_text("".join(json.dumps(e) + "\n" for e in proconnect_lines(day)), encoding="utf-8")
            files.append(path)
    return files


def fake_detect(lake: Path, day: date) -> dict:
    """Stand-in for `transforms.detect.run_day`: one finding per night-time script session."""
    conn = connect(lake)
    rows = conn.execute(
        "select session_id, any_value(user_id), any_value(org_siret), min(event_time), max(event_time), "
        "list(distinct src_ip), list(distinct net), count(distinct beneficiary_ref) "
        "from app_activity where event_date = $d and ua_family = 'script' and is_read "
        "group by session_id order by session_id", {"d": day}).fetchall()
    out = partition_dir(lake, "findings", str(day))
    out.mkdir(parents=True, exist_ok=True)
    conn.execute((Path(__file__).parent.parent / "sql/schemas/findings.sql").read_text()
                 .replace("create or replace table findings", "create or replace temp table f"))
    for session, user, siret, first, last, ips, nets, exposed in rows:
        uid = f"f-{day}-{session}"
        conn.execute(
            "insert into f values ($uid, 'mass_extraction', 'Extraction massive', 'high', 0.9, ['T1213'],"
            " 'user', $user, $user, $siret, $first, $last, $exposed, $metrics, '{}', [$session], $ips, [],"
            " [], $nets, 'inc-' || $user, $day)",
            {"uid": uid, "user": user, "siret": siret, "first": first, "last": last, "exposed": exposed,
             "metrics": json.dumps({"reads": exposed}), "session": session, "ips": ips, "nets": nets,
             "day": day})
    staged = lake / f".findings-{day}.parquet"
    conn.execute(f"copy (select * exclude (event_date) from f) to '{staged}' (format parquet)")
    publish(staged, out / "findings.parquet")
    conn.close()
    _link(lake)
    return {"findings": len(rows)}


def _link(lake: Path) -> None:
    """Stand-in for the incident linker: every finding's own incident_uid, written as the latest
    night's version (the layout of transforms/detect/incidents.py)."""
    conn = connect(lake)
    last = conn.execute("select max(event_date) from findings").fetchone()[0]
    if last is None:
        conn.close()
        return
    versions, exposure = (partition_dir(lake, t, str(last)) for t in ("incident_versions", "incident_exposed"))
    versions.mkdir(parents=True, exist_ok=True)
    exposure.mkdir(parents=True, exist_ok=True)
    conn.execute("""
        create temp table ib as
        select f.incident_uid, a.beneficiary_ref, bool_or(coalesce(a.contains_nir, false)) as nir_exposed,
               min(a.event_time) as first_exposed, max(a.event_time) as last_exposed, count(*) as records
        from (select incident_uid, unnest(session_ids) as session_id from findings) f
        join app_activity a using (session_id)
        where a.is_read group by all""")
    conn.execute(f"copy (select * from ib order by all) to '{exposure}/x.parquet' (format parquet)")
    conn.execute(f"""copy (
        select incident_uid, max(severity) as severity, min(first_seen) as first_seen,
               max(last_seen) as last_seen, min(event_date) as first_day, max(event_date) as last_day,
               list(distinct rule_id) as rule_ids, list(finding_uid order by finding_uid) as finding_uids,
               list(distinct user_id) as accounts, list(distinct org_siret) as org_sirets,
               flatten(list(session_ids)) as sessions, []::varchar[] as browsing_sessions,
               flatten(list(ips)) as ips, flatten(list(exposure_nets)) as networks,
               (select count(*) from ib where ib.incident_uid = f.incident_uid) as beneficiaries_exposed,
               (select count(*) from ib where ib.incident_uid = f.incident_uid and nir_exposed)
                   as beneficiaries_with_nir,
               list(distinct event_date) as finding_days,
               []::struct("key" varchar, last_day date)[] as link_keys, null::varchar as merged_into
        from findings f group by incident_uid) to '{versions}/incidents.parquet' (format parquet)""")
    conn.close()


def build_lake(root: Path, days: list[date] | None = None, attack_day: date | None = None,
               real_detection: bool = False) -> Path:
    """Ingest the world into `root/lake` with the test key, then detect each day (the real
    rules, or the stand-in whose output the report tests know exactly)."""
    from vigie_testing import FIXTURES, TEST_KEY

    from transforms.ingest.enrich import load_reference
    from transforms.ingest.run import IngestOptions, ingest_files

    days = days or [date(2025, 7, 1) + timedelta(days=i) for i in range(3)]
    attack_day = attack_day or days[-1]
    lake = root / "lake"
    opts = IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                         memory_limit="1GB")
    ingest_files(write_inbox(root / "inbox", days, attack_day), opts)
    for day in days:
        if real_detection:
            from transforms.detect import run_day

            run_day(lake, day, memory_limit="1GB")
        else:
            fake_detect(lake, day)
    return lake


def day_count(lake: Path) -> int:
    return duckdb.connect().execute(
        f"select count(*) from read_parquet('{lake}/app_events/*/*.parquet')").fetchone()[0]
