"""`evaluate` reads the simulator's real labels: a small simulated world, ingested and detected.

The world is tiny (4 days, 120 agents, attack volumes scaled down): this checks the label
format (accounts, app/ProConnect/browsing sessions, IPs, window, clear beneficiary ids
pseudonymised with the ingest key) and the JSON keys, not the quality targets (see
test_quality.py for the held-out 30-day world).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from transforms.ingest.pseudonymise import PseudonymKey

KEY = PseudonymKey(b"vigie-sim-test-key")
START, DAYS = date(2025, 11, 17), 4


@pytest.fixture(scope="module")
def sim_lake(tmp_path_factory):
    from simulator.world import simulate
    from transforms.detect import run_days
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.run import IngestOptions, ingest_files

    root = tmp_path_factory.mktemp("sim")
    simulate(START, DAYS, 120, 4242, root / "world", dirt={"enabled": False},
             infostealer={"views_per_day": (600, 900), "start_day": 2},
             account_manager={"views_per_day": (800, 1200), "start_day": 1},
             abused_advisors={"views_per_session": (150, 250), "start_day": 1},
             cookie_replay={"views": (150, 300), "start_day": 2},
             low_and_slow={"start_day": 0}, campaign={"start_day": 0, "stagger_days": 0},
             insider={"enabled": False})  # its quiet days alone outlast this 4-day world
    lake = root / "lake"
    ingest_files(sorted((root / "world" / "inbox").glob("*.jsonl*")),
                 IngestOptions(lake=lake, key=KEY, reference=load_reference(root / "world" / "reference")))
    run_days(lake, [START + timedelta(days=i) for i in range(DAYS)])
    return {"lake": lake, "labels": root / "world" / "labels" / "labels.json"}


def test_entities_of_a_real_label():
    from devtools.evaluate import entities

    label = {"malicious_accounts": [{"actor_user_id": "OF-1-u01", "pc_sub": "x"}],
             "malicious_sessions": {"app_session_id": ["s-1"], "pc_session_id": ["p-1"],
                                    "browsing_session_id": ["b-1"]},
             "malicious_ips": ["10.0.0.1"]}
    assert entities(label) == {"user": {"OF-1-u01"}, "session": {"s-1", "p-1"}, "browsing": {"b-1"},
                               "ip": {"10.0.0.1"}}


def test_evaluate_reads_simulator_labels(sim_lake):
    from devtools.evaluate import default, evaluate, load_labels

    labels = load_labels(sim_lake["labels"])
    report = evaluate(sim_lake["lake"], sim_lake["labels"], KEY)
    json.dumps(report, default=default)
    for key in ("recall", "precision_high", "fp_per_day_per_1000_agents", "max_exposure_error", "scenarios"):
        assert key in report
    assert [s["id"] for s in report["scenarios"]] == [lab["attack_id"] for lab in labels]
    by_scenario = {s["scenario"]: s for s in report["scenarios"]}
    # the big, loud attacks are found and their exposure is counted from the lake, in pseudonyms
    for name in ("infostealer_mass_extraction", "account_manager_abuse"):
        s = by_scenario[name]
        assert s["detected"] and s["delay_days"] == 0, s
        assert s["exposure_overlap"] >= 0.98 * s["exposure_labelled"], s
        assert s["exposure_error"] <= 0.02, s
    assert report["recall"] >= 0.8
