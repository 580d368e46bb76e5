"""Turn the collected day into HTML (self-contained) and Markdown, in French or English.

Why Jinja2 templates: the layout stays readable and editable by someone who does not read
the SQL; every number is formatted here, every chart is inline SVG (no network to view it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2

from transforms.lake import safe_name
from transforms.report import svg
from transforms.report.collect import _rule_title, runbook_steps
from transforms.report.i18n import (
    LABELS,
    NET_TAGS,
    NIGHT,
    REASONS,
    SEVERITY,
    SOURCES,
    check_lang,
    day_month,
    describe_reasons,
    long_date,
    number,
    numeric_date,
    rule_status,
    short_time,
    translate,
    warning,
)

TEMPLATES = Path(__file__).parent / "templates"


def _pct(part: int | None, whole: int | None) -> int:
    return round(100 * (part or 0) / whole) if whole else 0


def story(inc: dict, lang: str) -> dict[str, str]:
    """The incident told in five short sentences: who, from where, when, what, how many."""
    L = LABELS[lang]
    a = inc.get("activity") or {}
    n = lambda v: number(v, lang)  # noqa: E731
    sources = ", ".join(
        f"{s['src_ip']} (AS{s['src_asn'] or '?'} {s['src_as_org'] or '?'}, {s['src_city'] or '?'} "
        f"{s['src_country'] or '?'}{', ' + translate(NET_TAGS, s['src_net_tag'], lang) if s['src_net_tag'] else ''})"
        for s in inc.get("sources") or []) or ", ".join(inc.get("ips") or []) or "?"
    org = " ".join([*(a.get("org_types") or []), *inc.get("org_sirets", [])]) or "?"
    out = {
        "who": L["story_who"].format(account=", ".join(inc["accounts"]) or "?", org=org,
                                     roles=", ".join(a.get("roles") or []) or "?"),
        "from_where": L["story_where"].format(sources=sources),
        "when": L["story_when"].format(first=short_time(a.get("first_local"), lang),
                                       last=short_time(a.get("last_local"), lang),
                                       days=a.get("active_days") or 0,
                                       off_pct=_pct(a.get("off_hours_reads"), a.get("reads"))),
        "what": L["story_what"].format(reads=n(a.get("reads")),
                                       out_pct=_pct(a.get("out_of_portfolio_reads"), a.get("reads")),
                                       lists=n(a.get("list_rows")), exports=n(a.get("export_rows")),
                                       created=n(a.get("accounts_created")),
                                       ua=a.get("last_user_agent") or "?"),
        "how_many": L["story_count"].format(people=n(inc["beneficiaries_exposed"]),
                                            nir=n(inc["beneficiaries_with_nir"]))
        + ("" if inc.get("exact_exposure") else " " + L["estimate"]),
    }
    if a.get("created_accounts"):
        out["what"] += " " + L["story_created"].format(accounts=", ".join(a["created_accounts"]))
    return out


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


def context(data: dict, exposed_dir: str) -> dict:
    lang = data["lang"]
    L = LABELS[lang]
    incidents = []
    rank = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    for inc in data["incidents"]:
        ordered = sorted(inc["rule_ids"], key=lambda r: (-rank.get(data["rules"].get(r, {}).get("level"), 0), r))
        headline = inc["rule_titles"][ordered[0]] if ordered else ""
        if len(ordered) > 1:
            headline += f" (+{len(ordered) - 1})"
        account = inc["primary_account"] or "?"
        incidents.append({
            **inc,
            "story": story(inc, lang),
            "headline": headline,
            "severity_label": SEVERITY[lang][inc["severity"]],
            "colour": svg.SEVERITY_COLOURS[inc["severity"]],
            "is_new": inc["first_day"] == data["day"],
            "since": L["since"].format(day=long_date(inc["first_day"], lang)),
            "hours_svg": svg.hourly_chart(inc["hours"], L, L["timeline"].format(account=account))
            if inc["hours"] else "",
            "days_svg": svg.daily_chart(inc["account_days"], "event_date", "people",
                                        L["days_chart"].format(account=account)) if inc["account_days"] else "",
            "timeline_title": L["timeline"].format(account=account),
            "days_title": L["days_chart"].format(account=account),
        })
    trend = [{**t, "total": sum(t["counts"]), "spark": svg.sparkline(t["counts"])} for t in data["trend"]]
    day_names = [day_month(_day(d), lang) for d in (data["trend"][0]["days"] if data["trend"] else [])]
    severities = [(s, SEVERITY[lang][s], svg.SEVERITY_COLOURS[s], data["by_severity"].get(s, 0))
                  for s in ("critical", "high", "medium", "low", "info")]
    return {"L": L, "lang": lang, "day": str(data["day"]), "long_day": long_date(data["day"], lang),
            "numeric_day": numeric_date(_day(data["day"]), lang), "short_day": day_month(_day(data["day"]), lang),
            "data": data, "incidents": incidents, "trend": trend, "trend_days": day_names,
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
