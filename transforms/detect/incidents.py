"""Link findings into incidents (connected components) and count what each one exposed.

Why recomputed over all findings: an attack lasting weeks yields findings every night; the
incident must grow with them and its exposure stay exact. Findings are few (hundreds a day),
so a union-find in Python over their link keys costs nothing; exposure is counted in DuckDB
from the lake. The incident uid is derived from its earliest finding, so it stays stable
while the incident grows.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.lake import new_tmp_dir, publish, read_sql


def _components(rows: list[tuple[str, object, str]]) -> dict[str, str]:
    """finding_uid → incident_uid, from (finding_uid, event_date, link_key) rows in time order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_by_key: dict[str, str] = {}
    order: dict[str, int] = {}
    for uid, _day, key in rows:
        if uid not in parent:
            parent[uid] = uid
            order[uid] = len(order)
        if key in first_by_key:
            a, b = find(uid), find(first_by_key[key])
            if a != b:  # the earlier finding stays the root, so the uid is stable
                if order[a] < order[b]:
                    parent[b] = a
                else:
                    parent[a] = b
        else:
            first_by_key[key] = uid
    return {uid: "inc-" + hashlib.sha256(find(uid).encode()).hexdigest()[:20] for uid in parent}


def link(conn: duckdb.DuckDBPyConnection, lake: Path) -> int:
    """Rebuild `lake/incidents/`, `lake/incident_beneficiaries/` and findings' incident_uid."""
    rows = conn.execute(read_sql("incidents/link_keys.sql")).fetchall()
    mapping = _components(rows)
    conn.register("finding_incident_arrow", pa.table({
        "finding_uid": list(mapping), "incident_uid": list(mapping.values())}))
    conn.execute("create or replace temp table finding_incident as select * from finding_incident_arrow")
    conn.unregister("finding_incident_arrow")
    conn.execute(read_sql("incidents/build.sql"))
    tmp = new_tmp_dir(lake)
    try:
        for table, name in (("incidents_new", "incidents"), ("incident_beneficiaries_new", "incident_beneficiaries")):
            staged = tmp / f"{name}.parquet"
            conn.execute(f"copy (select * from {table} order by all) to '{_q(staged)}' "
                         "(format parquet, compression zstd)")
            publish(staged, lake / name / f"{name}.parquet")
        _stamp_findings(conn, lake, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(set(mapping.values()))


def _stamp_findings(conn: duckdb.DuckDBPyConnection, lake: Path, tmp: Path) -> None:
    """Write each day's findings again with its incident_uid (one rename per day)."""
    for part in sorted((lake / "findings").glob("event_date=*/findings.parquet")):
        staged = tmp / f"{part.parent.name}.parquet"
        conn.execute(
            f"copy (select f.* replace (m.incident_uid as incident_uid) "
            f"from read_parquet('{_q(part)}') f left join finding_incident m using (finding_uid) "
            f"order by f.finding_uid) to '{_q(staged)}' (format parquet, compression zstd)")
        publish(staged, part)


def _q(path: Path) -> str:
    return str(path).replace("'", "''")
