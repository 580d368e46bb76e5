"""findings.jsonl against the official OCSF 1.4.0 schema (compiled with the OCSF project's own
compiler, ocsf-lib) and the points a SIEM's parser relies on beyond the schema's types."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "ocsf"))

from validate import validate  # noqa: E402

from transforms.report import write_report  # noqa: E402


@pytest.fixture(scope="module")
def events(world_lake, tmp_path_factory) -> list[dict]:
    """Every finding of the rule-test world, through the report writer (the real path)."""
    reports = tmp_path_factory.mktemp("reports")
    out = []
    for day in world_lake["days"]:
        folder = Path(write_report(world_lake["lake"], reports, day).folder)
        out += [json.loads(line) for line in (folder / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    return out


def test_every_rule_has_findings_to_check(events):
    assert len({e["finding_info"]["analytic"]["uid"] for e in events}) >= 12


def test_findings_validate_against_the_ocsf_schema(events):
    errors = sorted({error for e in events for error in validate(e)})
    assert errors == []


def test_profiles_captions_and_recommended_attributes(events):
    for e in events:
        assert {"host", "security_control"} <= set(e["metadata"]["profiles"])  # actor; attacks, confidence
        assert e["metadata"]["product"]["version"]
        assert e["confidence_id"] in (1, 2, 3)
        assert e["severity"] in ("Informational", "Low", "Medium", "High", "Critical")
        for attack in e["finding_info"].get("attacks", []):
            assert attack["version"]
            assert re.fullmatch(r"T\d{4}", attack["technique"]["uid"])
            if "sub_technique" in attack:
                assert re.fullmatch(r"T\d{4}\.\d{3}", attack["sub_technique"]["uid"])
                assert attack["sub_technique"]["uid"].startswith(attack["technique"]["uid"] + ".")


def test_sub_techniques_are_written_as_such(events):
    subs = {a["sub_technique"]["uid"] for e in events for a in e["finding_info"].get("attacks", [])
            if "sub_technique" in a}
    assert "T1550.004" in subs


def test_no_unexpanded_parameter_in_any_text(events):
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    left = {m for e in events for s in strings({k: v for k, v in e.items() if k != "unmapped"})
            for m in re.findall(r"\$[a-z_]+", s)}
    assert left == set()
