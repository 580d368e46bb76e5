"""One story per incident: its behaviour, severity, headline and one merged action plan.

Why per incident and not per rule: an analyst reads an incident, not nine rules. The most
specific behaviour the incident shows (account-manager chain > session hijack > mass
extraction > slow extraction > automation > off hours > administration > travel) names it;
its other behaviours qualify the headline; the action plan is the union of the steps its
behaviours call for (`playbook.yml`), each once, containment first, then scoping, then
notification.

Severity (documented in docs/detections.md) is the higher of two levels:

- behaviour: account-manager chain critical; session hijack, mass or slow extraction high;
  the others medium (a single rule's level no longer decides alone);
- exposure, the people whose records the attacker read: ≥ 1,000 people or ≥ 100 with their
  NIR critical; ≥ 100 or ≥ 10 with NIR high; ≥ 10 or any NIR medium; else low.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from transforms.severity import Severity

PLAYBOOK = Path(__file__).with_name("playbook.yml")
PHASES = ("contain", "scope", "notify")
MAX_QUALIFIERS = 2  # a headline, not a list of rules


@cache
def playbook() -> dict:
    return yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))


def behaviours(rule_ids: list[str]) -> list[dict]:
    """The incident's behaviours, most specific first."""
    rules = set(rule_ids)
    return [b for b in playbook()["behaviours"] if rules & set(b["rules"])]


def exposure_level(people: int, nir: int) -> Severity:
    if people >= 1000 or nir >= 100:
        return Severity.CRITICAL
    if people >= 100 or nir >= 10:
        return Severity.HIGH
    if people >= 10 or nir >= 1:
        return Severity.MEDIUM
    return Severity.LOW


def severity(rule_ids: list[str], people: int, nir: int, fallback: str = "low") -> str:
    """The higher of the behaviour's level and the exposure's (see the module's docstring)."""
    found = behaviours(rule_ids)
    behaviour = found[0]["level"] if found else fallback
    return Severity.highest(behaviour, exposure_level(people or 0, nir or 0)).value


def headline(rule_ids: list[str], lang: str, fallback: str = "") -> str:
    found = behaviours(rule_ids)
    if not found:
        return fallback
    text = found[0][f"headline_{lang}"]
    qualifiers = playbook()["qualifiers"]
    redundant = set(found[0].get("implies") or [])
    extra = [qualifiers[b["id"]][lang] for b in found[1:] if b["id"] in qualifiers and b["id"] not in redundant]
    extra = extra[:MAX_QUALIFIERS]
    return text + (" — " + ", ".join(extra) if extra else "")


def action_plan(inc: dict, lang: str, values: dict[str, str]) -> list[dict]:
    """The incident's one plan: [{phase, id, text}], each step once, contain → scope → notify.

    `values` fills the steps' placeholders ({actors}, {created}, {attacker_ips}...); a step
    whose placeholder has no value for this incident is left out.
    """
    found = {b["id"] for b in behaviours(inc.get("rule_ids") or [])}
    if values.get("attacker_ips"):
        found.add("attacker_ips")
    plan = []
    for phase in PHASES:
        for step in playbook()["steps"]:
            if step["phase"] != phase:
                continue
            when = set(step["when"])
            if "any" not in when and not when & found:
                continue
            try:
                text = step[lang].format(**values)
            except KeyError:
                continue
            if any(f"{{{k}}}" in step[lang] and not values.get(k) for k in values):
                continue  # a step about created accounts, for an incident without any
            plan.append({"phase": phase, "id": step["id"], "text": text})
    return plan
