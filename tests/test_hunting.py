"""Every saved hunting query is documented, binds its parameters and runs on a lake."""

from __future__ import annotations

from pathlib import Path

import pytest
from world_for_reports import ATTACKER_IP, VICTIM, build_lake

from transforms.workbench.hunts import HUNTING_DIR, hunt_params, hunts, load_hunt, run_hunt
from transforms.workbench.query import open_lake

CATALOGUE = hunts()


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    connection = open_lake(build_lake(tmp_path_factory.mktemp("world"), real_detection=True), "1GB")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def values(conn) -> dict[str, str]:
    """A real value for every parameter name the hunts use."""
    incident = conn.execute("select incident_uid from incidents order by beneficiaries_exposed desc").fetchall()[0][0]
    person = conn.execute("select beneficiary_ref from incident_beneficiaries limit 1").fetchall()[0][0]
    return {"session_id": "s-0703-x", "user_id": VICTIM, "incident_uid": incident, "day": "2025-07-03",
            "ip": ATTACKER_IP, "beneficiary_ref": person}


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


def test_hunts_find_the_attack(conn, values: dict[str, str]):
    exposure = run_hunt(conn, "incident_exposure", {"incident_uid": values["incident_uid"]}).to_pylist()
    assert len(exposure) == exposure[0]["people_exposed"] == 240
    top = run_hunt(conn, "top_out_of_portfolio", {"day": "2025-07-03", "limit": "1"}).to_pylist()
    assert top[0]["user_id"] == VICTIM and top[0]["out_of_portfolio_reads"] == 240
    session = run_hunt(conn, "session_activity", {"session_id": "s-0703-x"}).to_pylist()
    assert {r["src_ip"] for r in session} == {ATTACKER_IP}
    by_ip = run_hunt(conn, "ip_activity", {"ip": ATTACKER_IP}).to_pylist()
    assert [r["account"] for r in by_ip] == [VICTIM]


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
