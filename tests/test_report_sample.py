"""Slow: the committed 14-day sample world, ingested and detected day by day, gives reports
in which every labelled attack is an incident with its exposure (what `make demo` shows)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs"


@pytest.mark.skipif(not (SAMPLE / "labels" / "labels.json").exists(), reason="sample_logs not generated")
def test_every_sample_attack_is_an_incident_in_the_reports(tmp_path: Path):
    from vigie_testing import TEST_KEY

    from transforms.detect import run_day
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.run import IngestOptions, ingest_files
    from transforms.nightly import file_day, inbox_files
    from transforms.report import write_report

    lake, reports = tmp_path / "lake", tmp_path / "reports"
    files = inbox_files(SAMPLE / "inbox")
    days = sorted({file_day(f.name) for f in files})
    opts = IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(SAMPLE / "reference"))
    ingest_files(files, opts)
    for day in [days[0] + timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]:
        run_day(lake, day)
        write_report(lake, reports, day, run_state={})

    shown: dict[str, list[dict]] = {}
    for day in days:
        folder = reports / str(day)
        assert (folder / "report.html").exists() and (folder / "findings.jsonl").exists()
        html = (folder / "report.html").read_text(encoding="utf-8")
        for incident in json.loads((folder / "incidents.json").read_text())["incidents"]:
            assert incident["incident_uid"] in html
            for account in incident["accounts"]:
                shown.setdefault(account, []).append(incident)

    for attack in json.loads((SAMPLE / "labels" / "labels.json").read_text()):
        accounts = {a["actor_user_id"] for a in attack["malicious_accounts"]}
        incidents = [i for a in accounts for i in shown.get(a, [])]
        assert incidents, f"{attack['attack_id']} is in no report"
        exposed = max(i["beneficiaries_exposed"] for i in incidents)
        if attack["scenario"] != "abused_advisor_accounts":  # several accounts, several incidents
            assert abs(exposed - attack["exposed_count"]) <= 0.02 * attack["exposed_count"], attack["attack_id"]
    assert date(2025, 11, 30) in days
