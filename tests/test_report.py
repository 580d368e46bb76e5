"""The morning report: content, privacy, determinism, OCSF findings, exposure lists."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from world_for_reports import ATTACK_READS, ATTACKER_IP, CLEAR_EMAIL, CLEAR_IDS, VICTIM, build_lake

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
    assert "geo_velocity" in html and "skipped: needs geo" in html  # a rule that could not run
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
    assert finding["finding_info"]["attacks"] == [{"technique": {"uid": "T1213"}}]
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
    first = {p.name: p.read_bytes() for p in (tmp_path / str(DAY)).rglob("*") if p.is_file()}
    write_report(lake, tmp_path, DAY, run_state={})
    second = {p.name: p.read_bytes() for p in (tmp_path / str(DAY)).rglob("*") if p.is_file()}
    assert first == second


def test_english_report(lake: Path, tmp_path: Path):
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
