"""Detection quality against the simulator's labels: recall, precision, false positives, exposure.

Why in the pipeline: thresholds are only honest when measured on a world they were not tuned
on. An attack counts as detected when a finding names one of its accounts, sessions or IPs
within its window; a finding naming no malicious entity is a false positive. Label
beneficiary ids are in clear: they are pseudonymised here with the ingest key, then compared
with the incident's exposure counted from the lake.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from transforms.pseudonymise import PseudonymKey, beneficiary_pseudonym
from transforms.views import connect

HIGH = ("high", "critical")
MEDIUM_UP = ("medium", "high", "critical")


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).replace(tzinfo=None)


def load_labels(path: Path) -> list[dict]:
    """The attacks of a labels file: `{"attacks": [...]}` or a bare list."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    attacks = data.get("attacks", data.get("scenarios", [])) if isinstance(data, dict) else data
    return [a for a in attacks if isinstance(a, dict)]


def _entities(attack: dict) -> dict[str, set[str]]:
    get = lambda *keys: {str(v) for k in keys for v in (attack.get(k) or [])}  # noqa: E731
    return {"user": get("accounts", "user_ids", "malicious_accounts"),
            "session": get("sessions", "session_ids", "app_sessions", "pc_sessions"),
            "ip": get("ips", "src_ips")}


def evaluate(lake: Path, labels: Path, key: PseudonymKey) -> dict:
    """One JSON-ready dict: per scenario and overall (see docs/detections.md for each key)."""
    attacks = load_labels(labels)
    conn = connect(Path(lake))
    try:
        findings = conn.execute(
            "select finding_uid, rule_id, severity, event_date, entity_type, entity_id, user_id, "
            "session_ids, ips, related_user_ids, first_seen, last_seen, incident_uid from findings").fetchall()
        active = conn.execute("select count(distinct user_id), count(distinct event_date) from account_daily "
                              "where not is_service").fetchone()
        agent_days = conn.execute("select count(*) from account_daily where not is_service").fetchone()[0]
        cols = ["finding_uid", "rule_id", "severity", "event_date", "entity_type", "entity_id", "user_id",
                "session_ids", "ips", "related_user_ids", "first_seen", "last_seen", "incident_uid"]
        rows = [dict(zip(cols, f, strict=True)) for f in findings]
        malicious_findings: set[str] = set()
        scenarios = []
        for attack in attacks:
            ents = _entities(attack)
            start, end = _ts(attack.get("start") or attack.get("first_malicious")), _ts(
                attack.get("end") or attack.get("last_malicious"))
            hits = []
            for f in rows:
                named = ({f["user_id"]} | set(f["related_user_ids"] or [])) & ents["user"] \
                    or set(f["session_ids"] or []) & ents["session"] or set(f["ips"] or []) & ents["ip"] \
                    or (f["entity_type"] == "session" and f["entity_id"] in ents["session"])
                if named:
                    malicious_findings.add(f["finding_uid"])
                    if start.date() <= f["event_date"] <= end.date():
                        hits.append(f)
            first_day = min((f["event_date"] for f in hits), default=None)
            incident_ids = sorted({f["incident_uid"] for f in hits if f["incident_uid"]})
            labelled = {beneficiary_pseudonym(key, b) for b in attack.get("exposed_beneficiaries", [])}
            counted = set()
            if incident_ids:
                conn.execute("create or replace temp table _inc as select unnest($ids::varchar[]) as incident_uid",
                             {"ids": incident_ids})
                counted = {r[0] for r in conn.execute(
                    "select distinct beneficiary_ref from incident_beneficiaries join _inc using (incident_uid)"
                ).fetchall()}
            n_lab = len(labelled)
            error = abs(len(counted) - n_lab) / n_lab if n_lab else 0.0
            scenarios.append({
                "id": attack.get("id"), "scenario": attack.get("scenario"), "detected": bool(hits),
                "first_malicious_day": str(start.date()), "first_detection_day": str(first_day) if first_day else None,
                "delay_days": (first_day - start.date()).days if first_day else None,
                "rules": sorted({f["rule_id"] for f in hits}), "incidents": incident_ids,
                "exposure_labelled": n_lab, "exposure_counted": len(counted),
                "exposure_overlap": len(counted & labelled), "exposure_error": round(error, 4),
            })
        high = [f for f in rows if f["severity"] in HIGH]
        fp_medium = {(f["event_date"], f["entity_type"], f["entity_id"]) for f in rows
                     if f["severity"] in MEDIUM_UP and f["finding_uid"] not in malicious_findings}
        days = max(active[1] or 0, 1)
        agents_per_day = agent_days / days if agent_days else 0
        fp_rate = (len(fp_medium) / days) / (agents_per_day / 1000) if agents_per_day else 0.0
        detected = [s for s in scenarios if s["detected"]]
        return {
            "recall": round(len(detected) / len(scenarios), 4) if scenarios else None,
            "precision_high": round(sum(f["finding_uid"] in malicious_findings for f in high) / len(high), 4)
            if high else None,
            "fp_per_day_per_1000_agents": round(fp_rate, 3),
            "fp_entities_medium_up": len(fp_medium),
            "max_exposure_error": max((s["exposure_error"] for s in detected), default=0.0),
            "days": days, "active_agents_per_day": round(agents_per_day, 1), "findings": len(rows),
            "false_positives": sorted(f"{d} {t}:{e}" for d, t, e in fp_medium)[:50],
            "scenarios": scenarios,
        }
    finally:
        conn.close()


def default(o: object) -> str:
    return o.isoformat() if isinstance(o, date | datetime) else str(o)
