"""The nightly run: which files, which days, and that re-running a day changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from worlds import write_inbox

from transforms.nightly import days_to_run, default_day, file_day, plan_inbox

DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(4)]


def test_file_day_and_default_day():
    assert file_day("app-2025-07-05.jsonl.gz") == date(2025, 7, 5)
    assert file_day("proconnect.log") is None and file_day("x-2025-13-40.jsonl") is None
    now = datetime(2025, 7, 6, 2, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert default_day("Europe/Paris", now) == date(2025, 7, 5)


def test_plan_sorts_the_inbox(tmp_path: Path):
    write_inbox(tmp_path / "inbox", DAYS, DAYS[-1])
    (tmp_path / "inbox" / "undated.jsonl").write_text("{}\n")
    plan = plan_inbox(tmp_path / "inbox", tmp_path / "lake", date(2025, 7, 3))
    assert [p.name for p in plan.todays] == ["app-2025-07-03.jsonl", "undated.jsonl"]
    assert [p.name for p in plan.late] == ["app-2025-07-01.jsonl", "app-2025-07-02.jsonl"]
    assert plan.future == 1 and plan.known == 0


def test_late_data_reruns_every_day_since_in_order():
    assert days_to_run(date(2025, 7, 5), []) == [date(2025, 7, 5)]
    assert days_to_run(date(2025, 7, 5), ["2025-07-05", "2025-07-06"]) == [date(2025, 7, 5)]
    assert days_to_run(date(2025, 7, 5), ["2025-07-03", "2025-07-05"]) == [
        date(2025, 7, 3), date(2025, 7, 4), date(2025, 7, 5)]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "run.json"}


@pytest.fixture
def vigie_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("VIGIE_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("VIGIE_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("VIGIE_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setenv("VIGIE_REFERENCE", str(tmp_path / "reference"))  # the simulated world's (write_inbox)
    monkeypatch.setenv("VIGIE_PSEUDONYM_KEY", "nightly-test-key-0123456789abcdef")
    monkeypatch.setenv("VIGIE_DUCKDB_MEMORY_LIMIT", "1GB")
    return tmp_path


def test_backfill_then_a_late_file_then_a_rerun(vigie_env: Path):
    """The plain driver (what `vigie nightly` runs with no Prefect server): a night whose app
    file is late is incomplete, says so, and is complete once the late file re-ran it."""
    from transforms.nightly import run_nights
    from transforms.settings import Settings

    story = write_inbox(vigie_env / "inbox", DAYS, DAYS[-1], proconnect=True)
    late = vigie_env / "inbox" / "app-2025-07-02.jsonl"
    late.rename(vigie_env / "held-back.jsonl")

    summaries = [s.as_dict() for s in run_nights(DAYS[:3], Settings())]
    assert [s["days_run"] for s in summaries] == [["2025-07-01"], ["2025-07-02"], ["2025-07-03"]]
    assert [s["status"] for s in summaries] == ["complete", "incomplete", "complete"]
    missing, skipped = summaries[1]["nights"]["2025-07-02"]["reasons"]
    assert missing == {"code": "source_missing", "source": "app"}
    assert skipped["code"] == "rules_skipped" and "app" in skipped["needs"] and skipped["reference"] is None
    banner = (vigie_env / "reports" / "2025-07-02" / "report.md").read_text(encoding="utf-8").splitlines()[0]
    assert banner.startswith("> **⚠ Données manquantes : aucun fichier application partenaire pour ce jour")

    (vigie_env / "held-back.jsonl").rename(late)
    [first] = [s.as_dict() for s in run_nights([DAYS[3]], Settings())]
    assert first["late_files"] == ["app-2025-07-02.jsonl"]
    assert first["days_run"] == ["2025-07-02", "2025-07-03", "2025-07-04"]
    assert first["status"] == "complete" and set(first["nights"]) == set(first["days_run"])
    report_dir = vigie_env / "reports" / "2025-07-04"
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "inc-" in html and story.victim in html and f"{story.exposed} personnes exposées" in html
    replayed = (vigie_env / "reports" / "2025-07-02" / "report.html").read_text()
    assert "app-2025-07-02.jsonl" in replayed and "Données manquantes" not in replayed
    before = _outputs(report_dir)

    [again] = [s.as_dict() for s in run_nights([DAYS[3]], Settings())]
    assert again["inbox"]["files"] == 0 and again["days_run"] == ["2025-07-04"]
    assert _outputs(report_dir) == before  # same day, same bytes
