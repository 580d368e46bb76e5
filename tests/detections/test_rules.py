"""Every rule against its cases, and the simulated world's attacks and traps.

Each case (tests/detections/<rule>/cases/<case>/, rule_cases.py) carries its raw log lines and
its expected result; the test ingests them through the real ingest into a fresh lake and runs
the real runner for the expected day. Then the session's world: every rule ran every night,
every labelled attack is found, and no innocent account of the world is flagged by any rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rule_cases

from transforms.detect.rules import load_rules

RULES = [r.id for r in load_rules()]
CASES = rule_cases.case_dirs()
TRAPS = ("heavy_users", "month_end_exports", "campaign_day", "shared_egress", "laptop_move", "auto_update",
         "travel", "mobile_and_ipv6", "onboarding", "service_accounts", "sp_back_channel")


def _cases(rule_id: str) -> list[dict]:
    return [rule_cases.expected(c) for c in CASES if c.parent.parent.name == rule_id]


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_has_cases_and_metadata(rule_id):
    """Meta-test: a rule without a positive and a negative case or a yml field fails."""
    cases = _cases(rule_id)
    assert any(c["kind"] == "positive" for c in cases), f"{rule_id}: no positive in tests/detections/{rule_id}/cases/"
    assert any(c["kind"] == "negative" for c in cases), f"{rule_id}: no negative in tests/detections/{rule_id}/cases/"
    for case in cases:
        assert case["rule"] == rule_id and case["why"]
        assert case.get("severity" if case["kind"] == "positive" else "trap"), case
    rule = next(r for r in load_rules() if r.id == rule_id)  # the model checks every field
    assert rule.attack, f"{rule_id}.yml tags no ATT&CK technique (attack.tNNNN)"


def test_every_trap_is_a_negative_somewhere():
    traps = {rule_cases.expected(c).get("trap") for c in CASES}
    assert not set(TRAPS) - traps, f"traps in no negative case: {sorted(set(TRAPS) - traps)}"


def test_cases_stay_small():
    sizes = {c: (c / "events.jsonl.gz").stat().st_size for c in CASES}
    assert sum(sizes.values()) < 1_000_000, sum(sizes.values())
    assert max(sizes.values()) < 100_000, max(sizes.items(), key=lambda kv: kv[1])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.parent.name}/{c.name}")
def test_case(case: Path, tmp_path: Path):
    from datetime import date

    expected = rule_cases.expected(case)
    findings = rule_cases.run(rule_cases.read_events(case), expected["rule"], date.fromisoformat(str(expected["day"])),
                              tmp_path)
    problem = rule_cases.verdict(expected, findings)
    assert problem is None, problem


def test_no_rule_failed_on_any_night(world_lake):
    assert len(world_lake["detections"]) == len(world_lake["days"])
    for night in world_lake["detections"]:
        assert all(r["status"] == "ran" for r in night["rules"]), [r["message"] for r in night["rules"]]


def test_every_attack_is_found_and_no_innocent_account_flagged(world_lake, findings):
    world = world_lake["world"]
    attackers = {a["actor_user_id"]: lab["scenario"] for lab in world.labels for a in lab["malicious_accounts"]}
    flagged = {f["user_id"] for f in findings}
    assert not flagged - set(attackers), f"innocent accounts flagged: {sorted(flagged - set(attackers))}"
    found = {attackers[u] for u in flagged}
    assert found == {lab["scenario"] for lab in world.labels}, found
