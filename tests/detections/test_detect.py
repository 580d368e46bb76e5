"""The runner's contract: deterministic findings, skipped rules, incidents with exposure."""

from __future__ import annotations

import json
from datetime import date

from devtools.evaluate import evaluate
from transforms.detect import run_day
from transforms.ingest.pseudonymise import PseudonymKey
from transforms.lake.duck import connect


def _uids(lake, day):
    conn = connect(lake)
    rows = sorted(r[0] for r in conn.execute(
        "select finding_uid from findings where event_date = ?", [day]).fetchall())
    conn.close()
    return rows


def test_rerun_gives_identical_uids(world_copy):
    lake, day = world_copy.lake, world_copy.days[-1]
    before = _uids(lake, day)
    assert before
    run_day(lake, day)
    assert _uids(lake, day) == before


def test_rule_needing_missing_data_is_skipped(tmp_path):
    summary = run_day(tmp_path / "lake", date(2025, 6, 2))
    assert summary.findings == 0
    assert summary.skipped and all(r.message.startswith("skipped: needs") for r in summary.skipped)


def test_incidents_link_creator_and_created(world):
    """The account manager and the accounts it created are one incident, whose exposure is the
    labels' (every person their reads exposed, and those with a NIR)."""
    label = world.attack("account_manager_abuse")
    creator, *created = world.accounts("account_manager_abuse")
    rows = world.sql("select accounts, beneficiaries_exposed, beneficiaries_with_nir from incidents "
                     "where list_contains(accounts, $c)", {"c": creator})
    assert len(rows) == 1
    accounts, exposed, nir = rows[0]
    assert {creator, *created} <= set(accounts) and created
    assert (exposed, nir) == (label["exposed_count"], label["exposed_with_nir"]) and nir > 0


def test_evaluate_on_the_test_world(world):
    from worlds import KEY

    report = evaluate(world.lake, world.world / "labels" / "labels.json", PseudonymKey(KEY.encode()))
    json.dumps(report)
    assert report["recall"] == 1.0
    assert report["precision_high"] >= 0.95
    assert report["max_exposure_error"] <= 0.02
    assert report["fp_per_day_per_1000_agents"] <= 1.0
    # the campaign's accounts stay under daily floors until a second structure's account joins
    allowed = {"campaign": 3}
    assert all(s["delay_days"] <= allowed.get(s["scenario"], 0) for s in report["scenarios"]), report["scenarios"]
