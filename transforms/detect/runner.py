"""The generic detection runner: every `sql/detections/<rule_id>.sql` + `.yml` pair, one day.

Why generic: a rule is SQL plus metadata, so analysts add or tune one without Python. The
runner binds `$event_date` and the rule's parameters, adds the columns every finding shares
(uid, rule metadata, exposure, evidence) and writes the day's findings in one atomic file, so
re-running a day replaces its findings with the same uids.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from transforms.detect import dayset
from transforms.detect.rules import RULES_DIR, Rule, load_rules
from transforms.lake.atomic import new_tmp_dir, publish
from transforms.lake.layout import partition_dir
from transforms.lake.sql import read_sql, sql_in_list, sql_string, used_params
from transforms.workbench import triage

__all__ = ["RULES_DIR", "DetectSummary", "Rule", "RuleResult", "load_rules", "run_rule", "run_rules",
           "write_findings"]

# Columns a rule's query must return; the runner fills the optional ones when absent.
REQUIRED_COLUMNS = ("entity_type", "entity_id", "user_id", "first_seen", "last_seen", "metrics")
OPTIONAL_COLUMNS = {
    "org_siret": "null::varchar", "severity": "null::varchar", "confidence": "null::double",
    "session_ids": "[]::varchar[]", "ips": "[]::varchar[]", "browsing_session_ids": "[]::varchar[]",
    "related_user_ids": "[]::varchar[]", "exposure_nets": "[]::varchar[]", "evidence": "null::json",
}


@dataclass
class RuleResult:
    rule_id: str
    status: str  # ran | skipped | failed
    findings: int = 0
    seconds: float = 0.0
    message: str = ""


@dataclass
class DetectSummary:
    """What `run_day` did; the CLI and the nightly flow print it."""

    day: date
    rules: list[RuleResult] = field(default_factory=list)
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    incidents: int = 0
    baseline_days: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> list[RuleResult]:
        return [r for r in self.rules if r.status == "skipped"]


def missing_requirements(conn: duckdb.DuckDBPyConnection, rule: Rule, day: date,
                         known: dict[str, bool] | None = None) -> list[str]:
    """The rule's `requires` with no data for the day; `known` caches each check for one run."""
    known = {} if known is None else known
    missing: list[str] = []
    for need in rule.meta.requires:
        if need not in known:  # sql/detect/requires/<need>.sql counts that data for the day
            check = read_sql(f"detect/requires/{need}.sql")
            known[need] = bool(conn.execute(check, {"event_date": day}).fetchall()[0][0])
        if not known[need]:
            missing.append(need)
    return missing


def run_rule(conn: duckdb.DuckDBPyConnection, rule: Rule, day: date, overrides: dict | None = None) -> int:
    """Run one rule for one day into the temp table `rule_rows`; return its row count."""
    params = {"event_date": day, **rule.parameters(overrides)}
    conn.execute("create or replace temp table rule_out as " + rule.sql, used_params(rule.sql, params))
    columns = {row[0] for row in conn.execute("describe rule_out").fetchall()}
    absent = [c for c in REQUIRED_COLUMNS if c not in columns]
    if absent:
        raise ValueError(f"rule {rule.id} returns no column(s) {', '.join(absent)}")
    fill = "".join(f", {expr} as {name}" for name, expr in OPTIONAL_COLUMNS.items() if name not in columns)
    conn.execute(read_sql("detect/rule_envelope.sql").replace("$optional_columns", fill),
                 {"rule_id": rule.id, "title": rule.title, "level": rule.level,
                  "confidence": float(rule.meta.confidence), "attack": rule.attack})
    return conn.execute("select count(*) from rule_out").fetchall()[0][0]


def run_rules(conn: duckdb.DuckDBPyConnection, day: date, rules: list[Rule],
              overrides: dict | None = None) -> list[RuleResult]:
    """Every rule into `rule_rows`; a rule lacking enrichment is skipped, a failing one reported."""
    conn.execute(read_sql("detect/rule_rows.sql"))
    dayset.context(conn, day)  # the day's activity, history, peers and logins, once for every rule
    known: dict[str, bool] = {}
    results = []
    for rule in rules:
        started = time.monotonic()
        missing = missing_requirements(conn, rule, day, known)
        if missing:
            results.append(RuleResult(rule.id, "skipped", message="skipped: needs " + ", ".join(missing)))
            continue
        try:
            n = run_rule(conn, rule, day, overrides)
            results.append(RuleResult(rule.id, "ran", n, round(time.monotonic() - started, 3)))
        except duckdb.Error as exc:
            results.append(RuleResult(rule.id, "failed", message=f"failed: {exc}".splitlines()[0]))
    return results


def write_findings(conn: duckdb.DuckDBPyConnection, lake: Path, day: date) -> int:
    """Complete `rule_rows` (uid, exposure, evidence) and publish the day's file in one rename.

    Rows an analyst's suppression covers are held back first (`lake/suppressed/`)."""
    triage.apply_suppressions(conn, day)
    dayset.activity(conn, day)
    sessions = [row[0] for row in conn.execute(
        "select distinct s from (select unnest(session_ids) as s from rule_rows) where s is not null order by s"
    ).fetchall()]
    conn.execute(read_sql("detect/complete_findings.sql").replace("$session_list", sql_in_list(sessions)),
                 {"event_date": day})
    dayset.drop(conn)  # the rules are done with the day's working set
    tmp = new_tmp_dir(lake)
    try:
        staged = tmp / "findings.parquet"
        conn.execute("copy (select * exclude (severity_rank) from day_findings "
                     "order by severity_rank desc, rule_id, entity_id) "
                     f"to {sql_string(str(staged))} (format parquet, compression zstd)")
        publish(staged, partition_dir(lake, "findings", str(day)) / "findings.parquet")
        triage.write_suppressed(conn, lake, day)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return conn.execute("select count(*) from day_findings").fetchall()[0][0]
