"""Rule metadata: one pydantic model and one loader; a bad file stops everything, named."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import get_args

import pytest

from transforms.detect.rules import REQUIREMENTS_DIR, RULES_DIR, Requirement, RuleFileError, load_rules
from transforms.report.collect import rule_catalogue
from transforms.severity import Severity


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    for name in ("session_multi_network.yml", "session_multi_network.sql"):
        shutil.copy(RULES_DIR / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_rule_loads_with_sigma_vocabulary():
    rules = load_rules()
    assert len(rules) >= 16
    for rule in rules:
        assert rule.meta.level in {s.value for s in Severity}
        assert all("_" not in tag for tag in rule.meta.tags), rule.id  # attack.credential-access
        assert not any(ref.rstrip("/") == "https://attack.mitre.org" for ref in rule.meta.references), rule.id
        for technique in rule.attack:  # each technique's own page is referenced
            page = "https://attack.mitre.org/techniques/" + technique.replace(".", "/") + "/"
            assert page in rule.meta.references, (rule.id, page)
        assert rule.meta.modified >= rule.meta.date


def test_each_requirement_has_its_check():
    assert sorted(p.stem for p in REQUIREMENTS_DIR.glob("*.sql")) == sorted(get_args(Requirement))


@pytest.mark.parametrize(("old", "new", "named"), [
    ("level: high", "level: severe", "field `level`"),
    ("status: experimental", "status: production", "field `status`"),
    ("  - attack.credential-access", "  - attack.credential_access", "field `tags.0`"),
    ("author: Vigie", "author: Vigie\nseverity: high", "field `severity`: Extra inputs are not permitted"),
    ("    default: 4", "    default: 4\n    min: 1", "field `parameters.interleave_switches.min`"),
    ("date: 2026-11-23", "date: someday", "field `date`"),
    ("title: One app", "title: [One app", "not valid YAML"),
])
def test_a_bad_rule_file_is_an_error_naming_file_and_field(rules_dir: Path, old: str, new: str, named: str):
    _edit(rules_dir / "session_multi_network.yml", old, new)
    with pytest.raises(RuleFileError, match="session_multi_network.yml") as err:
        load_rules(rules_dir)
    assert named in str(err.value)
    with pytest.raises(RuleFileError):  # the report's catalogue reads through the same loader
        rule_catalogue(rules_dir)


def test_a_parameter_the_sql_does_not_use_is_an_error(rules_dir: Path):
    _edit(rules_dir / "session_multi_network.sql", "$interleave_switches", "4")
    with pytest.raises(RuleFileError, match="field `parameters`: interleave_switches not used"):
        load_rules(rules_dir)


def test_a_rule_needs_both_files(rules_dir: Path):
    (rules_dir / "session_multi_network.yml").unlink()
    with pytest.raises(RuleFileError, match="without a .yml"):
        load_rules(rules_dir)
