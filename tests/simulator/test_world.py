"""Realism and contract checks on a small seeded world."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date, datetime

import numpy as np
from simworld import load, read_lines, small_world

APP_REQUIRED = {"ts": str, "event_id": str, "event_type": str, "outcome": str,
                "actor_user_id": str, "actor_org_siret": str, "app_session_id": str, "src_ip": str}
RECORD = {"BENEFICIARY_RECORD_VIEW", "BENEFICIARY_CONTACT_VIEW", "BENEFICIARY_NIR_REVEAL",
          "DOCUMENT_DOWNLOAD"}


def _digest(out):
    h = hashlib.sha256()
    for p in sorted((out / "inbox").iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    for p in sorted((out / "labels").iterdir()):
        if p.suffix == ".json":
            h.update(p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_differs(world, tmp_path):
    out, _ = world
    again = small_world(tmp_path / "again")
    assert _digest(out) == _digest(tmp_path / "again")
    del again
    other = tmp_path / "other"
    small_world(other, seed=12)
    assert _digest(out) != _digest(other)


def test_files_rotate_per_utc_day_and_are_time_ordered(world):
    out, summary = world
    names = sorted(p.name for p in (out / "inbox").iterdir())
    assert names[0] == "app-2025-11-17.jsonl.gz" and len(names) == 16
    for source, key in (("app", "ts"), ("proconnect", "time")):
        for path in sorted((out / "inbox").glob(f"{source}-*")):
            times = []
            for line in read_lines(path):
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if key not in rec:
                    continue
                t = rec[key]
                times.append(t if isinstance(t, int) else datetime.fromisoformat(t).timestamp() * 1000)
            assert times == sorted(times), path.name
            assert path.name[len(source) + 1:len(source) + 11] == (
                datetime.utcfromtimestamp(times[len(times) // 2] / 1000).date().isoformat())


def test_every_app_line_matches_the_spec(world):
    out, _ = world
    dirt = json.loads((out / "labels" / "world.json").read_text())["dirt"]
    damaged = {(d["file"], d["line"]) for d in dirt if d["kind"] != "duplicate"}
    offsets = set()
    for path in sorted((out / "inbox").glob("app-*")):
        for no, line in enumerate(read_lines(path), 1):
            if not line or (f"inbox/{path.name}", no) in damaged:
                continue
            rec = json.loads(line)
            for name, typ in APP_REQUIRED.items():
                assert isinstance(rec.get(name), typ), (path.name, no, name)
            assert rec["outcome"] in ("success", "failure", "denied")
            assert len(rec["actor_org_siret"]) == 14 and rec["actor_org_siret"].isdigit()
            assert rec["ts"].endswith("Z") or rec["ts"][-6] in "+-"
            offsets.add(rec["ts"][-6:] if not rec["ts"].endswith("Z") else "Z")
            if "beneficiary_id" in rec:
                b = rec["beneficiary_id"]
                assert len(b) == 8 and b[:7].isdigit() and b[7].isalpha()
            for k in ("contains_nir", "in_portfolio"):
                assert k not in rec or isinstance(rec[k], bool)
            for k in ("actor_roles", "auth_amr", "target_roles"):
                assert k not in rec or isinstance(rec[k], list)
    assert "Z" in offsets and len(offsets) >= 2


def test_proconnect_lines_every_era(world):
    """Each day's file is written in the format era of the federation's code for that day
    (tests/fixtures/eras/README.md): legacy, Sep-Oct 2025, single amr, current."""
    from simulator.writers import ERAS

    out, _ = world
    opts = json.loads((out / "labels" / "world.json").read_text())["options"]
    cuts = [date.fromisoformat(opts[k]) for k in ("cutover", "amr_cutover", "current_cutover")]
    dirt = {(d["file"], d["line"]) for d in json.loads((out / "labels" / "world.json").read_text())["dirt"]}
    by_era: dict[int, list[dict]] = defaultdict(list)
    for path in sorted((out / "inbox").glob("proconnect-*.jsonl.gz")):
        day = date.fromisoformat(path.name[len("proconnect-"):][:10])
        era = sum(day >= cut for cut in cuts)
        for no, line in enumerate(read_lines(path), 1):
            if line and (f"inbox/{path.name}", no) not in dirt:
                by_era[era].append(json.loads(line))
    assert sorted(by_era) == list(range(len(ERAS)))
    for era, rows in by_era.items():
        tracked = [r for r in rows if "step" in r]
        technical = [r for r in rows if "step" not in r]
        assert tracked and technical, era
        for r in rows:
            assert isinstance(r["time"], int) and r["time"] > 1e12
        for r in technical:
            assert "code" in r or "msg" in r
            assert r.get("event") in (None, "grant.error")
            # before Oct 2025 the main logger wrote a numeric level and no levelNumber
            assert isinstance(r["level"], int) if era <= 1 else r["levelNumber"] == {"info": 30, "warn": 40,
                                                                                     "error": 50}[r["level"]]
        for r in tracked:
            assert r["level"] == "info" and ("levelNumber" in r) == (era >= 2)
            assert ("logId" in r) == (era <= 1) and ("category" in r) == (era == 0)
        sso = {r["step"] for r in tracked if r["event"] == "FC_SSO_INITIATED"}
        assert sso == ({"1.1.0"} if era == 0 else {"2.1.0"})
        verified = [r for r in tracked if r["event"] == "FC_VERIFIED"]
        assert all(("amr" in r) == (era in (1, 2)) and ("spAmr" in r) == (era in (0, 3)) for r in verified)
        front = [r for r in tracked if r["event"] == "FC_AUTHORIZE_INITIATED"]
        if era == 0:
            assert all(r["ip"] == r["source"]["address"] and ", " in r["ip"] for r in front)
        if era == 1:
            assert all(", " in r["ip"] and "forwardedFor" not in r for r in front)
        if era >= 2:
            assert all(", " not in r["ip"] for r in front)
    codes = {r.get("code") for r in by_era[3]}
    assert {"oidc-client-info:get-userinfo", "oidc-provider-info:interaction.saved"} <= codes


def test_session_id_regenerated_at_callback_and_sso_within_12h(world):
    out, _ = world
    rows = sorted(load(out, "proconnect"), key=lambda r: r["time"])
    by_interaction = defaultdict(list)
    created = {}
    for r in rows:
        if "interactionId" in r and "event" in r:  # tracked events (not the info lines beside them)
            by_interaction[r["interactionId"]].append(r)
        if r.get("event") == "IDP_CALLEDBACK":
            created[r["sessionId"]] = r["time"]
    full = [v for v in by_interaction.values() if any(e["event"] == "IDP_CALLEDBACK" for e in v)]
    assert full
    for events in full:
        before = {e["sessionId"] for e in events if e["event"] in ("FC_AUTHORIZE_INITIATED", "IDP_CHOSEN")}
        after = {e["sessionId"] for e in events if e["event"] in ("IDP_CALLEDBACK", "FC_VERIFIED")}
        assert len(before) == 1 and len(after) == 1 and before != after
    labels = json.loads((out / "labels" / "labels.json").read_text())
    replayed = {s for lab in labels for s in lab["malicious_sessions"]["pc_session_id"]}
    sso = [r for r in rows if r.get("event") == "FC_SSO_INITIATED"]
    assert sso
    for r in sso:
        if r["sessionId"] in created:
            age = r["time"] - created[r["sessionId"]]
            assert 0 < age < 12 * 3600 * 1000 or r["sessionId"] in replayed


def test_back_channel_from_sp_servers(world):
    out, _ = world
    back = [r for r in load(out, "proconnect") if r.get("event", "").startswith("SP_REQUESTED_FC")]
    assert back
    for r in back:
        ip = r.get("ip") or r["source"]["address"]
        assert ip.startswith("10.46.0.") and "Mozilla" not in r["userAgent"]


def test_app_login_follows_fc_verified(world):
    out, _ = world
    verified = defaultdict(list)
    for r in load(out, "proconnect"):
        if r.get("event") == "FC_VERIFIED":
            verified[r["spSub"]].append(r["time"])
    logins = [r for r in load(out, "app") if r["event_type"] == "LOGIN_CALLBACK_SUCCESS"]
    assert logins
    ok = 0
    for r in logins:
        t = datetime.fromisoformat(r["ts"]).timestamp() * 1000
        if any(0 < t - v < 10_000 for v in verified[r["actor_pc_sub"]]):
            ok += 1
    assert ok / len(logins) > 0.97


def test_daily_views_heavy_tailed_and_in_office_hours(world):
    out, _ = world
    labels = json.loads((out / "labels" / "labels.json").read_text())
    bad_sessions = {s for lab in labels for s in lab["malicious_sessions"]["app_session_id"]}
    world_info = json.loads((out / "labels" / "world.json").read_text())
    special = {a for t in world_info["traps"] for a in t.get("accounts", [])
               if t["trap"] in ("heavy_users", "service_accounts", "campaign_day")}
    per_day = defaultdict(int)
    hours = []
    for r in load(out, "app"):
        if r["event_type"] not in RECORD or r["app_session_id"] in bad_sessions:
            continue
        if r["actor_user_id"] in special:
            continue
        ts = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        local = ts.timestamp() + 3600  # Paris in November
        per_day[(r["actor_user_id"], int(local // 86400))] += 1
        hours.append((local % 86400) / 3600)
    counts = defaultdict(list)
    for (agent, _), n in per_day.items():
        counts[agent].append(n)
    medians = np.array([np.median(v) for v in counts.values() if len(v) >= 3])
    assert 8 <= np.median(medians) <= 40
    assert (medians >= 3).mean() > 0.9 and (medians <= 90).mean() > 0.9
    allv = np.array(list(per_day.values()))
    assert allv.mean() > np.median(allv) and np.percentile(allv, 99) > 3 * np.median(allv)
    hours = np.array(hours)
    assert ((hours >= 8) & (hours < 18.5)).mean() > 0.85


def test_labels_exposed_sets_equal_attack_lines(world):
    out, _ = world
    labels = json.loads((out / "labels" / "labels.json").read_text())
    assert {lab["scenario"] for lab in labels} == {
        "infostealer_mass_extraction", "session_cookie_replay", "account_manager_abuse",
        "abused_advisor_accounts", "low_and_slow", "campaign", "insider"}
    rows = load(out, "app")
    for lab in labels:
        ips = set(lab["malicious_ips"])
        sessions = set(lab["malicious_sessions"]["app_session_id"])
        accounts = {a["actor_user_id"] for a in lab["malicious_accounts"]}
        touched = {r["beneficiary_id"] for r in rows
                   if r["app_session_id"] in sessions and r["src_ip"] in ips
                   and r["actor_user_id"] in accounts and r["outcome"] == "success"
                   and "beneficiary_id" in r}
        assert touched == set(lab["exposed_beneficiaries"]), lab["attack_id"]
        assert lab["exposed_count"] == len(touched) > 0
        assert lab["window_start"] <= lab["window_end"]


def test_traps_present(world):
    out, _ = world
    info = json.loads((out / "labels" / "world.json").read_text())
    kinds = {t["trap"] for t in info["traps"]}
    assert {"heavy_users", "month_end_exports", "campaign_day", "shared_egress", "laptop_move",
            "auto_update", "travel", "onboarding", "service_accounts", "sp_back_channel",
            "mobile_and_ipv6"} <= kinds
    onboarding = next(t for t in info["traps"] if t["trap"] == "onboarding")
    assert 10 <= len(onboarding["accounts"]) <= 30
    rows = load(out, "app")
    created = {r["target_user_id"] for r in rows if r["event_type"] == "USER_CREATE"}
    assert set(onboarding["accounts"]) <= created
    svc = next(t for t in info["traps"] if t["trap"] == "service_accounts")["accounts"]
    svc_rows = [r for r in rows if r["actor_user_id"] in svc]
    assert svc_rows and all("Mozilla" not in r["user_agent"] for r in svc_rows)
    # night traffic is not only attacks: batch accounts work between 01:00 and 05:00 Paris time
    night = [r for r in svc_rows
             if (datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp() / 3600 + 1) % 24 < 5]
    assert len(night) > 0.9 * len(svc_rows)


def test_dirt_recorded(world):
    out, _ = world
    dirt = json.loads((out / "labels" / "world.json").read_text())["dirt"]
    kinds = {d["kind"] for d in dirt}
    assert {"missing_field", "duplicate"} <= kinds
    for d in dirt:
        lines = read_lines(out / d["file"])
        if lines and lines[-1] == "":
            lines = lines[:-1]
        if d["kind"] == "duplicate":
            assert lines[d["line"] - 1] == lines[d["original_line"] - 1]
        elif d["kind"] == "missing_field":
            assert f'"{d["field"]}":' not in lines[d["line"] - 1]
