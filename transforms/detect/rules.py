"""A rule's metadata (`sql/detections/<rule_id>.yml`): one pydantic model, one loader.

Why: the runner, the report and the tests read the same files; a field they disagree on, or
a YAML error one of them swallowed, used to go unnoticed. `load_rules` is the only reader:
a YAML or schema error stops it with the file and the field named. The vocabulary is
Sigma's (levels, status lifecycle, `date`/`modified`, `attack.<tactic-name>` and
`attack.tNNNN[.NNN]` tags), plus what the report needs (`title_fr`, `runbook_fr`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from transforms.lake.sql import SQL_DIR, used_params
from transforms.severity import Severity

RULES_DIR = SQL_DIR / "detections"
REQUIREMENTS_DIR = SQL_DIR / "detect" / "requires"

Status = Literal["experimental", "test", "stable", "deprecated", "unsupported"]
# What a rule can declare it needs; sql/detect/requires/<name>.sql counts that data for a day.
Requirement = Literal["app", "proconnect", "asn", "geo", "network_tags"]
# Sigma's tags: ATT&CK tactics by name (hyphenated) and techniques by id (lower case).
Tag = Annotated[str, StringConstraints(pattern=r"^attack\.(t\d{4}(\.\d{3})?|[a-z]+(-[a-z]+)*)$")]
Text = Annotated[str, StringConstraints(min_length=1)]
Url = Annotated[str, StringConstraints(pattern=r"^https://\S+$")]


class Parameter(BaseModel):
    """A threshold the SQL names as `$name`; overrides may change its value, never its type."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    default: bool | int | float | str
    description: Text


class RuleMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    title: Text
    title_fr: Text
    status: Status
    description: Text
    author: Text
    date: dt.date
    modified: dt.date
    level: Severity  # Sigma's levels (transforms/severity.py)
    confidence: float = Field(default=0.7, ge=0, le=1)
    tags: list[Tag] = Field(min_length=1)
    requires: list[Requirement] = Field(min_length=1)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    cold_start: Text
    falsepositives: list[Text] = Field(min_length=1)
    runbook: list[Text] = Field(min_length=1)
    runbook_fr: list[Text] = Field(min_length=1)
    references: list[Url] = Field(min_length=1)


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Rule:
    id: str
    meta: RuleMeta
    sql: str

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def level(self) -> str:
        return self.meta.level

    @property
    def attack(self) -> list[str]:
        """ATT&CK technique ids (`T1539`, `T1550.004`) from the tags."""
        return [t.removeprefix("attack.").upper() for t in self.meta.tags if re.match(r"attack\.t\d", t)]

    def parameters(self, overrides: dict | None = None) -> dict:
        params: dict = {name: p.default for name, p in self.meta.parameters.items()}
        params.update((overrides or {}).get(self.id, {}))
        return params


def load_meta(path: Path) -> RuleMeta:
    """One `.yml`, validated; a YAML or schema error names the file, line or field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RuleFileError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        meta = RuleMeta.model_validate(raw)
    except ValidationError as exc:
        errors = "; ".join(f"field `{'.'.join(str(p) for p in e['loc']) or '(root)'}`: {e['msg']}"
                           for e in exc.errors())
        raise RuleFileError(f"{path}: {errors}") from None
    if meta.id != path.stem:
        raise RuleFileError(f"{path}: field `id`: {meta.id!r} differs from the file name")
    return meta


def load_rule(yml: Path) -> Rule:
    meta = load_meta(yml)
    sql_file = Path(yml).with_suffix(".sql")
    if not sql_file.exists():
        raise RuleFileError(f"{yml}: rule {meta.id} has a .yml but no .sql")
    sql = sql_file.read_text(encoding="utf-8")
    unused = sorted(set(meta.parameters) - set(used_params(sql, dict(meta.parameters))))
    if unused:
        raise RuleFileError(f"{yml}: field `parameters`: {', '.join(unused)} not used in {sql_file.name}")
    return Rule(meta.id, meta, sql)


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    """Every rule pair in the folder, in id order; a missing half or a bad field is an error."""
    rules_dir = Path(rules_dir)
    orphans = sorted({p.stem for p in rules_dir.glob("*.sql")} - {p.stem for p in rules_dir.glob("*.yml")})
    if orphans:
        raise RuleFileError(f"{rules_dir}: {', '.join(o + '.sql' for o in orphans)} without a .yml")
    return [load_rule(yml) for yml in sorted(rules_dir.glob("*.yml"))]
