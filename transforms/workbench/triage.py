"""Analysts' triage decisions and suppressions, kept append-only in the lake.

Why append-only files: a decision is a fact (who decided what, when, about which incident);
re-running a night, re-linking incidents or rewriting a report must never lose one. Each
decision and each suppression is one small Parquet file of its own under `lake/triage/` or
`lake/suppressions/`, published with a rename, never rewritten; the current state is read
from all of them (the latest decision per incident wins).

A decision keeps a snapshot of the incident as it stood (accounts, sessions, exposure, its
findings): an incident closed or marked false positive reopens when it has grown past that
snapshot, and the decision follows the incident through a re-link (it is found again by its
findings, whose uids are deterministic). Suppressions (an account, a rule, a network, with
an expiry and a reason) are applied when the rules' rows become findings
(`apply_suppressions`, called by the detection runner); what they held back is written to
`lake/suppressed/` so the report can list it.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lake.atomic import new_tmp_dir, publish
from transforms.lake.layout import partition_dir, private_dir
from transforms.lake.sql import read_sql, sql_string

STATUSES = ("open", "acknowledged", "false_positive", "closed")
SUPPRESSION_KINDS = ("account", "rule", "network")

DECISION_SCHEMA = pa.schema([
    ("decision_uid", pa.string()), ("incident_uid", pa.string()), ("status", pa.string()),
    ("note", pa.string()), ("analyst", pa.string()), ("decided_at", pa.timestamp("us")),
    ("until", pa.date32()), ("accounts", pa.list_(pa.string())), ("sessions", pa.list_(pa.string())),
    ("beneficiaries_exposed", pa.int64()), ("beneficiaries_with_nir", pa.int64()),
    ("finding_uids", pa.list_(pa.string())),
])
SUPPRESSION_SCHEMA = pa.schema([
    ("suppression_uid", pa.string()), ("kind", pa.string()), ("value", pa.string()), ("rule_id", pa.string()),
    ("reason", pa.string()), ("analyst", pa.string()), ("created_at", pa.timestamp("us")),
    ("expires", pa.date32()),
])


class TriageError(ValueError):
    """A decision or suppression that cannot be recorded (unknown incident, bad status...)."""


def analyst(name: str | None = None) -> str:
    """Who decides: the name given, else VIGIE_ANALYST, else the system user."""
    return name or os.environ.get("VIGIE_ANALYST") or getpass.getuser()


def _append(lake: Path, folder: str, row: dict, schema: pa.Schema) -> Path:
    """One new file under lake/<folder>/, published in one rename (never overwrites one).

    Written beside its final place under a dot name (no reader's `*.parquet` sees it), so that
    a decision can be recorded while a nightly run holds the lake (it never touches these).
    """
    stamp = row.get("decided_at") or row.get("created_at")
    name = f"{stamp:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet"
    target = private_dir(Path(lake).resolve() / folder)
    staged = target / f".{name}.tmp"
    try:
        pq.write_table(pa.Table.from_pylist([row], schema=schema), staged, compression="zstd")
        publish(staged, target / name)
    finally:
        staged.unlink(missing_ok=True)
    return target / name


def find_incident(conn: duckdb.DuckDBPyConnection, text: str) -> dict:
    """The lake's incident named `text` (its uid or an unambiguous prefix of it)."""
    cursor = conn.execute(read_sql("triage/find_incident.sql"), {"text": text.strip()})
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    if not rows:
        raise TriageError(f"no incident {text!r} in the lake (see: vigie query \"select incident_uid from incidents\")")
    if len(rows) > 1:
        raise TriageError(f"{text!r} names {len(rows)} incidents: " + ", ".join(r["incident_uid"] for r in rows[:5]))
    return rows[0]


def record_decision(conn: duckdb.DuckDBPyConnection, lake: Path, incident: str, status: str, note: str,
                    by: str | None = None, until: date | None = None, now: datetime | None = None) -> dict:
    """Append one decision about `incident` (with the incident's snapshot); return it."""
    if status not in STATUSES:
        raise TriageError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if not note.strip():
        raise TriageError("a decision needs a note (why)")
    inc = find_incident(conn, incident)
    row = {"decision_uid": uuid.uuid4().hex, "incident_uid": inc["incident_uid"], "status": status,
           "note": note.strip(), "analyst": analyst(by),
           "decided_at": (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None), "until": until,
           "accounts": list(inc["accounts"] or []), "sessions": list(inc["sessions"] or []),
           "beneficiaries_exposed": int(inc["beneficiaries_exposed"] or 0),
           "beneficiaries_with_nir": int(inc["beneficiaries_with_nir"] or 0),
           "finding_uids": list(inc["finding_uids"] or [])}
    _append(lake, "triage", row, DECISION_SCHEMA)
    return row


def add_suppression(lake: Path, kind: str, value: str, reason: str, expires: date, rule_id: str | None = None,
                    by: str | None = None, now: datetime | None = None) -> dict:
    """Append one suppression: findings matching it are held back on days up to `expires`."""
    if kind not in SUPPRESSION_KINDS:
        raise TriageError(f"a suppression is on one of {', '.join(SUPPRESSION_KINDS)}, not {kind!r}")
    if not reason.strip():
        raise TriageError("a suppression needs a reason")
    if kind == "network":
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise TriageError(f"a network is an IP address or a CIDR range, not {value!r}") from None
    if kind == "rule" and rule_id and rule_id != value:
        raise TriageError("a rule suppression names its rule once (the value)")
    row = {"suppression_uid": uuid.uuid4().hex, "kind": kind, "value": value.strip(),
           "rule_id": (value.strip() if kind == "rule" else rule_id) or None, "reason": reason.strip(),
           "analyst": analyst(by), "created_at": (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None),
           "expires": expires}
    _append(lake, "suppressions", row, SUPPRESSION_SCHEMA)
    return row


def _rows(conn: duckdb.DuckDBPyConnection, sql_file: str, params: dict) -> list[dict]:
    cursor = conn.execute(read_sql(sql_file), params)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


def active_suppressions(conn: duckdb.DuckDBPyConnection, day: date) -> list[dict]:
    """The suppressions that apply to `day` (not expired: `expires` is the last day held back)."""
    return _rows(conn, "triage/active_suppressions.sql", {"day": day})


def _matches(suppression: dict, row: dict) -> bool:
    rule = suppression["rule_id"]
    if rule and row["rule_id"] != rule:
        return False
    kind, value = suppression["kind"], suppression["value"]
    if kind == "rule":
        return True
    if kind == "account":
        return value in {row["user_id"], *(row["related_user_ids"] or [])} or \
            (row["entity_type"] == "user" and row["entity_id"] == value)
    network = ipaddress.ip_network(value, strict=False)
    ips = [ip for ip in (row["ips"] or []) if ip]
    try:  # every address of the finding inside the benign network (an attacker's elsewhere keeps it)
        return bool(ips) and all(ipaddress.ip_address(ip) in network for ip in ips)
    except ValueError:
        return False


def apply_suppressions(conn: duckdb.DuckDBPyConnection, day: date) -> int:
    """Hold back the day's rule rows (temp table `rule_rows`) that an active suppression covers.

    They move to the temp table `day_suppressed` (with the suppression's uid and reason), which
    `write_suppressed` publishes; return how many were held back.
    """
    conn.execute(read_sql("triage/suppressed_schema.sql"))
    active = active_suppressions(conn, day)
    if not active:
        return 0
    cursor = conn.execute("select rowid as row_id, * from rule_rows")
    columns = [c[0] for c in cursor.description]
    held = []
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        for s in active:
            if _matches(s, row):
                held.append({"row_id": row["row_id"], "suppression_uid": s["suppression_uid"]})
                break
    if not held:
        return 0
    conn.register("held_arrow", pa.Table.from_pylist(held, schema=pa.schema(
        [("row_id", pa.int64()), ("suppression_uid", pa.string())])))
    try:
        for statement in read_sql("triage/suppress.sql").split(";\n"):
            if statement.strip():
                conn.execute(statement, {"event_date": day} if "$event_date" in statement else {})
    finally:
        conn.unregister("held_arrow")
    return len(held)


def write_suppressed(conn: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """Publish the day's held-back findings (or remove a stale file when there are none)."""
    final = partition_dir(lake, "suppressed", str(day)) / "suppressed.parquet"
    count = conn.execute("select count(*) from day_suppressed").fetchone()
    if not count or not count[0]:
        final.unlink(missing_ok=True)
        return
    tmp = new_tmp_dir(lake)
    try:
        staged = tmp / "suppressed.parquet"
        conn.execute("copy (select * from day_suppressed order by rule_id, entity_id) "
                     f"to {sql_string(str(staged))} (format parquet, compression zstd)")
        publish(staged, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def triage_state(conn: duckdb.DuckDBPyConnection, day: date, incidents: list[dict]) -> dict[str, dict]:
    """incident_uid → its latest decision and effective status on `day` for the report's incidents.

    Effective status: the decision's, except that a closed or false-positive incident that has
    grown past its snapshot (new account, new session, more people exposed) is `reopened`, and
    a decision `--until` a day earlier than `day` has lapsed (`open` again).
    """
    if not incidents:
        return {}
    table = pa.Table.from_pylist(
        [{"incident_uid": i["incident_uid"], "accounts": list(i["accounts"] or []),
          "sessions": list(i["sessions"] or []), "beneficiaries_exposed": int(i["beneficiaries_exposed"] or 0)}
         for i in incidents],
        schema=pa.schema([("incident_uid", pa.string()), ("accounts", pa.list_(pa.string())),
                          ("sessions", pa.list_(pa.string())), ("beneficiaries_exposed", pa.int64())]))
    conn.register("report_incidents_arrow", table)
    try:
        rows = _rows(conn, "triage/state.sql", {"day": day})
    finally:
        conn.unregister("report_incidents_arrow")
    return {r["incident_uid"]: r for r in rows}


def decisions(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every decision, newest first (for `vigie triage --list`)."""
    return _rows(conn, "triage/decisions.sql", {})
