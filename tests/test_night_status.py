"""A night that could not see its data says so: exit code, the banner at the very top of the
report, the words that replace "no incident"; days not over and nights never run are refused.
Every case goes through the `vigie` command line, as the cron job or the analyst runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner
from vigie_testing import FIXTURES, plain_vigie_env
from worlds import write_inbox

from flows.cli import app

ROOT = Path(__file__).resolve().parent.parent
DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(2)]
DAY = DAYS[-1]
NO_INCIDENT_ALONE = "Aucun incident ce jour."
WARNING = "l'absence d'incident ne vaut pas absence d'attaque"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    plain_vigie_env(monkeypatch, tmp_path, "night-status-test-key-0123456789abcdef")
    # the test reference data, replaced by the simulated world's when a test writes its inbox
    shutil.copytree(FIXTURES / "reference", tmp_path / "reference")
    monkeypatch.setenv("VIGIE_REFERENCE", str(tmp_path / "reference"))
    return tmp_path


def vigie(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, list(args))


def report(env: Path, day: date = DAY) -> tuple[str, str]:
    folder = env / "reports" / str(day)
    return (folder / "report.md").read_text(encoding="utf-8"), (folder / "report.html").read_text(encoding="utf-8")


def assert_banner_on_top(env: Path, *phrases: str) -> None:
    markdown, html = report(env)
    first = markdown.splitlines()[0]
    assert first.startswith("> **⚠ Données manquantes : ") and first.endswith(f"{WARNING}.**"), first
    body = html[html.index("<body>"):]
    assert body.index('<div class="banner"') < body.index("<header>")
    for phrase in phrases:
        assert phrase in first and phrase in html, (phrase, first)
    assert NO_INCIDENT_ALONE not in markdown and NO_INCIDENT_ALONE not in html
    if re.search(r"\*\*Incidents\*\*\s*:\s*0\b", markdown):  # no incident: never said alone
        assert "Aucun incident détecté sur les données reçues, mais la nuit est incomplète" in markdown


def test_a_complete_night_exits_0_with_no_banner(env: Path):
    write_inbox(env / "inbox", DAYS, DAY + timedelta(days=9), proconnect=True)
    result = vigie("backfill", "--from", str(DAYS[0]), "--to", str(DAY))
    assert result.exit_code == 0, result.output
    assert "night of 2025-07-02: COMPLETE" in result.output
    markdown, html = report(env)
    assert markdown.startswith("# Vigie") and 'class="banner"' not in html
    assert NO_INCIDENT_ALONE in markdown  # said only when the night saw everything


def test_a_missing_inbox_folder_is_an_error_naming_it(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIGIE_INBOX", str(env / "no" / "such" / "folder"))
    result = vigie("nightly", "--date", str(DAY))
    assert result.exit_code == 1
    assert f"inbox folder not found: {env / 'no' / 'such' / 'folder'}" in result.output.replace("\n", "")
    assert not (env / "reports").exists() and not (env / "lake").exists()


def test_an_empty_inbox_is_an_incomplete_night(env: Path):
    (env / "inbox").mkdir()
    result = vigie("nightly", "--date", str(DAY))
    assert result.exit_code == 3, result.output
    assert "INCOMPLETE" in result.output
    assert_banner_on_top(env, "aucun fichier ProConnect pour ce jour",
                         "aucun fichier application partenaire pour ce jour")


def test_one_source_missing_is_named(env: Path):
    story = write_inbox(env / "inbox", DAYS, DAY)  # the app's files only
    result = vigie("backfill", "--from", str(DAYS[0]), "--to", str(DAY))
    assert result.exit_code == 3, result.output
    assert_banner_on_top(env, "aucun fichier ProConnect pour ce jour")
    markdown, _ = report(env)
    assert "application partenaire pour ce jour" not in markdown.splitlines()[0]
    assert f"{story.exposed} personnes exposées" in markdown  # the attack is still reported from what came


def test_an_empty_file_is_named(env: Path):
    write_inbox(env / "inbox", [DAY], DAY, proconnect=True)
    (env / "inbox" / f"proconnect-{DAY}.jsonl").write_text("", encoding="utf-8")
    result = vigie("nightly", "--date", str(DAY))
    assert result.exit_code == 3, result.output
    assert_banner_on_top(env, f"fichier ProConnect proconnect-{DAY}.jsonl sans ligne exploitable (0 lignes lues")


def test_missing_reference_data_names_the_folder_and_the_rules_it_stopped(env: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    nowhere = env / "no-reference"
    monkeypatch.setenv("VIGIE_REFERENCE", str(nowhere))
    write_inbox(env / "inbox", [DAY], DAY + timedelta(days=9), proconnect=True)
    result = vigie("nightly", "--date", str(DAY))
    assert result.exit_code == 3, result.output
    assert_banner_on_top(env, f"données de référence absentes de {nowhere} : GeoLite2-ASN-Blocks-IPv4.csv",
                         f"(données de référence cherchées dans {nowhere})")


def test_a_day_not_over_yet_is_refused(env: Path):
    (env / "inbox").mkdir()
    result = vigie("nightly", "--date", "2031-01-01")
    assert result.exit_code == 2
    assert "the night of 2031-01-01 cannot run: that day is not over yet" in result.output.replace("\n", " ")
    assert not (env / "reports").exists()


def test_the_report_of_a_night_never_run_is_refused(env: Path):
    result = vigie("report", "--date", str(DAY))
    assert result.exit_code == 2
    assert f"the night of {DAY} has not run" in result.output.replace("\n", " ")
    assert not (env / "reports").exists()


def test_a_report_written_again_keeps_the_banner(env: Path):
    write_inbox(env / "inbox", [DAY], DAY)
    assert vigie("nightly", "--date", str(DAY)).exit_code == 3
    again = vigie("report", "--date", str(DAY), "--lang", "en")
    assert again.exit_code == 0, again.output
    english = (env / "reports" / str(DAY) / "report.en.md").read_text(encoding="utf-8").splitlines()[0]
    assert english.startswith("> **⚠ Missing data: no ProConnect file for this day")
    assert english.endswith("no incident does not mean no attack.**")
    assert_banner_on_top(env, "aucun fichier ProConnect pour ce jour")


def test_a_plain_nightly_on_the_sample_starts_no_prefect(tmp_path: Path):
    """No PREFECT_API_URL: the driver runs as plain code, Prefect is never even imported."""
    first = sorted(p.name for p in (ROOT / "sample_logs" / "inbox").iterdir())[0]
    day = first.split("-", 1)[1][:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIE_"))}
    env.update({"VIGIE_CONFIG": str(tmp_path / "absent.toml"), "VIGIE_INBOX": str(ROOT / "sample_logs" / "inbox"),
                "VIGIE_REFERENCE": str(ROOT / "sample_logs" / "reference"), "VIGIE_LAKE": str(tmp_path / "lake"),
                "VIGIE_REPORTS": str(tmp_path / "reports"), "VIGIE_PSEUDONYM_KEY": "plain-run-key-0123456789abcdef"})
    probe = ("import sys\nfrom flows.cli import main\ntry:\n    main()\n"
             "except SystemExit as exc:\n    code = exc.code\n"
             "print('prefect loaded:', sorted(m for m in sys.modules if m.split('.')[0] == 'prefect')[:3])\n"
             "sys.exit(code)\n")
    run = subprocess.run([sys.executable, "-c", probe, "nightly", "--date", day], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "prefect loaded: []" in run.stdout
    assert "temporary" not in output.lower() and "Starting" not in output
    assert (tmp_path / "reports" / day / "report.html").exists()


def test_serve_with_the_server_down_says_so_in_a_few_lines(tmp_path: Path):
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIE_"))}
    env.update({"PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "VIGIE_CONFIG": str(tmp_path / "absent.toml"),
                "VIGIE_PSEUDONYM_KEY": "serve-test-key-0123456789abcdef", "COLUMNS": "200"})
    run = subprocess.run([str(Path(sys.executable).parent / "vigie"), "serve"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    output = (run.stdout + run.stderr).strip()
    assert run.returncode == 1
    assert output.startswith(f"error: the Prefect server at http://127.0.0.1:{port}/api is not reachable")
    assert "Traceback" not in output and len(output.splitlines()) <= 3, output
