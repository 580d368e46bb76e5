"""Privacy: the key, job seekers' clear identifiers and agents' e-mails never leave the raw
input; everything Vigie creates is readable by its owner only; the quarantine is purged.

The pipeline runs as `vigie backfill` would, in a child process started with the common
umask 022 (so owner-only modes must come from Vigie itself), in demo mode: Vigie creates
its own key in the state folder, the one file allowed to hold it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from vigie_testing import FIXTURES
from worlds import write_inbox

from transforms.ingest import quarantine
from transforms.ingest.pseudonymise import PseudonymKey
from transforms.lake import manifest

TESTS = Path(__file__).resolve().parent
CHILD = TESTS / "test_crash_nightly.py"  # runnable: the nightly flow's body without Prefect
DAYS = [date(2025, 7, 1) + timedelta(days=i) for i in range(2)]
DEMO_KEY = "demo-pseudonym.key"


def child_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    return {**env, "VIGIE_DEMO": "1", "VIGIE_CONFIG": str(root / "absent.toml"),
            "VIGIE_INBOX": str(root / "inbox"), "VIGIE_LAKE": str(root / "lake"),
            "VIGIE_REPORTS": str(root / "reports"), "VIGIE_STATE": str(root / ".vigie"),
            "VIGIE_REFERENCE": str(root / "reference"), "VIGIE_DUCKDB_MEMORY_LIMIT": "1GB",
            "VIGIE_DUCKDB_THREADS": "2", **extra}


def run_pipeline(root: Path, first: date, last: date, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHILD), str(first), str(last), "0"], env=child_env(root, **extra),
                          capture_output=True, text=True, timeout=600, preexec_fn=lambda: os.umask(0o022))


def secrets_of(key: PseudonymKey) -> list[str]:
    """The key in every form that would give it away: itself and the HMAC pads SQL receives."""
    ipad, opad = key.pads()
    return [key.secret.decode(), ipad.hex(), opad.hex()]


DIRTY = {"dirt": {"rate": 2e-3}}  # the simulator's damaged lines: the quarantine holds raw (masked) lines


def readable_text(path: Path) -> str:
    """What a file holds, decoded: Parquet is compressed, so its rows are read back as text."""
    text = path.read_bytes().decode("latin-1")
    if path.suffix == ".parquet":
        rows = duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
        text += json.dumps(rows, default=str, ensure_ascii=False)
    return text


def find_leaks(texts: dict[str, str], needles: list[str]) -> list[tuple[str, str]]:
    lowered = {name: text.lower() for name, text in texts.items()}
    return [(name, needle) for needle in needles for name, text in lowered.items() if needle.lower() in text]


def written_files(root: Path) -> list[Path]:
    return [p for top in ("lake", "reports", ".vigie") for p in (root / top).rglob("*")
            if p.is_file() and p.name != DEMO_KEY]


def assert_owner_only(root: Path) -> None:
    loose = [f"{oct(p.stat().st_mode & 0o777)} {p.relative_to(root)}"
             for top in ("lake", "reports", ".vigie") for p in [root / top, *(root / top).rglob("*")]
             if p.stat().st_mode & 0o077]
    assert not loose, loose


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("privacy")
    story = write_inbox(root / "inbox", DAYS, DAYS[-1], **DIRTY)
    done = run_pipeline(root, DAYS[0], DAYS[-1])
    assert done.returncode == 0, done.stderr
    key = PseudonymKey((root / ".vigie" / DEMO_KEY).read_bytes().strip())
    return {"root": root, "key": key, "logs": {"stdout": done.stdout, "stderr": done.stderr}, "story": story}


def test_nothing_vigie_writes_holds_the_key_or_a_clear_identifier(pipeline):
    root, key = pipeline["root"], pipeline["key"]
    files = written_files(root)
    kinds = {p.suffix for p in files}
    assert {".parquet", ".json", ".jsonl", ".html", ".md", ".csv"} <= kinds  # the scan saw every kind
    assert any(p.parts[-2] == "quarantine" for p in files)  # raw (masked) lines included
    texts = {str(p.relative_to(root)): readable_text(p) for p in files} | pipeline["logs"]

    # What Prefect would store: the artifacts are built from the report (markdown and incident rows).
    from transforms.report import write_report

    result = write_report(root / "lake", root / "reports", DAYS[-1], "fr")
    assert result.people_exposed > 0
    texts["artifact:markdown"] = result.markdown
    texts["artifact:incidents"] = json.dumps(result.incident_rows)

    story = pipeline["story"]
    assert len(story.clear_emails) > 10 and len(story.clear_ids) > 100
    assert not find_leaks(texts, secrets_of(key) + story.clear_sample())
    # The check can see a leak: the pseudonyms it expects are there, and the logs name the demo key's path.
    from transforms.ingest.pseudonymise import beneficiary_pseudonym

    assert any(beneficiary_pseudonym(key, story.clear_ids[100]) in t for t in texts.values())
    assert find_leaks({"probe": f"x {key.secret.decode()} y"}, secrets_of(key))


def test_everything_vigie_creates_is_owner_only(pipeline):
    assert_owner_only(pipeline["root"])


def test_owner_only_without_the_umask(tmp_path: Path, ingest_options):
    """Even a caller that never set Vigie's umask (a library user) gets private files: the
    lake's writers chmod what DuckDB writes and create every missing folder owner-only."""
    from transforms.ingest.run import ingest_files
    from transforms.report import write_report

    previous = os.umask(0o022)
    try:
        ingest_options.lake = tmp_path / "deep" / "lake"
        ingest_files([FIXTURES / "app-2025-07-05.jsonl", FIXTURES / "app-malformed-2025-07-05.jsonl"],
                     ingest_options)
        write_report(tmp_path / "deep" / "lake", tmp_path / "out" / "reports", date(2025, 7, 5), "en")
    finally:
        os.umask(previous)
    loose = [f"{oct(p.stat().st_mode & 0o777)} {p.relative_to(tmp_path)}"
             for p in (*tmp_path.rglob("*"),) if p.stat().st_mode & 0o077 and ".tmp" not in p.parts]
    assert not loose, loose


def test_quarantine_is_purged_by_ingest_age(tmp_path: Path, ingest_options):
    from transforms.ingest.run import ingest_files

    ingest_files([FIXTURES / "app-malformed-2025-07-05.jsonl", FIXTURES / "app-2025-07-05.jsonl"],
                 ingest_options)
    lake = ingest_options.lake
    files = sorted((lake / "quarantine").glob("*.parquet"))
    assert files
    old = files[0]
    ninety_one_days_ago = time.time() - 91 * 86_400
    os.utime(old, (ninety_one_days_ago, ninety_one_days_ago))

    assert quarantine.purge(lake, 90) == [old.name]
    assert not old.exists() and all(p.exists() for p in files[1:])
    entry = next(e for e in manifest.load_all(lake) if e.source_file == old.stem)
    assert f"quarantine/{old.name}" not in entry.outputs
    assert any("purged" in w for w in entry.warnings)
    assert entry.lines_read == entry.rows_written + entry.rows_quarantined  # still accounted for
    assert all((lake / o).exists() for e in manifest.load_all(lake) for o in e.outputs)
    assert quarantine.purge(lake, 90) == []  # idempotent
    assert quarantine.purge(lake, 0, now=time.time() + 1) == [p.name for p in files[1:]]
    # the same file again: recognised by its hash, nothing re-quarantined
    again = ingest_files([FIXTURES / "app-malformed-2025-07-05.jsonl"], ingest_options)
    assert again[0].status == "skipped" and not old.exists()


@pytest.mark.slow
def test_the_nightly_run_purges_by_the_setting(pipeline, tmp_path: Path):
    import shutil

    root = tmp_path / "w"
    for name in ("inbox", "lake", "reports", ".vigie"):
        shutil.copytree(pipeline["root"] / name, root / name)
    assert list((root / "lake" / "quarantine").glob("*.parquet"))
    done = run_pipeline(root, DAYS[-1], DAYS[-1], VIGIE_QUARANTINE_RETENTION_DAYS="0")
    assert done.returncode == 0, done.stderr
    assert not list((root / "lake" / "quarantine").glob("*.parquet"))
    assert all("purged" in " ".join(e.warnings) for e in manifest.load_all(root / "lake") if e.rows_quarantined)


@pytest.mark.slow
def test_prefect_database_artifacts_and_logs_hold_no_key_nor_clear_identifier(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness, caplog):
    """The real flow with Prefect: its database (flow parameters, task results, logs, artifacts)
    is scanned too."""
    import logging

    from prefect.settings import get_current_settings

    from flows.nightly import backfill

    secret = "privacy-prefect-test-key-0123456789abcdef"
    for name, value in child_env(tmp_path, VIGIE_PSEUDONYM_KEY=secret).items():
        if name.startswith("VIGIE_") and name != "VIGIE_DEMO":
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("VIGIE_DEMO", raising=False)
    story = write_inbox(tmp_path / "inbox", DAYS, DAYS[-1], proconnect=True)
    with caplog.at_level(logging.DEBUG):
        backfill(DAYS[0], DAYS[-1])
    url = get_current_settings().server.database.connection_url.get_secret_value()
    database = Path(url.split("///", 1)[-1]) if "sqlite" in url else None
    texts = {str(p): readable_text(p) for p in written_files(tmp_path)}
    texts["logs"] = caplog.text
    if database is not None and database.exists():
        for path in database.parent.glob(database.name + "*"):  # the database and its WAL
            texts[str(path)] = path.read_bytes().decode("latin-1")
    from vigie_testing import read_artifacts

    artifacts = read_artifacts([f"vigie-report-{d}" for d in DAYS] + [f"vigie-incidents-{d}" for d in DAYS])
    assert len(artifacts) == 4
    texts |= {f"artifact:{k}": v for k, v in artifacts.items()}
    assert database is not None and any(name.endswith((".db", ".db-wal")) for name in texts)
    assert not find_leaks(texts, secrets_of(PseudonymKey(secret.encode())) + story.clear_sample())
