"""A Vigie finding as an OCSF Detection Finding (class 2004), one JSON object per line.

Why OCSF: the SOC's SIEM already ingests OCSF; the lake's columns are documented against it
(docs/lake.md), so a finding lands in the SIEM with the same names the analysts query.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
OCSF_VERSION = "1.4.0"


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    return int(value.replace(tzinfo=UTC).timestamp() * 1000)


def _json(value: object) -> object:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def detection_finding(f: dict, rule: dict) -> dict:
    """One finding row (lake `findings`) and its rule's metadata → an OCSF 2004 event."""
    severity = f.get("severity") or "info"
    techniques = [{"technique": {"uid": t}} for t in (f.get("attack") or [])]
    resources = [{"type": f["entity_type"], "uid": f["entity_id"]}]
    resources += [{"type": "session", "uid": s} for s in (f.get("session_ids") or [])]
    resources += [{"type": "ip", "uid": ip} for ip in (f.get("ips") or [])]
    event = {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": _ms(f.get("last_seen")),
        "severity_id": SEVERITY_ID.get(severity, 0),
        "severity": severity.capitalize(),
        "status_id": 1,
        "status": "New",
        "confidence_score": round(float(f.get("confidence") or 0) * 100),
        "is_alert": severity in ("medium", "high", "critical"),
        "message": f.get("title"),
        "metadata": {"version": OCSF_VERSION, "uid": f["finding_uid"],
                     "product": {"name": "Vigie", "vendor_name": "Vigie"},
                     "correlation_uid": f.get("incident_uid")},
        "finding_info": {
            "uid": f["finding_uid"],
            "title": f.get("title"),
            "desc": (rule.get("description") or "").strip() or None,
            "types": [f["rule_id"]],
            "analytic": {"uid": f["rule_id"], "name": f.get("title"), "type_id": 1, "type": "Rule"},
            "attacks": techniques,
            "first_seen_time": _ms(f.get("first_seen")),
            "last_seen_time": _ms(f.get("last_seen")),
            "related_events_count": None,
        },
        "actor": {"user": {"uid": f.get("user_id")},
                  **({"session": {"uid": f["session_ids"][0]}} if f.get("session_ids") else {})},
        "resources": resources,
        "evidences": [{"data": _json(f.get("evidence"))}] if f.get("evidence") else [],
        "unmapped": {"org_siret": f.get("org_siret"), "beneficiaries_exposed": f.get("beneficiaries_exposed"),
                     "metrics": _json(f.get("metrics")), "event_date": str(f.get("event_date")),
                     "browsing_session_ids": list(f.get("browsing_session_ids") or []),
                     "related_user_ids": list(f.get("related_user_ids") or [])},
    }
    event["finding_info"] = {k: v for k, v in event["finding_info"].items() if v is not None}
    return event
