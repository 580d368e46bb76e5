"""A Vigie finding as an OCSF Detection Finding (class 2004), one JSON object per line.

Why OCSF: the SOC's SIEM already ingests OCSF; the lake's columns are documented against it
(docs/lake.md), so a finding lands in the SIEM with the same names the analysts query.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from transforms.severity import Severity

SEVERITY_ID = {s.value: s.rank + 1 for s in Severity}  # OCSF: 1 Informational … 5 Critical
# The schema's captions for severity_id (the sibling `severity` must be the caption).
SEVERITY_CAPTION = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
CONFIDENCE_CAPTION = {1: "Low", 2: "Medium", 3: "High"}
OCSF_VERSION = "1.4.0"
# Profiles whose attributes the event uses: `actor` comes with `host`; `attacks`,
# `confidence*`, `is_alert` with `security_control`.
PROFILES = ["host", "security_control"]
ATTACK_VERSION = "v16"  # the ATT&CK matrix the rules' tags are written against
TECHNIQUES = {
    "T1029": "Scheduled Transfer", "T1059": "Command and Scripting Interpreter", "T1078": "Valid Accounts",
    "T1098": "Account Manipulation", "T1119": "Automated Collection", "T1136": "Create Account",
    "T1213": "Data from Information Repositories", "T1530": "Data from Cloud Storage",
    "T1539": "Steal Web Session Cookie", "T1550": "Use Alternate Authentication Material",
    "T1550.004": "Web Session Cookie", "T1555": "Credentials from Password Stores",
    "T1555.003": "Credentials from Web Browsers", "T1567": "Exfiltration Over Web Service",
}
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def product_version() -> str:
    try:
        return metadata.version("vigie")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree not installed
        return "0.0.0"


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


def attack(tag: str) -> dict:
    """`T1550.004` → technique T1550 with its sub-technique (OCSF `attack` object)."""
    technique, _, sub = tag.upper().partition(".")
    named = {"name": TECHNIQUES[technique]} if technique in TECHNIQUES else {}
    out: dict = {"technique": {"uid": technique, **named}, "version": ATTACK_VERSION}
    if sub:
        uid = f"{technique}.{sub}"
        out["sub_technique"] = {"uid": uid, **({"name": TECHNIQUES[uid]} if uid in TECHNIQUES else {})}
    return out


def expand(text: str, params: dict) -> str:
    """A rule's description with its `$parameter`s replaced by the values the rule ran with."""
    return _PARAM.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), text)


def rule_parameters(rule: dict) -> dict:
    return {name: spec.get("default") if isinstance(spec, dict) else spec
            for name, spec in (rule.get("parameters") or {}).items()}


def confidence_id(confidence: float) -> int:
    """The rule's 0-1 confidence as the schema's Low (< 0.5), Medium (< 0.8) or High."""
    return 1 if confidence < 0.5 else 2 if confidence < 0.8 else 3


def detection_finding(f: dict, rule: dict, version: str | None = None) -> dict:
    """One finding row (lake `findings`) and its rule's metadata → an OCSF 2004 event."""
    severity_id = SEVERITY_ID.get(f.get("severity") or Severity.INFORMATIONAL, 1)
    confidence = float(f.get("confidence") or 0)
    resources = [{"type": f["entity_type"], "uid": f["entity_id"]}]
    resources += [{"type": "session", "uid": s} for s in (f.get("session_ids") or [])]
    resources += [{"type": "ip", "uid": ip, "ip": ip} for ip in (f.get("ips") or [])]
    description = expand((rule.get("description") or "").strip(), rule_parameters(rule))
    event: dict[str, Any] = {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": _ms(f.get("last_seen")) or _ms(f.get("first_seen")),
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTION[severity_id],
        "status_id": 1,
        "status": "New",
        "confidence_id": confidence_id(confidence),
        "confidence": CONFIDENCE_CAPTION[confidence_id(confidence)],
        "confidence_score": round(confidence * 100),
        "is_alert": severity_id >= 3,
        "message": f.get("title"),
        "metadata": {"version": OCSF_VERSION, "uid": f["finding_uid"], "profiles": PROFILES,
                     "product": {"name": "Vigie", "vendor_name": "Vigie", "version": version or product_version()},
                     **({"correlation_uid": f["incident_uid"]} if f.get("incident_uid") else {})},
        "finding_info": {
            "uid": f["finding_uid"],
            "title": f.get("title"),
            "desc": description or None,
            "types": [f["rule_id"]],
            "analytic": {"uid": f["rule_id"], "name": f.get("title"), "type_id": 1, "type": "Rule"},
            "attacks": [attack(t) for t in (f.get("attack") or [])],
            "first_seen_time": _ms(f.get("first_seen")),
            "last_seen_time": _ms(f.get("last_seen")),
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
    event["finding_info"] = {k: v for k, v in event["finding_info"].items() if v not in (None, [])}
    if not event["evidences"]:
        del event["evidences"]
    if event["actor"]["user"]["uid"] is None:
        del event["actor"]
    return event
