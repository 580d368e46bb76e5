"""Turn the collected day into HTML (self-contained) and Markdown, in French or English.

Why Jinja2 templates: the layout stays readable and editable by someone who does not read
the SQL; every number is formatted here, every chart is inline SVG (no network to view it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2

from transforms.lake.layout import safe_name
from transforms.report import story as storyline
from transforms.report import svg
from transforms.report.collect import _rule_title, runbook_steps
from transforms.report.i18n import (
    LABELS,
    NET_TAGS,
    NIGHT,
    REASONS,
    SEVERITY,
    SOURCES,
    day_month,
    describe_reasons,
    local_time_name,
    long_date,
    number,
    numeric_date,
    rule_status,
    short_time,
    translate,
    warning,
)
from transforms.settings import check_lang
from transforms.severity import Severity

TEMPLATES = Path(__file__).parent / "templates"


def _pct(part: int | None, whole: int | None) -> int:
    return round(100 * (part or 0) / whole) if whole else 0


def _org(inc: dict, lang: str) -> str:
    """Organisations by name (orgs.csv) with their kind and SIRET, else kind and SIRET."""
    a = inc.get("activity") or {}
    types = list(a.get("org_types") or [])
    names = inc.get("org_names") or {}
    out = []
    for siret in inc.get("org_sirets") or []:
        kind = types[0] if len(types) == 1 else ""
        if siret in names:
            out.append(", ".join(x for x in (names[siret], kind, "SIRET " + siret) if x))
        else:
            out.append(" ".join(x for x in (kind, siret) if x))
    return ", ".join(out) or " ".join(types) or "?"


def _source(s: dict, lang: str) -> str:
    place = (f"AS{s['src_asn'] or '?'} {s['src_as_org'] or '?'}, {s['src_city'] or '?'} {s['src_country'] or '?'}"
             f"{', ' + translate(NET_TAGS, s['src_net_tag'], lang) if s['src_net_tag'] else ''}")
    return f"{s['src_ip']} ({place})"


def _browsers(sources: list[dict], lang: str) -> str:
    L = LABELS[lang]
    families = sorted({s["ua_family"] for s in sources if s.get("ua_family")})
    devices = sum(int(s.get("devices") or 0) for s in sources)
    text = L["browser"] + " " + (", ".join(families) or "?")
    return text + (", " + L["devices"].format(n=devices) if devices else "")


def story(inc: dict, lang: str, zone: str) -> dict[str, str]:
    """The incident told in five short sentences: who, from where, when, what, how many (`zone`:
    the name of its local times, `local_time_name`)."""
    L = LABELS[lang]
    a = inc.get("activity") or {}
    n = lambda v: number(v, lang)  # noqa: E731
    sources = inc.get("sources") or []
    attacker = [s for s in sources if s["role"] == "attacker"]
    legitimate = [s for s in sources if s["role"] == "legitimate"]
    if attacker:
        where = (f"{L['attacker']}{L['colon']}{', '.join(_source(s, lang) for s in attacker)} — "
                 f"{_browsers(attacker, lang)}")
        if legitimate:
            where += (f"{L['semicolon']}{L['legitimate']}{L['colon']}"
                      f"{', '.join(_source(s, lang) for s in legitimate)} — {_browsers(legitimate, lang)}")
        where += "."
    else:
        listed = ", ".join(_source(s, lang) for s in sources) or ", ".join(inc.get("ips") or []) or "?"
        where = L["story_where"].format(sources=listed + (f" — {_browsers(sources, lang)}" if sources else ""))
    org = _org(inc, lang)
    roles = ", ".join(a.get("roles") or []) or "?"
    creations = inc.get("creations") or []
    if creations:
        creators = sorted({c["creator"] for c in creations})
        created = [c["created"] for c in creations]
        who = L["story_chain"].format(creators=", ".join(creators), created=", ".join(created), org=org, roles=roles)
        others = [x for x in inc["accounts"] if x not in creators and x not in created]
        if others:
            who += " " + L["story_also"].format(accounts=", ".join(others))
    else:
        key = "story_who" if len(inc["accounts"]) <= 1 else "story_who_many"
        who = L[key].format(account=", ".join(inc["accounts"]) or "?", org=org, roles=roles)
    if attacker and "session_hijack" in {b["id"] for b in storyline.behaviours(inc.get("rule_ids") or [])}:
        who += " " + L["story_victim"]
    uas = sorted({s["user_agent"] for s in (attacker or sources) if s.get("user_agent")})
    out = {
        "who": who,
        "from_where": where,
        "when": L["story_when"].format(first=short_time(a.get("first_local"), lang), zone=zone,
                                       last=short_time(a.get("last_local"), lang),
                                       days=a.get("active_days") or 0,
                                       off_pct=_pct(a.get("off_hours_reads"), a.get("reads"))),
        "what": L["story_what"].format(reads=n(a.get("reads")),
                                       out_pct=_pct(a.get("out_of_portfolio_reads"), a.get("reads")),
                                       lists=n(a.get("list_rows")), exports=n(a.get("export_rows")),
                                       created=n(a.get("accounts_created")),
                                       ua=" | ".join(uas[:2]) or a.get("last_user_agent") or "?"),
        "how_many": L["story_count"].format(people=n(inc["beneficiaries_exposed"]),
                                            nir=n(inc["beneficiaries_with_nir"]))
        + ("" if inc.get("exact_exposure") else " " + L["estimate"])
        + (" " + L["story_scope"].format(first=str(inc["first_malicious_activity"])[:16],
                                         searched=str(inc.get("scope_searched_from") or "?"),
                                         flagged=n(inc.get("beneficiaries_exposed_flagged")))
           if inc.get("first_malicious_activity") and inc.get("exact_exposure") else ""),
    }
    return out


def plan(inc: dict, lang: str, exposed_path: str) -> list[dict]:
    """The incident's one action plan (contain, scope, notify), its placeholders filled."""
    n = lambda v: number(v, lang)  # noqa: E731
    creations = inc.get("creations") or []
    created = [c["created"] for c in creations]
    creators = sorted({c["creator"] for c in creations})
    attacker_ips = [s["src_ip"] for s in inc.get("sources") or [] if s["role"] == "attacker"]
    behaviours = {b["id"] for b in storyline.behaviours(inc.get("rule_ids") or [])}
    # who is suspended: the attacker's own accounts; for a stolen session the holder is a victim
    actors = [x for x in inc["accounts"] if x not in created] if "session_hijack" not in behaviours or creations else []
    sessions = len(inc.get("sessions") or [])
    orgs = _org(inc, lang)
    values = {
        "actors": ", ".join(actors), "created": ", ".join(created), "creators": ", ".join(creators),
        "owners": ", ".join(creators or [inc.get("primary_account") or ", ".join(inc["accounts"])]),
        "attacker_ips": ", ".join(attacker_ips), "sessions_n": LABELS[lang]["sessions_n"].format(n=n(sessions)),
        "orgs": orgs, "people": n(inc["beneficiaries_exposed"]), "nir": n(inc["beneficiaries_with_nir"]),
        "exposed_file": exposed_path,
    }
    steps = storyline.action_plan(inc, lang, values)
    return [{**s, "phase_label": LABELS[lang][f"phase_{s['phase']}"]} for s in steps]


def in_language(data: dict, lang: str) -> dict:
    """The collected day with its words in `lang`: only the rules' titles and runbooks depend
    on the language in `collect`, so one collection serves every language's rendering."""
    check_lang(lang)
    if data["lang"] == lang:
        return data
    rules = data["rules"]
    incidents = [{**inc,
                  "runbooks": [{"rule_id": r, "title": _rule_title(rules, r, lang),
                                "steps": runbook_steps(rules.get(r, {}), lang)} for r in inc["rule_ids"]],
                  "rule_titles": {r: _rule_title(rules, r, lang) for r in inc["rule_ids"]}}
                 for inc in data["incidents"]]
    trend = [{**t, "title": _rule_title(rules, t["rule_id"], lang)} for t in data["trend"]]
    return {**data, "lang": lang, "incidents": incidents, "trend": trend}


def _growth(inc: dict, lang: str) -> str:
    """What the incident gained on the day: people, accounts, sessions (empty when nothing)."""
    L = LABELS[lang]
    parts = []
    if inc.get("newly_exposed"):
        parts.append(L["grew_people"].format(n=number(inc["newly_exposed"], lang)))
    if inc.get("new_accounts_today"):
        parts.append(L["grew_accounts"].format(accounts=", ".join(inc["new_accounts_today"])))
    if inc.get("new_sessions_today"):
        parts.append(L["grew_sessions"].format(n=number(inc["new_sessions_today"], lang)))
    return ", ".join(parts)


def _suppression(s: dict, lang: str) -> dict:
    L = LABELS[lang]
    return {**s, "kind_label": L["kind_" + s["kind"]], "expires_label": numeric_date(_day(s["expires"]), lang),
            "created_label": short_time(s["created_at"], lang)}


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _health(health: dict, lang: str) -> dict:
    """Run health with its codes explained in `lang` (the codes themselves stay shown)."""
    return {
        **health,
        "files": [{**f, "source_label": translate(SOURCES, f["source_kind"], lang),
                   "warnings": [warning(w, lang) for w in f["warnings"]]} for f in health["files"]],
        "quarantine_reasons": [{**r, "label": translate(REASONS, r["reason_code"], lang)}
                               for r in health["quarantine_reasons"]],
        "rules_not_run": [{**r, "text": rule_status(r, lang)} for r in health["rules_not_run"]],
    }


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters["file_name"] = safe_name  # the exposed/<uid>.csv names write_report uses
    return env


def _rank(level: str | None) -> int:
    return Severity(level).rank if level in {s.value for s in Severity} else 0


def context(data: dict, exposed_dir: str) -> dict:
    lang = data["lang"]
    L = LABELS[lang]
    zone = local_time_name(data["timezone"], lang)
    incidents = []
    for inc in data["incidents"]:
        ordered = sorted(inc["rule_ids"], key=lambda r: (-_rank(data["rules"].get(r, {}).get("level")), r))
        fallback = inc["rule_titles"][ordered[0]] if ordered else ""
        account = inc["primary_account"] or "?"
        decision = inc.get("triage") or {}
        exposed_path = exposed_dir + safe_name(inc["incident_uid"]) + ".csv"
        incidents.append({
            **inc,
            "story": story(inc, lang, zone),
            "plan": plan(inc, lang, exposed_path),
            "headline": storyline.headline(inc["rule_ids"], lang, fallback),
            "severity_label": SEVERITY[lang][inc["severity"]],
            "colour": svg.SEVERITY_COLOURS[inc["severity"]],
            "is_new": inc["first_day"] == data["day"],
            "since": L["since"].format(day=long_date(inc["first_day"], lang)),
            "growth": _growth(inc, lang),
            "status_label": L["status_" + (decision.get("status") or "open")],
            "decision": L["decision"].format(status=L["status_" + decision["decided_status"]],
                                             analyst=decision["analyst"],
                                             when=short_time(decision["decided_at"], lang), note=decision["note"])
            + (L["decision_until"].format(until=numeric_date(_day(decision["until"]), lang))
               if decision.get("until") else "")
            if decision else "",
            "hours_svg": svg.hourly_chart(inc["hours"], L, L["timeline"].format(account=account, zone=zone))
            if inc["hours"] else "",
            "days_svg": svg.daily_chart(inc["account_days"], "event_date", "people",
                                        L["days_chart"].format(account=account), no_data=L["no_data"])
            if inc["account_days"] else "",
            "timeline_title": L["timeline"].format(account=account, zone=zone),
            "days_title": L["days_chart"].format(account=account),
        })
    groups = [(g, L["group_" + g], [i for i in incidents if i["group"] in members])
              for g, members in (("new", ("new",)), ("grown", ("grown", "reopened")), ("open", ("open",)))]
    triaged = [i for i in incidents if i["group"] == "triaged"]
    trend = [{**t, "total": sum(t["counts"]), "spark": svg.sparkline(t["counts"])} for t in data["trend"]]
    day_names = [day_month(_day(d), lang) for d in (data["trend"][0]["days"] if data["trend"] else [])]
    severities = [(s, SEVERITY[lang][s], svg.SEVERITY_COLOURS[s], data["by_severity"].get(s, 0))
                  for s in Severity.most_severe_first()]
    return {"L": L, "lang": lang, "day": str(data["day"]), "long_day": long_date(data["day"], lang),
            "numeric_day": numeric_date(_day(data["day"]), lang), "short_day": day_month(_day(data["day"]), lang),
            "data": data, "incidents": incidents, "groups": groups, "triaged": triaged,
            "working": [i for i in incidents if i["group"] != "triaged"],
            "suppressions": [_suppression(s, lang) for s in data.get("suppressions") or []],
            "trend": trend, "trend_days": day_names,
            "severities": severities, "n": lambda v: number(v, lang), "exposed_dir": exposed_dir,
            "health": _health(data["health"], lang), "activity": data["activity"], **night_banner(data, lang)}


def night_banner(data: dict, lang: str) -> dict[str, str]:
    """The banner at the very top of an incomplete or failed night's report, and the words that
    replace "no incident today" when the night did not see all its data."""
    night = data.get("night") or {"status": "unknown", "reasons": []}
    words = NIGHT[lang]
    if night["status"] in ("incomplete", "failed"):
        reasons = describe_reasons(night["reasons"], lang)
        return {"banner": words[f"banner_{night['status']}"].format(reasons=reasons),
                "no_incident": words["no_incident_incomplete"]}
    return {"banner": "", "no_incident": LABELS[lang]["no_incident"]}


def render_html(data: dict, exposed_dir: str = "exposed/", lang: str | None = None) -> str:
    """The self-contained page, in `lang` (default: the language `data` was collected in)."""
    data = in_language(data, lang or data["lang"])
    return _environment(True).get_template("report.html.j2").render(**context(data, exposed_dir))


def render_markdown(data: dict, exposed_dir: str = "exposed/", lang: str | None = None) -> str:
    """The same content as Markdown, in `lang` (default: the language `data` was collected in)."""
    data = in_language(data, lang or data["lang"])
    return _environment(False).get_template("report.md.j2").render(**context(data, exposed_dir))


def render_summary(data: dict, report_path: str, exposed_path: str, lang: str | None = None) -> str:
    """A compact Markdown summary for Prefect's UI: exposure first, the report's absolute path."""
    data = in_language(data, lang or data["lang"])
    return _environment(False).get_template("summary.md.j2").render(
        **context(data, "exposed/"), report_path=report_path, exposed_path=exposed_path)
