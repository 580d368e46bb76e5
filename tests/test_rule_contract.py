"""The rule contract: a rule's file pasted into `vigie shell --day D` gives the runner's rows.

Why: rules read the day tables (`day_activity`, `day_sessions`, `day_history`...) that the
runner builds from `sql/detect/`; `vigie shell --day D` builds the same ones and binds
`$event_date` and the rule's default parameters, so an analyst can try or tune a rule by hand.
Through the real CLI (a subprocess fed on stdin), on the lake a backfill of `sample_logs/`
writes (the byte-identity test's key), built once for the module.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from transforms.detect.rules import RULES_DIR, load_rules

ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(ROOT / ".venv" / "bin" / "vigie")
KEY = "byte-identity-test-key-0123456789abcdef"
FIRST, LAST, DAY = "2025-11-17", "2025-11-30", "2025-11-24"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("contract")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIE_", "PREFECT_API_URL"))}
    env.update(VIGIE_CONFIG=str(root / "absent.toml"), VIGIE_PSEUDONYM_KEY=KEY,
               VIGIE_INBOX=str(ROOT / "sample_logs" / "inbox"), VIGIE_REFERENCE=str(ROOT / "sample_logs" / "reference"),
               VIGIE_LAKE=str(root / "lake"), VIGIE_REPORTS=str(root / "reports"), VIGIE_STATE=str(root / ".vigie"))
    done = subprocess.run([VIGIE, "backfill", "--from", FIRST, "--to", LAST], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


def _shell(env: dict[str, str], stdin: str, day: str = DAY) -> list[dict]:
    done = subprocess.run([VIGIE, "shell", "--day", day], input=stdin, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error:" not in done.stdout, done.stdout
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _findings(env: dict[str, str], rule_id: str, day: str = DAY) -> list[tuple]:
    conn = duckdb.connect()
    rows = conn.execute(
        "select entity_id, severity, session_ids from read_parquet($f) where rule_id = $r order by entity_id",
        {"f": str(Path(env["VIGIE_LAKE"]) / "findings" / f"event_date={day}" / "findings.parquet"),
         "r": rule_id}).fetchall()
    return [(e, s, sorted(ids)) for e, s, ids in rows]


def _as_findings(rows: list[dict], level: str) -> list[tuple]:
    return sorted((r["entity_id"], r.get("severity") or level, sorted(r.get("session_ids") or [])) for r in rows)


def test_a_rule_pasted_into_the_shell_gives_the_runners_findings(env):
    """The issue's acceptance test: session_multi_network pasted as is (its text, then `;`)."""
    text = (RULES_DIR / "session_multi_network.sql").read_text(encoding="utf-8")
    rows = _shell(env, ".mode json\n" + text.rstrip() + "\n;\n")
    want = _findings(env, "session_multi_network")
    assert want, "the sample day should have a session_multi_network finding"
    assert _as_findings(rows, "high") == want
    # piped as is, without the `;` (input that ends mid-statement runs it)
    assert _as_findings(_shell(env, ".mode json\n" + text), "high") == want


def test_every_rule_read_in_the_shell_gives_the_runners_findings(env):
    """`.read` of each rule file in one shell: the same entities, sessions and severities."""
    rules = load_rules()
    script = ".mode json\n" + "".join(
        f"select '{r.id}' as rule_marker;\n.read {RULES_DIR / (r.id + '.sql')}\n" for r in rules)
    rows = _shell(env, script)
    by_rule: dict[str, list[dict]] = {}
    current = None
    for row in rows:
        if "rule_marker" in row:
            current = row["rule_marker"]
            by_rule[current] = []
        else:
            assert current is not None
            by_rule[current].append(row)
    assert sorted(by_rule) == sorted(r.id for r in rules)
    found = 0
    for rule in rules:
        want = _findings(env, rule.id)
        found += len(want)
        assert _as_findings(by_rule[rule.id], rule.level) == want, rule.id
    assert found > 0


def test_a_statement_not_a_rule_gets_the_day_and_the_agreed_parameters(env):
    rows = _shell(env, ".mode json\nselect $event_date as d, $day as day, count(*) > 0 as some "
                       "from day_sessions;\n")
    assert rows == [{"d": DAY, "day": DAY, "some": True}]


def test_a_semicolon_in_a_comment_does_not_end_the_statement():
    """A rule's comment may end with `;` (new_device_network_bulk does): pasting goes on."""
    import io

    from transforms.workbench.shell import shell

    lines = iter([".mode json", "select 1 as a -- the first candidates;", ", $day_count as b", ";", ".quit"])
    out = io.StringIO()
    shell(duckdb.connect(), read=lambda _prompt: next(lines), out=out, params=lambda _sql: {"day_count": 2})
    assert [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")] == [{"a": 1, "b": 2}]
