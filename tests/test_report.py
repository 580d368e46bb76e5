"""The morning report: content, privacy, determinism, OCSF findings, exposure lists.

On the session's simulated world (tests/worlds.py) after the real nightly run: the findings
and incidents are the real runner's and linker's; the exposure is checked against the
simulator's labels (the exact set of people each attack exposed).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from markupsafe import escape  # Jinja's: ' is &#39;

from transforms.detect.rules import load_rules
from transforms.report import load_run_state, save_run_state, write_report
from transforms.report.i18n import number

SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
REASON = {"duplicate": "duplicate", "missing_field": "missing_field", "truncated": "invalid_json",
          "invalid_json": "invalid_json"}


@pytest.fixture(scope="module")
def day(world):
    return world.days[-1]


@pytest.fixture(scope="module")
def incident(world, day) -> dict:
    """The account manager's incident as of the report day, and its label (ground truth)."""
    label = world.attack("account_manager_abuse")
    accounts = set(world.accounts("account_manager_abuse"))
    [row] = [i for i in world.dicts("select * from incidents") if accounts & set(i["accounts"])]
    return {**row, "label": label}


@pytest.fixture(scope="module")
def report(world, day, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    late = f"app-{world.days[0]}.jsonl.gz"
    state = {"late_files": [late],
             "rules": [{"rule_id": "geo_velocity", "status": "skipped", "message": "skipped: needs geo"},
                       {"rule_id": "mass_extraction_volume", "status": "ran"}]}
    write_report(world.lake, reports, day, run_state=state)
    return reports / str(day)


def test_the_nightly_wrote_every_day_s_report(world):
    assert [s.status for s in world.summaries] == ["complete"] * len(world.days)
    for d in world.days:
        assert (world.reports / str(d) / "report.html").exists(), d


def test_the_report_folder_holds_every_output(report: Path, incident: dict):
    names = {p.name for p in report.iterdir()}
    assert {"report.html", "report.md", "findings.jsonl", "incidents.json", "exposed"} <= names
    assert (report / "exposed" / f"{incident['incident_uid']}.csv").exists()


def test_html_tells_the_incident_with_its_exact_exposure(world, report: Path, incident: dict, day):
    html = (report / "report.html").read_text(encoding="utf-8")
    label = incident["label"]
    assert "La journée en bref" in html
    assert incident["incident_uid"] in html
    assert (f"{number(label['exposed_count'], 'fr')} personnes exposées, dont "
            f"{number(label['exposed_with_nir'], 'fr')} avec leur numéro de sécurité sociale") in html
    [(ip, as_org)] = world.sql(
        "select src_ip, any_value(src_as_org) from app_activity where event_date = $d and user_id in "
        "(select unnest($a)) and src_ip in (select unnest($ips)) group by 1 order by count(*) desc limit 1",
        {"d": day, "a": incident["accounts"], "ips": label["malicious_ips"]})
    assert ip in html and as_org in html  # where the attacker read from, with its network's name
    assert "<svg" in html and "heure de Paris" in html
    assert "geo_velocity" in html and "non exécutée, données absentes ce jour : géolocalisation" in html
    assert f"app-{world.days[0]}.jsonl.gz" in html  # a late file


def test_html_counts_the_day_s_quarantined_lines_by_reason(world, report: Path, day):
    """Exactly the simulator's deliberate dirt lines of the day's files, by reason."""
    dirt = Counter(REASON[d["kind"]] for d in world.facts["dirt"] if f"-{day}.jsonl" in d["file"])
    assert dirt
    html = re.sub(r"\s+", " ", (report / "report.html").read_text(encoding="utf-8"))
    for reason, lines in dirt.items():
        assert re.search(rf"\({reason}\) : {lines} ligne\(s\)", html), (reason, lines)


def test_html_is_self_contained(report: Path):
    html = (report / "report.html").read_text(encoding="utf-8")
    for needle in ("<script", "<link", "src=", "url(", "@import"):
        assert needle not in html
    assert "https://" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_no_clear_identifier_or_email_in_any_output(world, report: Path):
    text = "".join(p.read_text(encoding="utf-8") for p in report.rglob("*") if p.is_file())
    clear = {v for v in world.clear_values if len(v) >= 6}
    assert len(clear) > 1000  # beneficiary ids and the agents' e-mails of the raw logs
    words = set(re.findall(r"[\w.@+-]+", text))
    assert not clear & words
    assert not [v for v in clear if "@" in v and v in text]


def test_findings_are_ocsf_detection_findings(world, report: Path, day):
    lines = (report / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    lake = {f["finding_uid"]: f for f in world.dicts("select * from findings where event_date = $d", {"d": day})}
    assert len(lines) == len(lake) > 0
    rules = _rules()
    for line in lines:
        finding = json.loads(line)
        real = lake[finding["finding_info"]["uid"]]
        assert finding["class_uid"] == 2004 and finding["type_uid"] == 200401
        assert finding["finding_info"]["analytic"]["uid"] == real["rule_id"]
        assert finding["severity_id"] == SEVERITY_ID[real["severity"]]
        assert finding["severity"] == real["severity"].capitalize()
        assert finding["metadata"]["profiles"] == ["host", "security_control"]
        assert finding["metadata"]["correlation_uid"] == real["incident_uid"]
        techniques = {t.split(".")[1].upper() for t in rules[real["rule_id"]]["tags"] if t.startswith("attack.t")}
        assert {a["technique"]["uid"] for a in finding["finding_info"]["attacks"]} == techniques
        assert all(a["version"] == "v16" and a["technique"]["name"] for a in finding["finding_info"]["attacks"])


def test_incidents_json_and_exposed_list_agree(world, report: Path, incident: dict):
    incidents = {i["incident_uid"]: i for i in json.loads((report / "incidents.json").read_text())["incidents"]}
    shown = incidents[incident["incident_uid"]]
    label = incident["label"]
    assert shown["beneficiaries_exposed"] == label["exposed_count"]
    assert shown["beneficiaries_with_nir"] == label["exposed_with_nir"]
    with open(report / "exposed" / f"{incident['incident_uid']}.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == label["exposed_count"]
    assert sum(r["nir_exposed"] == "true" for r in rows) == label["exposed_with_nir"]
    assert all(len(r["beneficiary_ref"]) == 32 for r in rows)
    # the very people the labels say were exposed, in pseudonyms
    from worlds import KEY

    from transforms.ingest.pseudonymise import PseudonymKey, beneficiary_pseudonym

    key = PseudonymKey(KEY.encode())
    assert {r["beneficiary_ref"] for r in rows} == {beneficiary_pseudonym(key, b)
                                                    for b in label["exposed_beneficiaries"]}


def test_rewriting_a_day_gives_identical_files(world, day, tmp_path: Path):
    write_report(world.lake, tmp_path, day, run_state={})
    write_report(world.lake, tmp_path, day, lang="en", main_lang="fr", run_state={})
    first = {p.name: p.read_bytes() for p in (tmp_path / str(day)).rglob("*") if p.is_file()}
    assert {"report.html", "report.md", "report.en.html", "report.en.md"} <= set(first)
    write_report(world.lake, tmp_path, day, run_state={})
    write_report(world.lake, tmp_path, day, lang="en", main_lang="fr", run_state={})
    second = {p.name: p.read_bytes() for p in (tmp_path / str(day)).rglob("*") if p.is_file()}
    assert first == second


def test_english_report(world, day, incident: dict, tmp_path: Path):
    """With the setting lang = "en" (main_lang defaults to lang), English is the main report.html."""
    write_report(world.lake, tmp_path, day, lang="en", run_state={})
    html = (tmp_path / str(day) / "report.html").read_text(encoding="utf-8")
    assert "The day at a glance" in html
    assert f"{number(incident['label']['exposed_count'], 'en')} people exposed" in html
    with pytest.raises(ValueError):
        write_report(world.lake, tmp_path, day, lang="de")


def test_a_quiet_day_says_so(world, tmp_path: Path):
    quiet = world.days[0] - timedelta(days=1)  # the eve of the world: nothing read, nothing found
    result = write_report(world.lake, tmp_path, quiet, run_state={})
    assert result.incidents == 0
    html = (tmp_path / str(quiet) / "report.html").read_text(encoding="utf-8")
    assert "Aucun incident ce jour." in html
    assert (tmp_path / str(quiet) / "findings.jsonl").read_text() == ""


def test_run_state_round_trip(tmp_path: Path, day):
    save_run_state(tmp_path, day, {"late_files": ["x"], "timings": {"ingest": 1.5}})
    assert load_run_state(tmp_path, day)["late_files"] == ["x"]
    assert load_run_state(tmp_path, day - timedelta(days=400)) == {}


# --- French rule texts and the English report beside the French one ------------------------

@pytest.fixture(scope="module")
def lake(world) -> Path:
    return world.lake


def machine_files(incident: dict) -> tuple[str, ...]:
    return ("findings.jsonl", "incidents.json", f"exposed/{incident['incident_uid']}.csv")


def _rules() -> dict[str, dict]:
    return {r.id: r.meta.model_dump() for r in load_rules()}


def test_every_rule_has_a_french_title_and_runbook():
    """Meta-test: the French report shows each rule's title_fr and runbook_fr (else English)."""
    rules = _rules()
    assert len(rules) >= 15
    for rule_id, meta in rules.items():
        assert isinstance(meta.get("title_fr"), str) and meta["title_fr"].strip(), f"{rule_id}.yml lacks title_fr"
        assert meta["title_fr"] != meta["title"], f"{rule_id}.yml: title_fr is not translated"
        steps = meta.get("runbook_fr")
        assert isinstance(steps, list), f"{rule_id}.yml lacks runbook_fr (a list of steps)"
        assert len(steps) == len(meta["runbook"]), f"{rule_id}.yml: runbook_fr and runbook differ in steps"
        assert all(isinstance(s, str) and s.strip() for s in steps), rule_id
        assert not set(steps) & set(meta["runbook"]), f"{rule_id}.yml: a runbook_fr step is the English one"


def test_french_report_shows_french_rule_titles_and_runbooks(lake: Path, day, tmp_path: Path):
    write_report(lake, tmp_path, day, run_state={})
    folder = tmp_path / str(day)
    fired = {json.loads(line)["finding_info"]["analytic"]["uid"]
             for line in (folder / "findings.jsonl").read_text(encoding="utf-8").splitlines()}
    rules = _rules()
    assert len(fired) >= 2 and fired <= set(rules)
    html = (folder / "report.html").read_text(encoding="utf-8")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    for rule_id in fired:
        meta = rules[rule_id]
        assert escape(meta["title_fr"]) in html and meta["title_fr"] in markdown, rule_id
        for step in meta["runbook_fr"]:  # each rule's own runbook, folded under the incident's plan
            assert escape(step) in html, (rule_id, step)
    for rule_id, meta in rules.items():  # no English rule text at all, fired or not
        for text in [meta["title"], *meta["runbook"]]:
            assert escape(text) not in html and text not in markdown, (rule_id, text)
    # The machine-readable findings stay in English (SIEM, partners): one set for every language.
    finding = json.loads((folder / "findings.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert finding["finding_info"]["title"] == rules[finding["finding_info"]["analytic"]["uid"]]["title"]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and inode (an atomic rewrite gives a new inode, even with the same bytes)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_ino) for p in folder.rglob("*") if p.is_file()}


def test_lang_en_writes_report_en_beside_the_french_report(lake: Path, day, incident: dict, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from flows.cli import app

    folder = tmp_path / str(day)
    save_run_state(tmp_path, day, {"late_files": [], "rules": [], "detection": {"status": "ran"}})
    write_report(lake, tmp_path, day)  # the nightly's French report
    before = _snapshot(folder)

    monkeypatch.setenv("VIGIE_LAKE", str(lake))
    monkeypatch.setenv("VIGIE_REPORTS", str(tmp_path))
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("VIGIE_LANG", raising=False)
    result = CliRunner().invoke(app, ["report", "--date", str(day), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(folder / "report.en.html")

    after = _snapshot(folder)
    assert set(after) == set(before) | {"report.en.html", "report.en.md"}  # no English copy of the data files
    assert {k: after[k] for k in before} == before  # nothing else rewritten: same bytes, same inodes
    english = (folder / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "The day at a glance" in english
    assert f"{number(incident['label']['exposed_count'], 'en')} people exposed" in english
    assert "La journée en bref" not in english
    assert "What to do now" in (folder / "report.en.md").read_text(encoding="utf-8")

    # Re-running the English report gives the same bytes; the French report is still the main one.
    assert CliRunner().invoke(app, ["report", "--date", str(day), "--lang", "en"]).exit_code == 0
    assert _snapshot(folder)["report.en.html"][0] == after["report.en.html"][0]
    french = CliRunner().invoke(app, ["report", "--date", str(day)])
    assert french.exit_code == 0 and french.stdout.strip().splitlines()[-1] == str(folder / "report.html")


def test_rewriting_the_main_report_refreshes_its_translation(lake: Path, day, tmp_path: Path):
    folder = tmp_path / str(day)
    write_report(lake, tmp_path, day, run_state={})
    write_report(lake, tmp_path, day, lang="en", main_lang="fr", run_state={})
    english = _snapshot(folder)["report.en.html"]
    result = write_report(lake, tmp_path, day, run_state={})  # e.g. the nightly re-runs a late day
    assert result.html == str(folder / "report.html") and "La journée en bref" in result.markdown
    refreshed = _snapshot(folder)["report.en.html"]
    assert refreshed[0] == english[0] and refreshed[1] != english[1]  # rewritten, from the same data


def test_a_translation_never_stands_alone(lake: Path, day, incident: dict, tmp_path: Path):
    """English asked for a day with no report yet: the French main report and data files come too."""
    result = write_report(lake, tmp_path, day, lang="en", main_lang="fr", run_state={})
    folder = tmp_path / str(day)
    assert result.html == str(folder / "report.en.html") and "The day at a glance" in result.markdown
    assert "La journée en bref" in (folder / "report.html").read_text(encoding="utf-8")
    assert all((folder / name).exists() for name in ("report.md", "report.en.md", *machine_files(incident)))


def test_english_as_main_language_puts_french_beside_it(lake: Path, day, tmp_path: Path):
    """Setting lang = "en": the nightly's report.html is English; --lang fr gives report.fr.html."""
    folder = tmp_path / str(day)
    write_report(lake, tmp_path, day, lang="en", run_state={})
    write_report(lake, tmp_path, day, lang="fr", main_lang="en", run_state={})
    assert "The day at a glance" in (folder / "report.html").read_text(encoding="utf-8")
    assert "La journée en bref" in (folder / "report.fr.html").read_text(encoding="utf-8")
    assert not (folder / "report.en.html").exists()


def test_prefect_summary_is_compact_with_exposure_first_and_the_absolute_path(lake: Path, day, tmp_path: Path):
    result = write_report(lake, tmp_path / "reports", day, run_state={})
    assert str((tmp_path / "reports" / str(day) / "report.html").resolve()) in result.markdown
    assert "| Personnes exposées | NIR | Gravité | Incident | Évolution |" in result.markdown
    assert "Détections par règle" not in result.markdown  # no 14-column table in Prefect's UI
    assert list(result.incident_rows[0])[:2] == ["people_exposed", "with_nir"]
    exposures = [i["beneficiaries_exposed"] for i in json.loads(
        (tmp_path / "reports" / str(day) / "incidents.json").read_text(encoding="utf-8"))["incidents"]]
    assert len(result.incident_rows) == len(exposures)
    assert [r["people_exposed"] for r in result.incident_rows] == sorted(exposures, reverse=True)
