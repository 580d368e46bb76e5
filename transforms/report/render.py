"""Turn the collected day into HTML (self-contained) and Markdown, in French or English.

Why Jinja2 templates: the layout stays readable and editable by someone who does not read
the SQL; every number is formatted here, every chart is inline SVG (no network to view it).
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from transforms.lake import safe_name
from transforms.report import svg
from transforms.report.i18n import LABELS, SEVERITY, long_date, number, short_time

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
        f"{s['src_country'] or '?'}{', ' + s['src_net_tag'] if s['src_net_tag'] else ''})"
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
    day_names = [str(d)[5:] for d in (data["trend"][0]["days"] if data["trend"] else [])]
    severities = [(s, SEVERITY[lang][s], svg.SEVERITY_COLOURS[s], data["by_severity"].get(s, 0))
                  for s in ("critical", "high", "medium", "low", "info")]
    return {"L": L, "lang": lang, "day": str(data["day"]), "long_day": long_date(data["day"], lang),
            "data": data, "incidents": incidents, "trend": trend, "trend_days": day_names,
            "severities": severities, "n": lambda v: number(v, lang), "exposed_dir": exposed_dir,
            "health": data["health"], "activity": data["activity"]}


def render_html(data: dict, exposed_dir: str = "exposed/") -> str:
    return _environment(True).get_template("report.html.j2").render(**context(data, exposed_dir))


def render_markdown(data: dict, exposed_dir: str = "exposed/") -> str:
    return _environment(False).get_template("report.md.j2").render(**context(data, exposed_dir))
