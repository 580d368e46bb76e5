"""Gather one day's report from the lake: incidents, their stories, charts' data, run health.

Why everything from the lake: the report of a day must be the same whenever it is written
(tonight, or again next week), so it reads only data (findings and exposure up to that day,
the ingest manifest, the rules' metadata) and the saved facts of the night's run (late files,
rules that could not run), never the clock.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import yaml

from transforms import manifest
from transforms.lake import SQL_DIR, read_sql, sql_code, sql_in_list, used_params

RULES_DIR = SQL_DIR / "detections"
HISTORY_DAYS = 28


def rule_catalogue(rules_dir: Path = RULES_DIR) -> dict[str, dict]:
    """Each rule's metadata (`<rule_id>.yml`): title, level, tags, runbook..."""
    rules = {}
    for yml in sorted(Path(rules_dir).glob("*.yml")):
        try:
            meta = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            meta = {}
        rules[yml.stem] = meta
    return rules


def runbook_steps(meta: dict, lang: str) -> list[str]:
    """The rule's runbook as a list of steps (`runbook_<lang>` wins over `runbook`)."""
    raw = meta.get(f"runbook_{lang}") or meta.get("runbook") or []
    if isinstance(raw, str):
        return [line.strip(" -*\t") for line in raw.splitlines() if line.strip(" -*\t")]
    steps = []
    for item in raw:
        if isinstance(item, dict):
            steps.append(" — ".join(str(v) for v in item.values()))
        else:
            steps.append(str(item))
    return steps


def _rows(conn: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    sql = read_sql(f"report/{name}.sql")
    cursor = conn.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _read_events(conn: duckdb.DuckDBPyConnection, day: date, scopes: dict[str, list[dict]],
                 accounts: list[str], first_day: date | None = None) -> None:
    """The lake rows every incident's queries read, in one pass for all incidents (temp tables).

    Why: each incident's activity, sources and charts used to scan the whole lake once per query
    and incident: the report's cost grew with incidents × events.
    """
    sessions = sorted({s["session_id"] for scope in scopes.values() for s in scope})
    params = {"day": day, "history_days": HISTORY_DAYS, "first_day": first_day or day}
    lists = {"$session_list": sql_in_list(sessions), "$account_list": sql_in_list(sorted(set(accounts)))}
    for statement in read_sql("report/_incident_events.sql").split(";\n"):
        code = sql_code(statement)
        if code.strip():
            used = used_params(code, params)
            for name, literal in lists.items():  # after: a listed id is no parameter
                code = code.replace(name, literal)
            conn.execute(code, used)


def _incident(conn: duckdb.DuckDBPyConnection, inc: dict, day: date, rules: dict, lang: str,
              scope: list[dict]) -> dict:
    sessions = [s["session_id"] for s in scope]
    nets = [list(s["nets"]) for s in scope]
    scoped = {"day": day, "sessions": sessions, "nets": nets}
    activity = _rows(conn, "incident_activity", scoped)[0] if sessions else {}
    sources = _rows(conn, "incident_sources", scoped) if sessions else []
    account = inc["primary_account"]
    hours = _rows(conn, "account_hours", {"day": day, "user_id": account, "sessions": sessions,
                                          "history_days": HISTORY_DAYS}) if account else []
    days = _rows(conn, "account_days", {"day": day, "user_id": account}) if account else []
    runbooks = [{"rule_id": r, "title": _rule_title(rules, r, lang), "steps": runbook_steps(rules.get(r, {}), lang)}
                for r in inc["rule_ids"]]
    return {**inc, "activity": activity, "sources": sources, "hours": hours, "account_days": days,
            "runbooks": runbooks, "rule_titles": {r: _rule_title(rules, r, lang) for r in inc["rule_ids"]}}


def _rule_title(rules: dict, rule_id: str, lang: str) -> str:
    meta = rules.get(rule_id, {})
    return str(meta.get(f"title_{lang}") or meta.get("title") or rule_id)


def _health(conn: duckdb.DuckDBPyConnection, lake: Path, day: date, run_state: dict) -> dict:
    entries = sorted((e for e in manifest.load_all(lake) if str(day) in e.event_dates),
                     key=lambda e: e.source_file)
    files = [{"source_file": e.source_file, "source_kind": e.source_kind, "lines_read": e.lines_read,
              "rows_written": e.rows_written, "rows_quarantined": e.rows_quarantined,
              "warnings": list(e.warnings), "reference_missing": list(e.reference_missing)} for e in entries]
    names = [f["source_file"] for f in files]
    reasons = _rows(conn, "day_quarantine", {"files": names}) if names else []
    rules = run_state.get("rules") or []
    return {
        "files": files,
        "lines_read": sum(f["lines_read"] for f in files),
        "rows_written": sum(f["rows_written"] for f in files),
        "rows_quarantined": sum(f["rows_quarantined"] for f in files),
        "balanced": all(f["lines_read"] == f["rows_written"] + f["rows_quarantined"] for f in files),
        "quarantine_reasons": reasons,
        "late_files": sorted(run_state.get("late_files") or []),
        "rules_not_run": sorted((r for r in rules if r.get("status") != "ran"), key=lambda r: r["rule_id"]),
        "rules_ran": sum(1 for r in rules if r.get("status") == "ran"),
        "detection": run_state.get("detection") or {"status": "unknown"},
    }


def collect(conn: duckdb.DuckDBPyConnection, lake: Path, day: date, lang: str = "fr",
            run_state: dict | None = None) -> dict:
    """Everything the templates and the JSON outputs need for `day` (plain dicts and lists)."""
    rules = rule_catalogue()
    for rule_id, title in conn.execute("select rule_id, any_value(title) from findings where event_date "
                                       "between $day::date - 13 and $day::date group by 1", {"day": day}).fetchall():
        rules.setdefault(rule_id, {"title": title})
    day_incidents = _rows(conn, "day_incidents", {"day": day})
    scopes = {inc["incident_uid"]: _rows(conn, "incident_scope", {"day": day, "incident_uid": inc["incident_uid"]})
              for inc in day_incidents}
    _read_events(conn, day, scopes, [inc["primary_account"] for inc in day_incidents if inc["primary_account"]],
                 min((inc["first_day"] for inc in day_incidents), default=day))
    incidents = [_incident(conn, inc, day, rules, lang, scopes[inc["incident_uid"]]) for inc in day_incidents]
    findings = _rows(conn, "day_findings", {"day": day})
    trend_rows = _rows(conn, "rule_trend", {"day": day})
    trend: dict[str, dict] = {}
    for row in trend_rows:
        entry = trend.setdefault(row["rule_id"], {
            "rule_id": row["rule_id"], "title": _rule_title(rules, row["rule_id"], lang),
            "counts": [], "days": [], "severity_rank": 0})
        entry["counts"].append(row["findings"])
        entry["days"].append(row["event_date"])
        entry["severity_rank"] = max(entry["severity_rank"], row["severity_rank"])
    exposed = {inc["incident_uid"]: _rows(conn, "exposed", {"day": day, "incident_uid": inc["incident_uid"]})
               for inc in incidents}
    people = {r["beneficiary_ref"]: r["nir_exposed"] for rows in exposed.values() for r in rows}
    by_severity: dict[str, int] = {}
    for inc in incidents:
        by_severity[inc["severity"]] = by_severity.get(inc["severity"], 0) + 1
    return {
        "day": day,
        "lang": lang,
        "incidents": incidents,
        "findings": findings,
        "by_severity": by_severity,
        "people_exposed": len(people) or sum(i["beneficiaries_exposed"] for i in incidents),
        "people_with_nir": sum(1 for nir in people.values() if nir) or
        sum(i["beneficiaries_with_nir"] for i in incidents),
        "newly_exposed": sum(i["newly_exposed"] for i in incidents),
        "activity": _rows(conn, "day_activity", {"day": day})[0],
        "trend": sorted(trend.values(), key=lambda t: (-t["severity_rank"], t["rule_id"])),
        "exposed": exposed,
        "health": _health(conn, lake, day, run_state or {}),
        "rules": rules,
    }


def dumps(value: object) -> str:
    """Deterministic JSON for the report's files."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1, default=str)
