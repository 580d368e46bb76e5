"""The morning report: content, privacy, determinism, OCSF findings, exposure lists."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape  # Jinja's: ' is &#39;
from world_for_reports import ATTACK_READS, ATTACKER_IP, CLEAR_EMAIL, CLEAR_IDS, VICTIM, build_lake

from transforms.detect.rules import load_rules
from transforms.report import load_run_state, save_run_state, write_report

DAY = date(2025, 7, 3)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lake(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def report(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    state = {"late_files": ["app-2025-07-01.jsonl"],
             "rules": [{"rule_id": "geo_velocity", "status": "skipped", "message": "skipped: needs geo"},
                       {"rule_id": "mass_extraction", "status": "ran"}]}
    write_report(lake, reports, DAY, run_state=state)
    return reports / str(DAY)


def test_the_report_folder_holds_every_output(report: Path):
    names = {p.name for p in report.iterdir()}
    assert {"report.html", "report.md", "findings.jsonl", "incidents.json", "exposed"} <= names
    assert (report / "exposed" / f"inc-{VICTIM}.csv").exists()


def test_html_tells_the_incident_with_its_exact_exposure(report: Path):
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "La journée en bref" in html
    assert f"inc-{VICTIM}" in html
    assert f"{ATTACK_READS} personnes exposées, dont 80 avec leur numéro de sécurité sociale" in html
    assert ATTACKER_IP in html and "Example VPS Abroad" in html
    assert "<svg" in html and "heure de Paris" in html
    assert "geo_velocity" in html and "non exécutée, données absentes ce jour : géolocalisation" in html
    assert "JSON illisible (invalid_json) : 1 ligne(s)" in html  # the world's "not json at all" line
    assert "app-2025-07-01.jsonl" in html  # a late file


def test_html_is_self_contained(report: Path):
    html = (report / "report.html").read_text(encoding="utf-8")
    for needle in ("<script", "<link", "src=", "url(", "@import"):
        assert needle not in html
    assert "https://" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_no_clear_identifier_or_email_in_any_output(report: Path):
    text = "".join(p.read_text(encoding="utf-8") for p in report.rglob("*") if p.is_file())
    assert CLEAR_EMAIL not in text.lower()
    assert not [i for i in CLEAR_IDS if i in text]


def test_findings_are_ocsf_detection_findings(report: Path):
    [line] = (report / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    finding = json.loads(line)
    assert finding["class_uid"] == 2004 and finding["type_uid"] == 200401
    assert finding["severity_id"] == 4 and finding["finding_info"]["analytic"]["uid"] == "mass_extraction"
    assert finding["finding_info"]["attacks"] == [
        {"technique": {"uid": "T1213", "name": "Data from Information Repositories"}, "version": "v16"}]
    assert finding["severity"] == "High" and finding["metadata"]["profiles"] == ["host", "security_control"]
    assert finding["metadata"]["correlation_uid"] == f"inc-{VICTIM}"


def test_incidents_json_and_exposed_list_agree(report: Path):
    [incident] = json.loads((report / "incidents.json").read_text(encoding="utf-8"))["incidents"]
    assert incident["beneficiaries_exposed"] == ATTACK_READS and incident["beneficiaries_with_nir"] == 80
    with open(report / "exposed" / f"inc-{VICTIM}.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == ATTACK_READS
    assert sum(r["nir_exposed"] == "true" for r in rows) == 80
    assert all(len(r["beneficiary_ref"]) == 32 for r in rows)


def test_rewriting_a_day_gives_identical_files(lake: Path, tmp_path: Path):
    write_report(lake, tmp_path, DAY, run_state={})
    write_report(lake, tmp_path, DAY, lang="en", main_lang="fr", run_state={})
    first = {p.name: p.read_bytes() for p in (tmp_path / str(DAY)).rglob("*") if p.is_file()}
    assert {"report.html", "report.md", "report.en.html", "report.en.md"} <= set(first)
    write_report(lake, tmp_path, DAY, run_state={})
    write_report(lake, tmp_path, DAY, lang="en", main_lang="fr", run_state={})
    second = {p.name: p.read_bytes() for p in (tmp_path / str(DAY)).rglob("*") if p.is_file()}
    assert first == second


def test_english_report(lake: Path, tmp_path: Path):
    """With the setting lang = "en" (main_lang defaults to lang), English is the main report.html."""
    write_report(lake, tmp_path, DAY, lang="en", run_state={})
    html = (tmp_path / str(DAY) / "report.html").read_text(encoding="utf-8")
    assert "The day at a glance" in html and f"{ATTACK_READS} people exposed" in html
    with pytest.raises(ValueError):
        write_report(lake, tmp_path, DAY, lang="de")


def test_a_quiet_day_says_so(lake: Path, tmp_path: Path):
    result = write_report(lake, tmp_path, date(2025, 7, 2), run_state={})
    assert result.incidents == 0
    html = (tmp_path / "2025-07-02" / "report.html").read_text(encoding="utf-8")
    assert "Aucun incident ce jour." in html
    assert (tmp_path / "2025-07-02" / "findings.jsonl").read_text() == ""


def test_run_state_round_trip(tmp_path: Path):
    save_run_state(tmp_path, DAY, {"late_files": ["x"], "timings": {"ingest": 1.5}})
    assert load_run_state(tmp_path, DAY)["late_files"] == ["x"]
    assert load_run_state(tmp_path, date(2025, 1, 1)) == {}


# --- French rule texts and the English report beside the French one ------------------------

MACHINE_FILES = ("findings.jsonl", "incidents.json", f"exposed/inc-{VICTIM}.csv")


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


@pytest.fixture(scope="module")
def real_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same world through the real rules (several of them fire on the attack day)."""
    return build_lake(tmp_path_factory.mktemp("real"), real_detection=True)


def test_french_report_shows_french_rule_titles_and_runbooks(real_lake: Path, tmp_path: Path):
    write_report(real_lake, tmp_path, DAY, run_state={})
    folder = tmp_path / str(DAY)
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


def test_lang_en_writes_report_en_beside_the_french_report(lake: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from flows.cli import app

    folder = tmp_path / str(DAY)
    save_run_state(tmp_path, DAY, {"late_files": [], "rules": [], "detection": {"status": "ran"}})
    write_report(lake, tmp_path, DAY)  # the nightly's French report
    before = _snapshot(folder)

    monkeypatch.setenv("VIGIE_LAKE", str(lake))
    monkeypatch.setenv("VIGIE_REPORTS", str(tmp_path))
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("VIGIE_LANG", raising=False)
    result = CliRunner().invoke(app, ["report", "--date", str(DAY), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(folder / "report.en.html")

    after = _snapshot(folder)
    assert set(after) == set(before) | {"report.en.html", "report.en.md"}  # no English copy of the data files
    assert {k: after[k] for k in before} == before  # nothing else rewritten: same bytes, same inodes
    english = (folder / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "The day at a glance" in english
    assert f"{ATTACK_READS} people exposed" in english and "La journée en bref" not in english
    assert "What to do now" in (folder / "report.en.md").read_text(encoding="utf-8")

    # Re-running the English report gives the same bytes; the French report is still the main one.
    assert CliRunner().invoke(app, ["report", "--date", str(DAY), "--lang", "en"]).exit_code == 0
    assert _snapshot(folder)["report.en.html"][0] == after["report.en.html"][0]
    french = CliRunner().invoke(app, ["report", "--date", str(DAY)])
    assert french.exit_code == 0 and french.stdout.strip().splitlines()[-1] == str(folder / "report.html")


def test_rewriting_the_main_report_refreshes_its_translation(lake: Path, tmp_path: Path):
    folder = tmp_path / str(DAY)
    write_report(lake, tmp_path, DAY, run_state={})
    write_report(lake, tmp_path, DAY, lang="en", main_lang="fr", run_state={})
    english = _snapshot(folder)["report.en.html"]
    result = write_report(lake, tmp_path, DAY, run_state={})  # e.g. the nightly re-runs a late day
    assert result.html == str(folder / "report.html") and "La journée en bref" in result.markdown
    refreshed = _snapshot(folder)["report.en.html"]
    assert refreshed[0] == english[0] and refreshed[1] != english[1]  # rewritten, from the same data


def test_a_translation_never_stands_alone(lake: Path, tmp_path: Path):
    """English asked for a day with no report yet: the French main report and data files come too."""
    result = write_report(lake, tmp_path, DAY, lang="en", main_lang="fr", run_state={})
    folder = tmp_path / str(DAY)
    assert result.html == str(folder / "report.en.html") and "The day at a glance" in result.markdown
    assert "La journée en bref" in (folder / "report.html").read_text(encoding="utf-8")
    assert all((folder / name).exists() for name in ("report.md", "report.en.md", *MACHINE_FILES))


def test_english_as_main_language_puts_french_beside_it(lake: Path, tmp_path: Path):
    """Setting lang = "en": the nightly's report.html is English; --lang fr gives report.fr.html."""
    folder = tmp_path / str(DAY)
    write_report(lake, tmp_path, DAY, lang="en", run_state={})
    write_report(lake, tmp_path, DAY, lang="fr", main_lang="en", run_state={})
    assert "The day at a glance" in (folder / "report.html").read_text(encoding="utf-8")
    assert "La journée en bref" in (folder / "report.fr.html").read_text(encoding="utf-8")
    assert not (folder / "report.en.html").exists()


def test_prefect_summary_is_compact_with_exposure_first_and_the_absolute_path(lake: Path, tmp_path: Path):
    result = write_report(lake, tmp_path / "reports", DAY, run_state={})
    assert str((tmp_path / "reports" / str(DAY) / "report.html").resolve()) in result.markdown
    assert "| Personnes exposées | NIR | Gravité | Incident | Évolution |" in result.markdown
    assert "Détections par règle" not in result.markdown  # no 14-column table in Prefect's UI
    assert list(result.incident_rows[0])[:2] == ["people_exposed", "with_nir"]
    assert result.incident_rows[0]["people_exposed"] == ATTACK_READS
