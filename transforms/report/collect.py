"""Gather one day's report from the lake: incidents, their stories, charts' data, run health.

Why everything from the lake: the report of a day must be the same whenever it is written
(tonight, or again next week), so it reads only data (findings and exposure up to that day,
the ingest manifest, the rules' metadata) and the saved facts of the night's run (late files,
rules that could not run), never the clock.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from transforms.detect.rules import RULES_DIR, load_rules
from transforms.lake import manifest
from transforms.lake.duck import DEFAULT_TIMEZONE
from transforms.lake.sql import read_sql, sql_code, sql_in_list, used_params
from transforms.report import story
from transforms.severity import Severity
from transforms.workbench import triage

HISTORY_DAYS = 28


def rule_catalogue(rules_dir: Path = RULES_DIR) -> dict[str, dict]:
    """Each rule's metadata (`<rule_id>.yml`, read by the runner's loader: a bad file stops the
    report with its name and field) as plain values: title, level, tags, runbook..."""
    return {rule.id: rule.meta.model_dump(mode="json") for rule in load_rules(rules_dir)}


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


def org_names(reference: Path | None) -> dict[str, str]:
    """SIRET → organisation name from the reference folder's `orgs.csv` (empty when absent)."""
    path = Path(reference) / "orgs.csv" if reference else None
    if path is None or not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["siret"]: row["name"] for row in csv.DictReader(handle) if row.get("siret") and row.get("name")}


def _rows(conn: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    sql = read_sql(f"report/{name}.sql")
    cursor = conn.execute(sql, used_params(sql, params))
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


def lake_start(lake: Path) -> date | None:
    """The lake's first day (from the ingest manifest): charts draw no data before it, not zero."""
    days = [d for e in manifest.load_all(lake) for d in e.event_dates if d not in (e.purged_dates or [])]
    return date.fromisoformat(min(days)) if days else None


def _incident(conn: duckdb.DuckDBPyConnection, inc: dict, day: date, rules: dict, lang: str,
              scope: list[dict], lake_start: date | None = None) -> dict:
    sessions = [s["session_id"] for s in scope]
    nets = [list(s["nets"]) for s in scope]
    scoped = {"day": day, "sessions": sessions, "nets": nets}
    activity = _rows(conn, "incident_activity", scoped)[0] if sessions else {}
    sources = _rows(conn, "incident_sources", scoped) if sessions else []
    account = inc["primary_account"]
    hours = _rows(conn, "account_hours", {"day": day, "user_id": account, "sessions": sessions,
                                          "history_days": HISTORY_DAYS}) if account else []
    days = _rows(conn, "account_days", {"day": day, "user_id": account, "lake_start": lake_start}) if account else []
    runbooks = [{"rule_id": r, "title": _rule_title(rules, r, lang), "steps": runbook_steps(rules.get(r, {}), lang)}
                for r in inc["rule_ids"]]
    creations = _rows(conn, "incident_creations", {"day": day, "accounts": list(inc["accounts"])})
    before = set(inc.pop("accounts_before") or [])
    sessions_before = set(inc.pop("sessions_before") or [])
    new_accounts = [] if inc["first_day"] == day else [a for a in inc["accounts"] if a not in before]
    new_sessions = 0 if inc["first_day"] == day else sum(1 for s in inc["sessions"] if s not in sessions_before)
    return {**inc, "activity": activity, "sources": sources, "hours": hours, "account_days": days,
            "runbooks": runbooks, "rule_titles": {r: _rule_title(rules, r, lang) for r in inc["rule_ids"]},
            "creations": [{"creator": c["creator_user_id"], "created": c["created_user_id"]} for c in creations],
            "attacker_nets": sorted({n for s in scope for n in s["nets"]}),
            "new_accounts_today": new_accounts, "new_sessions_today": new_sessions,
            "rule_severity": inc["severity"],
            "severity": story.severity(inc["rule_ids"], inc["beneficiaries_exposed"], inc["beneficiaries_with_nir"],
                                       inc["severity"])}


def change(inc: dict, day: date) -> str:
    """What happened to the incident since the previous night: new, grown or (still) open."""
    if str(inc["first_day"]) == str(day):
        return "new"
    if inc["newly_exposed"] or inc["new_accounts_today"] or inc["new_sessions_today"]:
        return "grown"
    return "open"


GROUP_ORDER = {"new": 0, "grown": 1, "reopened": 1, "open": 2, "triaged": 3}


def _group(inc: dict) -> str:
    status = (inc.get("triage") or {}).get("status") or "open"
    if status == "reopened":
        return "reopened"
    if status in ("acknowledged", "false_positive", "closed"):
        return "triaged"
    return inc["change"]


def _rule_title(rules: dict, rule_id: str, lang: str) -> str:
    meta = rules.get(rule_id, {})
    return str(meta.get(f"title_{lang}") or meta.get("title") or rule_id)


def _health(conn: duckdb.DuckDBPyConnection, lake: Path, day: date, run_state: dict) -> dict:
    entries = sorted((e for e in manifest.load_all(lake) if str(day) in e.event_dates),
                     key=lambda e: e.source_file)
    files: list[dict[str, Any]] = [
        {"source_file": e.source_file, "source_kind": e.source_kind, "lines_read": e.lines_read,
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
        "balanced": all(manifest.accounted_for(f["lines_read"], f["rows_written"], f["rows_quarantined"])
                        for f in files),
        "quarantine_reasons": reasons,
        "late_files": sorted(run_state.get("late_files") or []),
        "rules_not_run": sorted((r for r in rules if r.get("status") != "ran"), key=lambda r: r["rule_id"]),
        "rules_ran": sum(1 for r in rules if r.get("status") == "ran"),
        "detection": run_state.get("detection") or {"status": "unknown"},
    }


def collect(conn: duckdb.DuckDBPyConnection, lake: Path, day: date, lang: str = "fr",
            run_state: dict | None = None, reference: Path | None = None, timezone: str = DEFAULT_TIMEZONE) -> dict:
    """Everything the templates and the JSON outputs need for `day` (plain dicts and lists);
    `timezone`: the zone `conn`'s local times are in (its name goes into the report's words)."""
    rules = rule_catalogue()
    orgs = org_names(reference)
    for rule_id, title in conn.execute("select rule_id, any_value(title) from findings where event_date "
                                       "between $day::date - 13 and $day::date group by 1", {"day": day}).fetchall():
        rules.setdefault(rule_id, {"title": title})
    day_incidents = _rows(conn, "day_incidents", {"day": day})
    scopes = {inc["incident_uid"]: _rows(conn, "incident_scope", {"day": day, "incident_uid": inc["incident_uid"]})
              for inc in day_incidents}
    _read_events(conn, day, scopes, [inc["primary_account"] for inc in day_incidents if inc["primary_account"]],
                 min((inc["first_day"] for inc in day_incidents), default=day))
    start = lake_start(lake)
    incidents = [_incident(conn, inc, day, rules, lang, scopes[inc["incident_uid"]], start) for inc in day_incidents]
    state = triage.triage_state(conn, day, incidents)
    for inc in incidents:
        inc["change"] = change(inc, day)
        inc["triage"] = state.get(inc["incident_uid"])
        inc["group"] = _group(inc)
        inc["org_names"] = {s: orgs[s] for s in inc["org_sirets"] if s in orgs}
    # what changed since the previous night first: new, grown (or reopened), still open; triaged last
    incidents.sort(key=lambda i: (GROUP_ORDER[i["group"]], -Severity(i["severity"]).rank,
                                  -i["beneficiaries_exposed"], i["incident_uid"]))
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
        "timezone": timezone,
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
        "suppressions": _rows(conn, "day_suppressions", {"day": day}),
        "health": _health(conn, lake, day, run_state or {}),
        "night": (run_state or {}).get("night") or {"status": "unknown", "reasons": []},
        "rules": rules,
    }


def dumps(value: object) -> str:
    """Deterministic JSON for the report's files."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1, default=str)
