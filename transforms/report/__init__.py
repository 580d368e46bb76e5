"""The morning report: `reports/YYYY-MM-DD/` from the lake, in French (default) or English.

Files written for a day (each through a temporary file and a rename):

- `report.html`: one self-contained page (inline CSS and SVG, no network), in the main
  language (the setting `lang`, French by default: the one the nightly run writes);
- `report.md`: the same content for an e-mail or a ticket;
- `report.<lang>.html`, `report.<lang>.md`: the same report in another language, written on
  demand (`vigie report --date D --lang en`) beside the main one, never over it;
- `findings.jsonl`: the day's findings as OCSF Detection Findings (class 2004);
- `incidents.json`: the incidents that had a finding that day, as they stood that day;
- `exposed/<incident_uid>.csv`: the pseudonyms of the people each incident exposed;
- `run.json`: the night's run (late files, rules that could not run, timings) — the only
  file with wall-clock facts; the other files depend on the data alone.

The machine-readable files do not depend on the language (codes, English rule titles and
descriptions, as the SIEM and partners expect them): one set per day, written with the main
report. A translation alone rewrites only its two files; rewriting the main report refreshes
the translations already there, so that every report of a folder tells the same data.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from transforms.detect.incidents import days_of_night
from transforms.lake.atomic import write_text_atomic
from transforms.lake.crash import crash_point
from transforms.lake.duck import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEZONE, connect
from transforms.lake.layout import TMP_DIR, private_dir, safe_name
from transforms.lake.views import night_days
from transforms.report.collect import collect, dumps
from transforms.report.ocsf import detection_finding
from transforms.report.render import in_language, render_html, render_markdown, render_summary
from transforms.settings import LANGS, check_lang

RUN_FILE = "run.json"


@dataclass
class ReportResult:
    day: str
    folder: str
    incidents: int = 0
    findings: int = 0
    people_exposed: int = 0
    people_with_nir: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    markdown: str = ""  # a compact summary for Prefect's UI (exposure first, the report's absolute path)
    incident_rows: list[dict] = field(default_factory=list)  # one short row per incident, exposure first
    html: str = ""  # path of the HTML report written in the language asked for


def report_files(lang: str, main_lang: str) -> tuple[str, str]:
    """`report.html`/`report.md` in the main language, `report.<lang>.html`/`.md` in another."""
    suffix = "" if check_lang(lang) == check_lang(main_lang) else f".{lang}"
    return f"report{suffix}.html", f"report{suffix}.md"


def report_dir(reports: Path, day: date) -> Path:
    return Path(reports) / str(day)


def load_run_state(reports: Path, day: date) -> dict:
    """The saved facts of the day's last run (empty when the day never ran nightly)."""
    path = report_dir(reports, day) / RUN_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}


def save_run_state(reports: Path, day: date, state: dict) -> Path:
    path = report_dir(reports, day) / RUN_FILE
    write_text_atomic(path, dumps(state) + "\n", Path(reports) / TMP_DIR)
    return path


def _incident_json(inc: dict) -> dict:
    keep = ("incident_uid", "severity", "first_seen", "last_seen", "first_day", "last_day", "findings",
            "findings_today", "rule_ids", "accounts", "org_sirets", "sessions", "browsing_sessions", "ips",
            "attack", "beneficiaries_exposed", "beneficiaries_with_nir", "newly_exposed", "exact_exposure",
            "primary_account", "rule_severity")
    out = {k: inc[k] for k in keep}
    # true scope beside the flagged sessions' figure (incidents older than issue 19 have neither)
    for k in ("beneficiaries_exposed_flagged", "first_malicious_activity", "scope_searched_from"):
        out[k] = inc.get(k)
    out["sources"] = inc["sources"]
    out["change"] = inc["change"]  # new | grown | open, since the previous night
    out["triage"] = {k: inc["triage"][k] for k in ("status", "decided_status", "analyst", "decided_at", "until",
                                                   "note")} if inc.get("triage") else {"status": "open"}
    out["created_by"] = inc.get("creations") or []
    out["activity"] = {k: v for k, v in (inc.get("activity") or {}).items() if k != "ua_keys"}
    return out


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["beneficiary_ref", "nir_exposed", "first_exposed", "last_exposed", "records"])
    for r in rows:
        writer.writerow([r["beneficiary_ref"], str(bool(r["nir_exposed"])).lower(), r["first_exposed"],
                         r["last_exposed"], r["records"]])
    return buffer.getvalue()


def write_report(lake: Path, reports: Path, day: date, lang: str = "fr", run_state: dict | None = None,
                 memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 0, timezone: str = DEFAULT_TIMEZONE,
                 main_lang: str | None = None, reference: Path | None = None) -> ReportResult:
    """Collect `day` from the lake and write its report folder; return what it holds.

    `main_lang` is the language of `report.html` (default: `lang`, what the nightly run writes).
    In another language, the report goes to `report.<lang>.html`/`.md` and nothing else is
    touched; the whole folder (main report, machine-readable files) is written only when the
    day has no main report yet, so that a translation never stands alone. `reference` is the
    reference-data folder (organisation names from its `orgs.csv`); `timezone` the services' local
    time (the `timezone` setting), which the report's local times are in and name.
    """
    check_lang(lang)
    main = check_lang(main_lang or lang)
    if reference is None:
        from transforms.lake import storage
        from transforms.settings import Settings

        reference = Settings().reference
        if storage.is_remote(reference):  # the run's working copy of it (storage.working_copies)
            reference = storage.local_of(reference)
    state = load_run_state(reports, day) if run_state is None else run_state
    # only the partitions the day's report reads: its window and its incidents' days
    conn = connect(lake, memory_limit, threads, night_days(day, days_of_night(Path(lake), day)), timezone)
    try:
        data = collect(conn, Path(lake), day, main, state, reference, timezone)
    finally:
        conn.close()
    folder = private_dir(report_dir(reports, day))
    exposed_dir = private_dir(folder / "exposed")
    scratch = Path(reports) / TMP_DIR  # temporary files, out of the folders readers list
    if lang != main and (folder / "report.html").exists():
        html_name, _ = _write_rendering(folder, data, lang, main)
        return _result(day, folder, data, folder / html_name, lang)
    html = render_html(data)
    markdown = render_markdown(data)
    write_text_atomic(folder / "report.html", html, scratch)
    crash_point("report.html")
    write_text_atomic(folder / "report.md", markdown, scratch)
    lines = [json.dumps(detection_finding(f, data["rules"].get(f["rule_id"], {})), ensure_ascii=False,
                        sort_keys=True, default=str) for f in data["findings"]]
    write_text_atomic(folder / "findings.jsonl", "".join(line + "\n" for line in lines), scratch)
    crash_point("report.findings")
    incidents = [_incident_json(inc) for inc in data["incidents"]]
    write_text_atomic(folder / "incidents.json", dumps({"day": str(day), "incidents": incidents}) + "\n",
                      scratch)
    crash_point("report.incidents")
    # File names come from incident uids: made safe so that no value can name a path outside.
    wanted = {f"{safe_name(uid)}.csv" for uid in data["exposed"]}
    for uid, rows in data["exposed"].items():
        write_text_atomic(exposed_dir / f"{safe_name(uid)}.csv", _csv(rows), scratch)
        crash_point("report.exposed")
    for stale in exposed_dir.glob("*.csv"):
        if stale.name not in wanted:
            stale.unlink()
    # The translations of the folder follow the data just written (and the one asked for is made).
    asked = folder / "report.html"
    for other in LANGS:
        if other != main and (other == lang or any((folder / n).exists() for n in report_files(other, main))):
            html_name, _ = _write_rendering(folder, data, other, main)
            if other == lang:
                asked = folder / html_name
    # A `report.<main>.html` would repeat report.html (left from when the main language differed).
    for name in (f"report.{main}.html", f"report.{main}.md"):
        (folder / name).unlink(missing_ok=True)
    return _result(day, folder, data, asked, lang)


def _write_rendering(folder: Path, data: dict, lang: str, main: str) -> tuple[str, str]:
    """The report in `lang` beside the main one; return its HTML file's name and its Markdown."""
    html_name, markdown_name = report_files(lang, main)
    translated = in_language(data, lang)
    scratch = folder.parent / TMP_DIR
    markdown = render_markdown(translated)
    write_text_atomic(folder / html_name, render_html(translated), scratch)
    crash_point("report.translation")
    write_text_atomic(folder / markdown_name, markdown, scratch)
    return html_name, markdown


def _result(day: date, folder: Path, data: dict, html: Path, lang: str) -> ReportResult:
    incidents = [_incident_json(inc) for inc in data["incidents"]]
    folder = Path(folder).resolve()
    summary = render_summary(data, str(Path(html).resolve()), str(folder / "exposed"), lang)
    return ReportResult(
        day=str(day), folder=str(folder), incidents=len(incidents), findings=len(data["findings"]),
        people_exposed=data["people_exposed"], people_with_nir=data["people_with_nir"],
        by_severity=dict(data["by_severity"]), markdown=summary,
        incident_rows=[{"people_exposed": i["beneficiaries_exposed"], "with_nir": i["beneficiaries_with_nir"],
                        "severity": i["severity"], "change": i["triage"]["status"]
                        if i["triage"]["status"] not in ("open",) else i["change"],
                        "incident": i["incident_uid"], "accounts": ", ".join(i["accounts"][:3])
                        + (f" (+{len(i['accounts']) - 3})" if len(i["accounts"]) > 3 else "")}
                       for i in incidents],
        html=str(html),
    )
