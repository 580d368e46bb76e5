"""Every saved hunting query is documented, binds its parameters and runs on a lake (the session's
simulated world after the real nightly run: tests/worlds.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.workbench.hunts import HUNTING_DIR, hunt_params, hunts, load_hunt, run_hunt
from transforms.workbench.query import open_lake

CATALOGUE = hunts()


@pytest.fixture(scope="module")
def conn(world):
    connection = open_lake(world.lake, "1GB")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def values(world, conn) -> dict[str, str]:
    """A real value for every parameter name the hunts use: the infostealer's first night (its
    account, its session that night, the address it read from), its incident as the real linker
    made it, and one person that incident exposed."""
    label = world.attack("infostealer_mass_extraction")
    [user] = world.accounts("infostealer_mass_extraction")
    day = label["first_malicious_day"]
    [(session, ip, reads)] = conn.execute(
        "select session_id, any_value(src_ip), count(*) from app_activity where event_date = $d and user_id = $u "
        "and session_id in (select unnest($s)) and is_read group by 1 order by 3 desc limit 1",
        {"d": day, "u": user, "s": label["malicious_sessions"]["app_session_id"]}).fetchall()
    [(incident,)] = conn.execute("select incident_uid from incidents where list_contains(accounts, $u)",
                                 {"u": user}).fetchall()
    person = conn.execute("select beneficiary_ref from incident_beneficiaries where incident_uid = $i limit 1",
                          {"i": incident}).fetchall()[0][0]
    return {"session_id": session, "user_id": user, "incident_uid": incident, "day": day, "ip": ip,
            "beneficiary_ref": person, "label": label}


def test_at_least_eight_documented_hunts():
    assert len(CATALOGUE) >= 8
    for hunt in CATALOGUE.values():
        assert hunt.title and len(hunt.description) > 40, hunt.name
        for param in hunt.params:
            assert param.description, (hunt.name, param.name)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_hunt_runs(conn, values: dict[str, str], name: str):
    hunt = CATALOGUE[name]
    given = {p.name: values[p.name] for p in hunt.params if p.required}
    table = run_hunt(conn, name, given)
    assert table.num_columns > 0


def test_hunts_find_the_attack(world, conn, values: dict):
    label, user = values["label"], values["user_id"]
    exposure = run_hunt(conn, "incident_exposure", {"incident_uid": values["incident_uid"]}).to_pylist()
    assert len(exposure) == exposure[0]["people_exposed"] == label["exposed_count"]  # the labels' truth
    [(out_of_portfolio,)] = conn.execute(
        "select count(*) from app_activity where event_date = $d and user_id = $u and is_read "
        "and not in_portfolio", {"d": values["day"], "u": user}).fetchall()
    top = run_hunt(conn, "top_out_of_portfolio", {"day": values["day"], "limit": "50"}).to_pylist()
    assert {"user_id": user, "out_of_portfolio_reads": out_of_portfolio} in [
        {k: r[k] for k in ("user_id", "out_of_portfolio_reads")} for r in top]
    attackers = {a["actor_user_id"] for lab in world.labels for a in lab["malicious_accounts"]}
    assert top[0]["user_id"] in attackers  # the day's heaviest out-of-portfolio reader is an attacker
    session = run_hunt(conn, "session_activity", {"session_id": values["session_id"]}).to_pylist()
    assert {r["src_ip"] for r in session} <= set(label["malicious_ips"])
    by_ip = run_hunt(conn, "ip_activity", {"ip": values["ip"]}).to_pylist()
    # the app's account id, and on ProConnect's lines its subject (None: the steps before the login)
    [account] = label["malicious_accounts"]
    assert {r["account"] for r in by_ip} - {None} == {user, account["pc_sub"]}


def test_missing_or_unknown_parameters_are_clear_errors():
    hunt = CATALOGUE["session_activity"]
    with pytest.raises(ValueError, match="needs --param session_id"):
        hunt_params(hunt, {})
    with pytest.raises(ValueError, match="has no parameter"):
        hunt_params(hunt, {"session_id": "x", "colour": "red"})
    assert hunt_params(hunt, {"session_id": "x"})["limit"] == "2000"


def test_an_undeclared_parameter_is_refused(tmp_path: Path):
    bad = tmp_path / "bad.sql"
    bad.write_text("-- Title\n-- Description long enough.\nselect $who\n")
    with pytest.raises(ValueError, match="not declared"):
        load_hunt(bad)
    assert HUNTING_DIR.is_dir()
