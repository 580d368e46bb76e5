"""Campaigns and true scope, through the real path (the session's simulated world: raw logs,
ingest, every rule, the nightly linker): a campaign of accounts each under 300 reads a day is
found and made one incident; no shared-egress trap links accounts; an incident's full scope
reaches the attacker's activity on nights before its first finding, and names how far back it
searched."""

from __future__ import annotations

import json
import shutil

import pytest

RULE = "campaign_shared_infrastructure"


@pytest.fixture(scope="module")
def campaign(world) -> set[str]:
    return set(world.accounts("campaign"))


def test_campaign_under_300_reads_a_day_is_found_and_one_incident(world, campaign):
    daily = world.sql("select user_id, max(reads) from account_daily where list_contains($u, user_id) group by 1",
                      {"u": sorted(campaign)})
    assert len(daily) == len(campaign) and all(reads < 300 for _, reads in daily), daily
    found = {u for (u,) in world.sql("select distinct user_id from findings where rule_id = $r", {"r": RULE})}
    assert campaign <= found
    attackers = {a["actor_user_id"] for lab in world.labels for a in lab["malicious_accounts"]}
    assert found <= attackers  # the abused advisors' shared proxy too: both are one operator's work
    incidents = world.sql("select incident_uid, accounts, org_sirets from incidents "
                          "where list_has_any(accounts, $u::varchar[])", {"u": sorted(campaign)})
    assert len(incidents) == 1, incidents
    _, accounts, orgs = incidents[0]
    assert set(accounts) == campaign and len(orgs) == len(campaign)
    # the shared infrastructure is the evidence: the browser build the operator used on every account
    uas = {r["user_agent"] for r in world.raw_rows("app")
           if r.get("app_session_id") in set(world.attack("campaign")["malicious_sessions"]["app_session_id"])}
    infra = {k for (m,) in world.sql("select metrics from findings where rule_id = $r", {"r": RULE})
             for k in json.loads(m)["infrastructure"]}
    assert {f"ua:{ua}" for ua in uas} & infra, (uas, infra)


def _trap_accounts(world) -> list[tuple[set[str], str]]:
    traps = {t["trap"]: t for t in world.facts["traps"]}
    office = {u for (u,) in world.sql("select distinct user_id from app_activity where src_ip = $ip",
                                      {"ip": traps["shared_egress"]["office_nat"]})}
    return [(office, "an office NAT many accounts share"),
            (set(traps["mobile_and_ipv6"]["mobile_accounts"]), "carrier NAT and IPv6 privacy addresses"),
            (set(traps["service_accounts"]["accounts"]), "service accounts on the SP's back end"),
            ({i["account"] for i in traps["auto_update"]["instances"]}, "browsers updated the same days")]


def test_shared_egress_traps_do_not_link(world, campaign):
    flagged = {u for (u,) in world.sql("select distinct user_id from findings where rule_id = $r", {"r": RULE})}
    attackers = {a["actor_user_id"] for lab in world.labels for a in lab["malicious_accounts"]}
    incidents = [set(m) for (m,) in world.sql("select accounts from incidents")]
    for accounts, trap in _trap_accounts(world):
        innocent = accounts - attackers
        assert len(innocent) >= 1, trap
        assert not flagged & innocent, trap
        # no incident joins a trap account to another account
        for members in incidents:
            assert not members & innocent, (trap, members)


def test_full_scope_reaches_nights_before_the_first_finding(world_copy, campaign):
    """The campaign rule alone (the real runner and linker on a copy of the world): its first
    finding comes when a second structure's account joins, yet the incident's scope reaches the
    first account's first night, searched back to the lake's first day, and is the labels' set."""
    from datetime import date

    from transforms.detect import load_rules, run_days
    from transforms.lake.layout import partition_dir

    lake = world_copy.lake
    for table in ("findings", "incident_versions", "incident_exposed"):
        for day in world_copy.days:
            folder = partition_dir(lake, table, str(day))
            if folder.exists():
                shutil.rmtree(folder)
    run_days(lake, world_copy.days, rules=[r for r in load_rules() if r.id == RULE])
    label = world_copy.attack("campaign")
    [(first_finding, first_activity, searched, flagged, full)] = world_copy.sql(
        "select first_day, first_malicious_activity, scope_searched_from, beneficiaries_exposed_flagged, "
        "beneficiaries_exposed from incidents where list_has_any(accounts, $u::varchar[])", {"u": sorted(campaign)})
    assert first_activity.date() == date.fromisoformat(label["first_malicious_day"]) < first_finding
    assert searched == world_copy.days[0]  # 30 days back, bounded by the lake's first day
    assert full > flagged > 0
    assert full == label["exposed_count"]


def test_owner_devices_stay_out_of_scope(world, campaign):
    """The owners' own office work on the campaign accounts is not counted."""
    devices = world.attack("campaign")["malicious_devices"]
    owner_reads, counted = world.sql(
        "with own as (select distinct user_id, beneficiary_ref from app_activity where list_contains($u, user_id) "
        "and is_read and not list_contains($d, device_id)) "
        "select (select count(*) from own), (select count(*) from incident_beneficiaries b "
        "join incidents i using (incident_uid) join own o using (beneficiary_ref) "
        "where list_contains(i.accounts, o.user_id) and beneficiary_ref not in (select beneficiary_ref "
        "from app_activity where list_contains($d, device_id)))", {"u": sorted(campaign), "d": devices})[0]
    assert owner_reads > 0 and counted == 0


def test_evaluate_reports_flagged_and_full_scope(world):
    from worlds import KEY

    from devtools.evaluate import evaluate
    from transforms.ingest.pseudonymise import PseudonymKey

    result = evaluate(world.lake, world.world / "labels" / "labels.json", PseudonymKey(KEY.encode()))
    camp = {s["scenario"]: s for s in result["scenarios"]}["campaign"]
    assert camp["detected"] and len(camp["incidents"]) == 1
    assert camp["exposure_full_scope"] == camp["exposure_labelled"] >= camp["exposure_flagged_sessions"]
    assert camp["first_malicious_activity_found"].startswith(world.attack("campaign")["first_malicious_day"])
    assert camp["scope_searched_from"] == str(world.days[0])
    assert result["max_exposure_error"] <= 0.02
