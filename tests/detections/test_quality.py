"""Detection quality on a held-out 30-day, 3,000-agent simulated world (issue 4's targets).

Slow (about 4 minutes to generate, 15 to ingest and 5-10 to detect on a shared 2-core
machine): `make test-slow`, or `pytest -m slow tests/detections/test_quality.py`. The seed
20260417 was never used to tune a rule; development used seeds 11 and 12. Set
VIGIE_QUALITY_WORLD to an already generated world (a folder with inbox/, reference/,
labels/) and VIGIE_QUALITY_LAKE to an already ingested lake to skip those steps.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from transforms.ingest.pseudonymise import PseudonymKey

pytestmark = pytest.mark.slow

SEED, START, DAYS, AGENTS = 20260417, date(2025, 9, 1), 30, 3000
KEY = PseudonymKey(b"vigie-quality-key")


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    from devtools.evaluate import evaluate
    from transforms.detect import run_days

    root = tmp_path_factory.mktemp("quality")
    world = Path(os.environ.get("VIGIE_QUALITY_WORLD", root / "world"))
    if not (world / "labels" / "labels.json").exists():
        from simulator.world import simulate

        simulate(START, DAYS, AGENTS, SEED, world)
    lake = Path(os.environ.get("VIGIE_QUALITY_LAKE", root / "lake"))
    if not (lake / "app_events").exists():
        from transforms.ingest.enrich import load_reference
        from transforms.ingest.run import IngestOptions, ingest_files

        ingest_files(sorted((world / "inbox").glob("*.jsonl*")),
                     IngestOptions(lake=lake, key=KEY, reference=load_reference(world / "reference")))
    started = time.monotonic()
    summaries = run_days(lake, [START + timedelta(days=i) for i in range(DAYS)], memory_limit="4GB")
    rules_seconds = sum(r.seconds for s in summaries for r in s.rules)
    report = evaluate(lake, world / "labels" / "labels.json", KEY, memory_limit="4GB")
    report["detect_seconds"] = round(time.monotonic() - started, 1)
    report["rules_seconds"] = round(rules_seconds, 1)
    print(json.dumps({k: v for k, v in report.items() if k != "false_positives"}, indent=1, default=str))
    return report


def test_recall_and_first_night(measured):
    assert measured["recall"] == 1.0
    for s in measured["scenarios"]:
        # low and slow and the campaign stay under daily floors; the insider's first days are
        # quiet by design (its full scope reaches back to them: test_exposure_within_two_percent)
        allowed = {"low_and_slow": 3, "campaign": 3, "insider": 7}.get(s["scenario"], 0)
        assert s["delay_days"] is not None and s["delay_days"] <= allowed, s


def test_precision_and_false_positives(measured):
    assert measured["precision_high"] >= 0.95
    assert measured["fp_per_day_per_1000_agents"] <= 1.0


def test_exposure_within_two_percent(measured):
    assert measured["max_exposure_error"] <= 0.02


def test_rules_under_five_minutes(measured):
    assert measured["rules_seconds"] < 300
