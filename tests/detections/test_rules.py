"""Every rule against its fixtures: positives must be found, traps must not be."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.detect.rules import load_rules

HERE = Path(__file__).parent
RULES = [r.id for r in load_rules()]


def cases(rule_id: str) -> dict:
    path = HERE / rule_id / "cases.yml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_has_fixtures_and_metadata(rule_id):
    """Meta-test: a rule without positive and negative fixtures or a yml field fails."""
    c = cases(rule_id)
    assert c.get("positive"), f"{rule_id}: no positive fixture in tests/detections/{rule_id}/cases.yml"
    assert c.get("negative"), f"{rule_id}: no negative fixture in tests/detections/{rule_id}/cases.yml"
    rule = next(r for r in load_rules() if r.id == rule_id)  # the model checks every field
    assert rule.attack, f"{rule_id}.yml tags no ATT&CK technique (attack.tNNNN)"


def test_every_trap_is_a_negative_somewhere():
    whys = " ".join(n["why"] for r in RULES for n in cases(r).get("negative", []))
    for trap in range(1, 9):
        assert f"trap {trap}:" in whys, f"trap {trap} appears in no negative fixture"


@pytest.mark.parametrize("rule_id", RULES)
def test_positives_found(rule_id, findings):
    hit = {f["user_id"] for f in findings if f["rule_id"] == rule_id}
    for case in cases(rule_id)["positive"]:
        assert case["user_id"] in hit, f"{rule_id} missed {case['user_id']} ({case['why']})"


@pytest.mark.parametrize("rule_id", RULES)
def test_negatives_quiet(rule_id, findings):
    hit = {f["user_id"] for f in findings if f["rule_id"] == rule_id}
    for case in cases(rule_id)["negative"]:
        assert case["user_id"] not in hit, f"{rule_id} flagged {case['user_id']} ({case['why']})"


def test_no_rule_failed(world_lake):
    for summary in world_lake["summaries"]:
        assert all(r.status == "ran" for r in summary.rules), [r.message for r in summary.rules]
