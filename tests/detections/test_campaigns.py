"""Campaigns and true scope, through the real path (the test world's raw logs, ingest, every
rule, the nightly linker): a campaign of accounts each under 300 reads a day is found and made
one incident; no shared-egress trap links accounts; an incident's full scope reaches the
attacker's activity on nights before its first finding, and names how far back it searched."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest
import world

CAMPAIGN = {"of-u02", "ml2-v01", "ml-m01"}
RULE = "campaign_shared_infrastructure"


@pytest.fixture(scope="module")
def lake_conn(world_lake):
    from transforms.lake.duck import connect

    conn = connect(world_lake["lake"])
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def late_lake(world_lake, tmp_path_factory):
    """The world's nights re-run without password_only_after_mfa, which finds the campaign's
    first account on its first night: the campaign rule alone finds it three nights late, the
    case the full scope is for."""
    from transforms.detect import load_rules, run_days

    lake = tmp_path_factory.mktemp("late") / "lake"
    shutil.copytree(world_lake["lake"], lake)
    run_days(lake, world_lake["days"], rules=[r for r in load_rules() if r.id != "password_only_after_mfa"])
    return lake


@pytest.fixture(scope="module")
def late_conn(late_lake):
    from transforms.lake.duck import connect

    conn = connect(late_lake)
    yield conn
    conn.close()


def test_the_campaign_is_found_on_its_first_night_by_the_mfa_habit(lake_conn):
    first = lake_conn.execute("select min(event_date) from findings where user_id = 'of-u02' "
                              "and rule_id = 'password_only_after_mfa'").fetchone()[0]
    assert first == world.day(4)


def test_campaign_under_300_reads_a_day_is_found_and_one_incident(lake_conn):
    daily = lake_conn.execute(
        "select user_id, max(reads) from account_daily where user_id in (select unnest($u::varchar[])) group by 1",
        {"u": sorted(CAMPAIGN)}).fetchall()
    assert daily and all(reads < 300 for _, reads in daily), daily
    found = {r[0] for r in lake_conn.execute("select distinct user_id from findings where rule_id = $r",
                                             {"r": RULE}).fetchall()}
    assert found == CAMPAIGN
    incidents = lake_conn.execute(
        "select incident_uid, accounts, org_sirets from incidents "
        "where list_has_any(accounts, $u::varchar[])", {"u": sorted(CAMPAIGN)}).fetchall()
    assert len(incidents) == 1, incidents
    _, accounts, orgs = incidents[0]
    assert set(accounts) == CAMPAIGN and len(orgs) == 3
    # the shared infrastructure is the evidence: the proxy network's /24s and the browser build
    infra = {k for (m,) in lake_conn.execute("select metrics from findings where rule_id = $r", {"r": RULE}).fetchall()
             for k in json.loads(m)["infrastructure"]}
    assert f"ua:{world.CAMPAIGN_UA}" in infra


@pytest.mark.parametrize("accounts, trap", [
    ({"ml2-v02", "ml-rgc1"}, "browser rolled out to many accounts the same day (with out-of-portfolio reads)"),
    ({"ml-m05", "ce-c03"}, "new regional VPN range shared by two structures"),
    ({"ml2-v02", "ce-c03"}, "regional VPN concentrator"),
    ({"ml-m02", "ml-m03", "ml-m09", "ml-dir1"}, "site NAT of one office"),
    ({"ml-m04"}, "carrier NAT and IPv6 privacy addresses"),
    ({"ml-m06", "ml2-v02"}, "one household's IPv6 /64, two structures"),
    ({"ml-svc1"}, "SP back-end"),
])
def test_shared_egress_traps_do_not_link(lake_conn, accounts, trap):
    flagged = {r[0] for r in lake_conn.execute("select distinct user_id from findings where rule_id = $r",
                                               {"r": RULE}).fetchall()}
    assert not flagged & accounts, trap
    # no incident joins a trap account to an account of another incident's story
    for (members,) in lake_conn.execute("select accounts from incidents").fetchall():
        if set(members) & accounts:
            assert set(members) <= accounts | CAMPAIGN or len(members) == 1, (trap, members)


def test_full_scope_reaches_nights_before_the_first_finding(world_lake, late_conn):
    first_finding, first_activity, searched, flagged, full = late_conn.execute(
        "select first_day, first_malicious_activity, scope_searched_from, beneficiaries_exposed_flagged, "
        "beneficiaries_exposed from incidents where list_contains(accounts, 'of-u02')").fetchone()
    # of-u02's first campaign session was on day 4; the campaign rule first fired on day 7
    assert first_activity.date() == world.day(4) and first_finding == world.day(7)
    assert searched == world.START  # 30 days back, bounded by the lake's first day
    assert full > flagged > 0
    labels = {a["scenario"]: a for a in json.loads(world_lake["labels"].read_text())}
    assert full == len(labels["campaign"]["exposed_beneficiaries"])


def test_owner_devices_stay_out_of_scope(lake_conn):
    """The owner's own office work on the campaign accounts is not counted."""
    owner_reads = lake_conn.execute(
        "select count(distinct beneficiary_ref) from app_events where user_id = 'of-u02' "
        "and device_id = 'dev-of-u02' and event_category = 'record_read'").fetchone()[0]
    counted = lake_conn.execute(
        "select count(*) from incident_beneficiaries b join incidents i using (incident_uid) "
        "join app_events e on e.beneficiary_ref = b.beneficiary_ref and e.user_id = 'of-u02' "
        "and e.device_id = 'dev-of-u02' where list_contains(i.accounts, 'of-u02')").fetchone()[0]
    assert owner_reads > 0 and counted == 0


def test_evaluate_reports_flagged_and_full_scope(world_lake, late_lake):
    from devtools.evaluate import evaluate
    from transforms.ingest.pseudonymise import PseudonymKey

    result = evaluate(late_lake, world_lake["labels"], PseudonymKey(world.KEY))
    by = {s["scenario"]: s for s in result["scenarios"]}
    camp = by["campaign"]
    assert camp["detected"] and len(camp["incidents"]) == 1
    assert camp["exposure_full_scope"] == camp["exposure_labelled"] > camp["exposure_flagged_sessions"]
    assert camp["first_malicious_activity_found"].startswith(str(world.day(4)))
    assert camp["scope_searched_from"] == str(world.START)
    assert result["max_exposure_error"] <= 0.02
    assert world.START + timedelta(days=4) == world.day(4)


def test_the_traps_share_their_egress(lake_conn):
    """The traps above really put accounts of different structures behind one egress."""
    shared = dict(lake_conn.execute(
        "select p, count(distinct user_id) from (select unnest(prefixes) as p, user_id from account_daily "
        "where user_id in ('ml-m06', 'ml2-v02', 'ml-m05', 'ce-c03')) group by p having count(distinct user_id) > 1"
    ).fetchall())
    assert any(p.startswith("3fff:") for p in shared), shared  # the household's /64
    assert any(p.startswith("172.17.") for p in shared), shared  # the new VPN range
    rollout = lake_conn.execute("select count(distinct user_id) from account_daily "
                                "where list_contains(user_agents, $ua)", {"ua": world.ROLLOUT_UA}).fetchone()[0]
    assert rollout >= 8
