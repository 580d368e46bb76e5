"""Detection quality against the simulator's labels: recall, precision, false positives, exposure.

Why in the pipeline: thresholds are only honest when measured on a world they were not tuned
on. An attack counts as detected when a finding names one of its accounts, sessions (app,
ProConnect or browsing session) or IPs within its window; a finding naming no malicious entity
is a false positive. Label beneficiary ids are in clear: they are pseudonymised here with the
ingest key, then compared with the incident's exposure counted from the lake.

The labels are the simulator's `labels/labels.json` (a list of attacks, see
`simulator/labels.py`); when `world.json` sits beside it, each false positive is attributed to
the trap(s) its account or IP belongs to, so a reader sees which trap fooled which rule.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from transforms.ingest.pseudonymise import PseudonymKey, beneficiary_pseudonym
from transforms.lake.duck import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEZONE, connect
from transforms.severity import Severity

HIGH = tuple(s for s in Severity if s.rank >= Severity.HIGH.rank)
MEDIUM_UP = tuple(s for s in Severity if s.rank >= Severity.MEDIUM.rank)
FINDING_COLUMNS = ["finding_uid", "rule_id", "severity", "event_date", "entity_type", "entity_id", "user_id",
                   "session_ids", "ips", "browsing_session_ids", "related_user_ids", "first_seen", "last_seen",
                   "incident_uid"]


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).replace(tzinfo=None)


def load_labels(path: Path) -> list[dict]:
    """The attacks of a simulator labels file (a JSON list; `{"attacks": [...]}` is also read)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    attacks = data.get("attacks", []) if isinstance(data, dict) else data
    return [a for a in attacks if isinstance(a, dict)]


def entities(attack: dict) -> dict[str, set[str]]:
    """The malicious accounts, sessions (app, ProConnect, browsing) and IPs of one label."""
    accounts = set()
    for acc in attack.get("malicious_accounts") or []:
        accounts.add(str(acc["actor_user_id"]) if isinstance(acc, dict) else str(acc))
    sessions = attack.get("malicious_sessions") or {}
    return {"user": accounts,
            "session": {str(s) for s in sessions.get("app_session_id", []) + sessions.get("pc_session_id", [])},
            "browsing": {str(s) for s in sessions.get("browsing_session_id", [])},
            "ip": {str(ip) for ip in attack.get("malicious_ips") or []}}


def _names(f: dict, ents: dict[str, set[str]]) -> bool:
    users = {f["user_id"]} | set(f["related_user_ids"] or [])
    if f["entity_type"] == "user":
        users.add(f["entity_id"])
    sessions = set(f["session_ids"] or []) | ({f["entity_id"]} if f["entity_type"] == "session" else set())
    ips = set(f["ips"] or []) | ({f["entity_id"]} if f["entity_type"] == "ip" else set())
    return bool(users & ents["user"] or sessions & ents["session"] or ips & ents["ip"]
                or set(f["browsing_session_ids"] or []) & ents["browsing"])


def _trap_index(world: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """account → trap names and IP → trap names, from the simulator's world.json."""
    by_account: dict[str, set[str]] = {}
    by_ip: dict[str, set[str]] = {}
    if not world.exists():
        return by_account, by_ip
    for trap in json.loads(world.read_text(encoding="utf-8")).get("traps", []):
        name = trap.get("trap", "?")
        accounts = list(trap.get("accounts") or []) + list(trap.get("mobile_accounts") or [])
        accounts += [trap["rgc"]] if trap.get("rgc") else []
        accounts += [i["account"] for i in trap.get("instances") or [] if isinstance(i, dict) and "account" in i]
        for acc in accounts:
            by_account.setdefault(str(acc), set()).add(name)
        ips = list(trap.get("ips") or []) + ([trap["office_nat"]] if trap.get("office_nat") else [])
        ips += [trap["site_ip"]] if trap.get("site_ip") else []
        ips += list((trap.get("regional_vpns") or {}).values()) if isinstance(trap.get("regional_vpns"), dict) else []
        for ip in ips:
            if isinstance(ip, str):
                by_ip.setdefault(ip, set()).add(name)
    return by_account, by_ip


def evaluate(lake: Path, labels: Path, key: PseudonymKey, memory_limit: str = DEFAULT_MEMORY_LIMIT,
             timezone: str = DEFAULT_TIMEZONE) -> dict:
    """One JSON-ready dict: per scenario and overall (see docs/detections.md for each key)."""
    attacks = load_labels(labels)
    conn = connect(Path(lake), memory_limit, timezone=timezone)
    try:
        rows = [dict(zip(FINDING_COLUMNS, f, strict=True)) for f in conn.execute(
            f"select {', '.join(FINDING_COLUMNS)} from findings").fetchall()]
        active = conn.execute("select count(distinct event_date), count(*) from account_daily "
                              "where not is_service").fetchall()[0]
        malicious_findings: set[str] = set()
        scenarios = []
        for attack in attacks:
            ents = entities(attack)
            start, end = _ts(attack["window_start"]), _ts(attack["window_end"])
            first_malicious = date.fromisoformat(attack.get("first_malicious_day") or str(start.date()))
            hits = []
            for f in rows:
                if _names(f, ents):
                    malicious_findings.add(f["finding_uid"])
                    if start.date() <= f["event_date"] <= end.date():
                        hits.append(f)
            first_day = min((f["event_date"] for f in hits), default=None)
            incident_ids = sorted({f["incident_uid"] for f in hits if f["incident_uid"]})
            labelled = {beneficiary_pseudonym(key, str(b)) for b in attack.get("exposed_beneficiaries", [])}
            counted: set[str] = set()
            flagged: set[str] = set()
            nir_counted = 0
            scope: dict = {}
            if incident_ids:
                found = conn.execute(
                    "select beneficiary_ref, bool_or(nir_exposed), bool_or(coalesce(in_flagged_sessions, true)) "
                    "from incident_beneficiaries where incident_uid in (select unnest($ids::varchar[])) group by 1",
                    {"ids": incident_ids}).fetchall()
                counted = {r[0] for r in found}
                flagged = {r[0] for r in found if r[2]}
                nir_counted = sum(bool(r[1]) for r in found)
                first, searched = conn.execute(
                    "select min(first_malicious_activity), min(scope_searched_from) from incidents "
                    "where incident_uid in (select unnest($ids::varchar[]))", {"ids": incident_ids}
                ).fetchone() or (None, None)
                scope = {"first_malicious_activity_found": str(first) if first else None,
                         "scope_searched_from": str(searched) if searched else None}
            n_lab = len(labelled)
            error = abs(len(counted) - n_lab) / n_lab if n_lab else 0.0
            scenarios.append({
                "id": attack.get("attack_id"), "scenario": attack.get("scenario"), "detected": bool(hits),
                "first_malicious_day": str(first_malicious),
                "first_detection_day": str(first_day) if first_day else None,
                "delay_days": (first_day - first_malicious).days if first_day else None,
                "rules": sorted({f["rule_id"] for f in hits}),
                "first_day_rules": sorted({f["rule_id"] for f in hits if f["event_date"] == first_day}),
                "incidents": incident_ids,
                "exposure_labelled": n_lab, "exposure_counted": len(counted),
                "exposure_flagged_sessions": len(flagged), "exposure_full_scope": len(counted), **scope,
                "flagged_error": round(abs(len(flagged) - n_lab) / n_lab, 4) if n_lab else 0.0,
                "exposure_overlap": len(counted & labelled), "exposure_error": round(error, 4),
                "nir_labelled": attack.get("exposed_with_nir"), "nir_counted": nir_counted,
            })
        high = [f for f in rows if f["severity"] in HIGH]
        fp_rows = [f for f in rows if f["severity"] in MEDIUM_UP and f["finding_uid"] not in malicious_findings]
        fp_medium = {(f["event_date"], f["entity_type"], f["entity_id"]) for f in fp_rows}
        days = max(active[0] or 0, 1)
        agents_per_day = (active[1] or 0) / days
        fp_rate = (len(fp_medium) / days) / (agents_per_day / 1000) if agents_per_day else 0.0
        detected = [s for s in scenarios if s["detected"]]
        by_account, by_ip = _trap_index(Path(labels).parent / "world.json")
        fp_traps: Counter[str] = Counter()
        for f in fp_rows:
            traps = set(by_account.get(f["user_id"] or "", set()))
            for ip in set(f["ips"] or []) | ({f["entity_id"]} if f["entity_type"] == "ip" else set()):
                traps |= by_ip.get(ip, set())
            fp_traps[f"{f['rule_id']} <- {'+'.join(sorted(traps)) or 'no trap'}"] += 1
        return {
            "recall": round(len(detected) / len(scenarios), 4) if scenarios else None,
            "precision_high": round(sum(f["finding_uid"] in malicious_findings for f in high) / len(high), 4)
            if high else None,
            "fp_per_day_per_1000_agents": round(fp_rate, 3),
            "fp_entities_medium_up": len(fp_medium),
            "max_exposure_error": max((s["exposure_error"] for s in scenarios), default=0.0),
            "days": days, "active_agents_per_day": round(agents_per_day, 1), "findings": len(rows),
            "findings_high": len(high),
            "false_positives_by_rule_and_trap": dict(fp_traps.most_common()),
            "false_positives": sorted(f"{d} {t}:{e}" for d, t, e in fp_medium)[:50],
            "scenarios": scenarios,
        }
    finally:
        conn.close()


def default(o: object) -> str:
    return o.isoformat() if isinstance(o, date | datetime) else str(o)
