"""Link the night's findings into incidents, incrementally, and count what each one exposed.

Why incremental: the nightly's cost must depend on the night, not on the lake's age. Each
night reads only the open incidents (their latest version within the last `OPEN_DAYS`
nights), its own findings partition, and the partitions of the days the touched incidents'
findings cover; it writes three partitions under its own date, once:

- `incident_versions/event_date=D/`: the new version of every incident the night touched
  (and, for an incident a finding joined to an earlier one, a version naming `merged_into`);
- `incident_exposed/event_date=D/`: the people each touched incident exposed, in full;
- `incident_members/event_date=D/`: finding → incident for every finding of those incidents.

The views `incidents`, `incident_beneficiaries` and `findings.incident_uid` read the latest
version (`sql/views/70_incidents.sql`, `transforms/lake/views.py`); findings files are never
rewritten. A night depends only on the partitions of earlier nights and its own, so
re-running it gives the same files, and re-running the nights after a late file, in order,
gives what a clean run gives.

How long each link kind holds (`link_windows`): an account, creator→created account, app or
ProConnect session, or browsing session links a finding to an incident for as long as the
incident is open (a finding within the last `OPEN_DAYS` days); a source IP links only when
the incident saw that IP within the last `IP_WINDOW_DAYS` days (an address is reassigned,
a NAT is shared: months apart it says nothing). The incident uid is derived from its
earliest finding and kept while it grows; when a night's finding joins two open incidents,
the earlier one (first day, then uid) absorbs the other.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.lake.atomic import new_tmp_dir, publish
from transforms.lake.layout import partition_dir
from transforms.lake.sql import read_sql, sql_code, sql_string
from transforms.lake.views import define_views, night_days

OPEN_DAYS = 30  # an incident with no finding for this many days is closed
IP_WINDOW_DAYS = 3  # an IP links a finding to an incident that saw it within this many days
# rare shared infrastructure (a campaign's network, browser build or device, as measured rare on
# the lake by campaign_shared_infrastructure) links within the campaign rule's window
INFRA_WINDOW_DAYS = 7
# true scope: how far before an incident's first finding its attacker's infrastructure is searched
LOOKBACK_DAYS = 30
# the partitions written by `link` for a night (table → file name)
TABLES = {"incident_versions": "incidents.parquet", "incident_exposed": "beneficiaries.parquet",
          "incident_members": "members.parquet"}
LINK_KEY = pa.struct([("key", pa.string()), ("last_day", pa.date32())])


def link_windows() -> dict[str, int | None]:
    """Days a link key of each kind holds after its last finding (None: while the incident is open)."""
    return {"user": None, "session": None, "browsing": None, "ip": IP_WINDOW_DAYS, "infra": INFRA_WINDOW_DAYS}


@dataclass
class _Incident:
    uid: str
    first_day: date
    finding_uids: list[str] = field(default_factory=list)
    finding_days: set[date] = field(default_factory=set)
    keys: dict[str, date] = field(default_factory=dict)  # link key → last day a finding had it


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _incident_uid(root_finding: str) -> str:
    return "inc-" + hashlib.sha256(root_finding.encode()).hexdigest()[:20]


def _live_key(key: str, last_day: date, day: date) -> bool:
    window = link_windows()[key.split(":", 1)[0]]
    return window is None or last_day >= day - timedelta(days=window)


def _components(open_incidents: list[_Incident], night: list[tuple[str, str]], day: date
                ) -> tuple[dict[str, _Incident], dict[str, str]]:
    """(incidents touched by the night, absorbed incident uid → the uid that absorbed it).

    Nodes are the open incidents (earliest first) and the night's findings (by uid); the
    earliest node of a component is its root, so an incident keeps its uid as it grows.
    """
    parent: dict[str, str] = {}
    order: dict[str, int] = {}
    first_by_key: dict[str, str] = {}

    def node(name: str) -> None:
        if name not in parent:
            parent[name] = name
            order[name] = len(order)

    def union(a: str, b: str) -> None:
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            if order[ra] < order[rb]:
                parent[rb] = ra
            else:
                parent[ra] = rb

    def add_key(name: str, key: str) -> None:
        if key in first_by_key:
            union(name, first_by_key[key])
        else:
            first_by_key[key] = name

    by_uid = {inc.uid: inc for inc in open_incidents}
    for inc in open_incidents:
        node("I" + inc.uid)
        for key, last_day in sorted(inc.keys.items()):
            if _live_key(key, last_day, day):
                add_key("I" + inc.uid, key)
    night_keys: dict[str, list[str]] = {}
    for finding, key in night:
        node("F" + finding)
        night_keys.setdefault(finding, []).append(key)
    for finding in sorted(night_keys):
        for key in night_keys[finding]:
            add_key("F" + finding, key)

    groups: dict[str, list[str]] = {}
    for name in parent:
        groups.setdefault(_find(parent, name), []).append(name)
    touched: dict[str, _Incident] = {}
    absorbed: dict[str, str] = {}
    for members in groups.values():
        findings = sorted(m[1:] for m in members if m[0] == "F")
        if not findings:
            continue  # an open incident the night did not touch
        earlier = sorted((by_uid[m[1:]] for m in members if m[0] == "I"), key=lambda i: (i.first_day, i.uid))
        uid = earlier[0].uid if earlier else _incident_uid(findings[0])
        inc = _Incident(uid, earlier[0].first_day if earlier else day)
        for old in earlier:
            if old.uid != uid:
                absorbed[old.uid] = uid
            inc.finding_uids += old.finding_uids
            inc.finding_days |= old.finding_days
            for key, last_day in old.keys.items():
                inc.keys[key] = max(last_day, inc.keys.get(key, last_day))
        inc.finding_uids += findings
        inc.finding_days.add(day)
        for finding in findings:
            for key in night_keys[finding]:
                inc.keys[key] = day
        touched[uid] = inc
    return touched, absorbed


def link(conn: duckdb.DuckDBPyConnection, lake: Path, day: date) -> int:
    """Link the findings of `day` into the incidents open on its eve; return the incidents it touched.

    Writes the night's `incident_versions`, `incident_exposed` and `incident_members`
    partitions (removed when the night touched no incident, so a re-run that finds nothing
    leaves what a clean run leaves).
    """
    lake = Path(lake)
    findings_file = partition_dir(lake, "findings", str(day)) / "findings.parquet"
    night = conn.execute(read_sql("incidents/link_keys.sql"),
                         {"findings_file": str(findings_file), "event_date": day}).fetchall() \
        if findings_file.exists() else []
    open_incidents = [
        _Incident(uid, first_day, list(uids), set(days), {k["key"]: k["last_day"] for k in keys})
        for uid, first_day, _last_day, uids, days, keys in conn.execute(
            read_sql("incidents/open.sql"), {"event_date": day, "open_days": OPEN_DAYS}).fetchall()]
    touched, absorbed = _components(open_incidents, night, day)
    if not touched:
        for table in TABLES:
            shutil.rmtree(partition_dir(lake, table, str(day)), ignore_errors=True)
        return 0

    incs = sorted(touched.values(), key=lambda i: i.uid)
    members = sorted((f, inc.uid) for inc in incs for f in inc.finding_uids)
    conn.register("finding_incident_arrow", pa.table({
        "finding_uid": [f for f, _ in members], "incident_uid": [u for _, u in members]}))
    conn.register("touched_meta_arrow", pa.table({
        "incident_uid": [i.uid for i in incs],
        "finding_days": pa.array([sorted(i.finding_days) for i in incs], pa.list_(pa.date32())),
        "link_keys": pa.array([[{"key": k, "last_day": d} for k, d in sorted(i.keys.items())] for i in incs],
                              pa.list_(LINK_KEY))}))
    conn.register("absorbed_arrow", pa.table({"incident_uid": pa.array(sorted(absorbed), pa.string()),
                                              "merged_into": pa.array([absorbed[u] for u in sorted(absorbed)],
                                                                      pa.string())}))
    for name in ("finding_incident", "touched_meta", "absorbed"):
        conn.execute(f"create or replace temp table {name} as select * from {name}_arrow")
        conn.unregister(f"{name}_arrow")

    finding_days = sorted({d for i in incs for d in i.finding_days})
    files = [partition_dir(lake, "findings", str(d)) / "findings.parquet" for d in finding_days]
    event_days = sorted({d + timedelta(days=k) for d in finding_days for k in (-1, 0, 1)} - {day + timedelta(1)})
    # true scope: the days from LOOKBACK_DAYS before the incidents' first finding to the night,
    # never before the lake's first day (a bounded window, not the whole lake)
    lake_start = _lake_start(lake) or finding_days[0]
    scope_from = max(finding_days[0] - timedelta(days=LOOKBACK_DAYS), lake_start)
    scope_days = [scope_from + timedelta(days=k) for k in range((day - scope_from).days + 1)]
    define_views(conn, lake, night_days(day, event_days + scope_days))  # the incidents' days, older ones too
    sql = (sql_code(read_sql("incidents/build.sql"))
           .replace("$finding_files", "[" + ", ".join(sql_string(str(f)) for f in files if f.exists()) + "]")
           .replace("$event_days", "(" + ", ".join(f"date '{d}'" for d in event_days) + ")")
           .replace("$scope_days", "(" + ", ".join(f"date '{d}'" for d in scope_days) + ")")
           .replace("$lookback_days", str(LOOKBACK_DAYS))
           .replace("$lake_start", f"date '{lake_start}'"))
    for statement in (s for s in sql.split(";\n") if s.strip()):
        conn.execute(statement)

    tmp = new_tmp_dir(lake)
    try:
        outputs = {"incident_versions": "select * from incidents_new order by incident_uid",
                   "incident_exposed": "select * from incident_beneficiaries_new order by all",
                   "incident_members": "select * from finding_incident order by all"}
        for table, query in outputs.items():
            staged = tmp / TABLES[table]
            conn.execute(f"copy ({query}) to {sql_string(str(staged))} (format parquet, compression zstd)")
            publish(staged, partition_dir(lake, table, str(day)) / TABLES[table])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(touched)


def days_of_night(lake: Path, day: date) -> set[date]:
    """The days whose events the incidents touched on the night of `day` count (their findings'
    days and the day on either side): what the report of `day` reads beyond its own window."""
    path = partition_dir(Path(lake), "incident_versions", str(day)) / TABLES["incident_versions"]
    if not path.exists():
        return set()
    conn = duckdb.connect()
    try:
        rows = conn.execute("select distinct unnest(finding_days) from read_parquet($p) where finding_days "
                            "is not null", {"p": str(path)}).fetchall()
    finally:
        conn.close()
    return {d + timedelta(days=k) for (d,) in rows for k in (-1, 0, 1)}


def _lake_start(lake: Path) -> date | None:
    """The first day of app events in the lake (from the partition folders' names)."""
    days = [p.name.split("=", 1)[1] for p in (lake / "app_events").glob("event_date=*")]
    return date.fromisoformat(min(days)) if days else None


