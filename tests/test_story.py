"""An incident's headline, severity and one action plan (transforms/report/story.py)."""

from __future__ import annotations

from transforms.report import story

CHAIN = ["admin_out_of_pattern", "created_account_bulk", "created_account_shared_origin", "machine_pacing",
         "mass_extraction_volume", "off_hours_bulk", "out_of_portfolio_bulk"]


def test_the_most_specific_behaviour_names_the_incident():
    assert story.headline(CHAIN, "fr").startswith("Gestionnaire de comptes")
    assert story.headline(["machine_pacing", "session_multi_network"], "en").startswith("Stolen session replayed")
    slow_but_massive = ["low_and_slow_accumulation", "mass_extraction_volume", "machine_pacing"]
    assert story.headline(slow_but_massive, "fr").startswith("Extraction massive")


def test_severity_follows_exposure_and_behaviour_not_one_rule():
    assert story.severity(["scripted_user_agent", "machine_pacing"], 2575, 252) == "critical"
    assert story.severity(["machine_pacing"], 12, 0) == "medium"
    assert story.severity(["session_multi_network"], 179, 24) == "high"
    assert story.severity(CHAIN, 5, 0) == "critical"


def test_one_plan_contain_first_each_step_once():
    inc = {"rule_ids": CHAIN + ["session_multi_network"]}
    values = {"actors": "ML-1", "created": "ML-2, ML-3", "creators": "ML-1", "owners": "ML-1",
              "attacker_ips": "203.0.113.9", "sessions_n": "4 sessions", "orgs": "Mission locale",
              "people": "27 870", "nir": "9 559", "exposed_file": "exposed/inc-x.csv"}
    plan = story.action_plan(inc, "fr", values)
    phases = [s["phase"] for s in plan]
    assert phases == sorted(phases, key=story.PHASES.index) and phases[0] == "contain"
    assert len({s["id"] for s in plan}) == len(plan) and len({s["text"] for s in plan}) == len(plan)
    assert plan[0]["text"] == "Désactiver les comptes créés ML-2, ML-3"
    without_created = story.action_plan({"rule_ids": CHAIN}, "en", {**values, "created": ""})
    assert "disable_created" not in {s["id"] for s in without_created}
