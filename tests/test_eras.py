"""Every format era of the federation's logs parses: one fixture per era, each line built from a
named file of `proconnect-gouv/federation` (tests/fixtures/eras/README.md), ingested through the
real ingest, checked against the expected columns beside it.

What must hold in every era: only genuinely broken lines are quarantined; every technical line
(no tracked event) is a technical row; `src_ip` is a valid address wherever there is one; is_mfa
is right for every amr shape; no logout (nor technical line) forms a login in `pc_logins`.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import duckdb
import pytest
from vigie_testing import FIXTURES

from transforms.ingest.run import ingest_files
from transforms.lake.duck import connect

ERAS = sorted(p.name.removesuffix(".jsonl") for p in (FIXTURES / "eras").glob("*.jsonl"))
TRACKED = {"FC_AUTHORIZE_INITIATED", "FC_SSO_INITIATED", "FC_SHOWED_IDP_CHOICE", "FC_REDIRECTED_TO_HINTED_IDP",
           "FC_REDIRECTED_TO_HINTED_LOGIN", "IDP_CHOSEN", "IDP_CALLEDBACK", "FC_REQUESTED_IDP_TOKEN",
           "FC_REQUESTED_IDP_USERINFO", "FC_VERIFIED", "FC_IDP_DISABLED", "FC_REDIRECTED_TO_SP",
           "SP_REQUESTED_FC_TOKEN", "SP_REQUESTED_FC_USERINFO", "SP_REQUESTED_LOGOUT",
           "FC_REQUESTED_LOGOUT_FROM_IDP", "FC_SESSION_TERMINATED", "FC_REDIRECT_TO_IDP", "SP_DISABLED_SSO",
           "IDP_REQUESTED_FC_JWKS", "FC_FQDN_MISMATCH"}  # fmt: skip
LOGOUTS = {"SP_REQUESTED_LOGOUT", "FC_REQUESTED_LOGOUT_FROM_IDP", "FC_SESSION_TERMINATED"}


def test_there_is_one_fixture_per_era():
    assert len(ERAS) == 4
    assert all((FIXTURES / "eras" / f"{era}.expected.json").exists() for era in ERAS)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    from vigie_testing import TEST_KEY  # the options of every ingest test (conftest.ingest_options)

    from transforms.ingest.enrich import load_reference
    from transforms.ingest.run import IngestOptions

    lake = tmp_path_factory.mktemp("eras") / "lake"
    opts = IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                         memory_limit="1GB")
    results = ingest_files([FIXTURES / "eras" / f"{era}.jsonl" for era in ERAS], opts)
    assert all(r.lines_read == r.rows_written + r.rows_quarantined for r in results)
    return lake


def _rows(lake: Path, era: str) -> dict[int, dict]:
    rel = duckdb.sql(f"select * from read_parquet('{lake}/auth_events/*/*.parquet', hive_partitioning = true) "
                     f"where source_file = '{era}.jsonl'")
    return {row[rel.columns.index("source_line")]: dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()}


def _raw(era: str) -> dict[int, str]:
    lines = (FIXTURES / "eras" / f"{era}.jsonl").read_text().splitlines()
    return {number: line for number, line in enumerate(lines, 1)}


@pytest.mark.parametrize("era", ERAS)
def test_only_broken_lines_are_quarantined(lake, era):
    expected = json.loads((FIXTURES / "eras" / f"{era}.expected.json").read_text())
    got = duckdb.sql(f"select source_line, reason_code from read_parquet('{lake}/quarantine/{era}.jsonl.parquet')"
                     ).fetchall() if (lake / "quarantine" / f"{era}.jsonl.parquet").exists() else []
    assert {str(line): code for line, code in got} == expected["quarantined"]
    rows = _rows(lake, era)
    assert set(rows) | {int(n) for n in expected["quarantined"]} == set(_raw(era))


@pytest.mark.parametrize("era", ERAS)
def test_each_line_lands_in_its_columns(lake, era):
    expected = json.loads((FIXTURES / "eras" / f"{era}.expected.json").read_text())
    rows = _rows(lake, era)
    for number, columns in expected["rows"].items():
        row = rows[int(number)]
        for column, value in columns.items():
            if column.endswith("_domain") and column != "user_email_domain":  # a pseudonym@domain
                ref = row[column.removesuffix("_domain") + "_ref"]
                assert ref.split("@")[1] == value and "." not in ref.split("@")[0], (number, column)
                continue
            assert row[column] == value, (era, number, column, row[column])


@pytest.mark.parametrize("era", ERAS)
def test_every_technical_line_is_a_technical_row_and_never_a_login_step(lake, era):
    rows = _rows(lake, era)
    for number, line in _raw(era).items():
        if number not in rows:
            continue
        record = json.loads(line)
        if record.get("event") not in TRACKED or "code" in record:
            assert rows[number]["event_category"] == "technical", (era, number)
        else:
            assert rows[number]["event_category"] != "technical", (era, number)
    with connect(lake) as conn:
        in_logins = {uid for (uids,) in conn.sql("select event_uids from pc_logins").fetchall() for uid in uids}
    technical = {r["event_uid"] for r in rows.values() if r["event_category"] in ("technical", "logout")}
    assert not technical & in_logins


@pytest.mark.parametrize("era", ERAS)
def test_src_ip_is_a_valid_address_on_every_row_that_has_one(lake, era):
    rows = _rows(lake, era)
    with_ip = [r for r in rows.values() if r["src_ip"] is not None]
    assert with_ip
    for row in with_ip:
        ipaddress.ip_address(row["src_ip"])  # raises on "client, proxy" or a mapped "::ffff:" form
        assert row["ip_version"] in (4, 6)
        if row["src_ip_chain"]:
            assert row["src_ip_chain"].split(",")[0].strip().removeprefix("::ffff:") == row["src_ip"]


@pytest.mark.parametrize("era", ERAS)
def test_is_mfa_for_every_amr_shape(lake, era):
    """MFA iff the granted ACR says so (-mfa, eidas2/3) or an AMR holds a second factor,
    whichever field carries the AMR in that era (spAmr/idpAmr, single amr, none)."""
    for number, line in _raw(era).items():
        row = _rows(lake, era).get(number)
        if row is None:
            continue
        record = json.loads(line)
        amr = set(record.get("spAmr") or []) | set(record.get("idpAmr") or []) | set(record.get("amr") or [])
        acr = record.get("interactionAcr") or record.get("spAcr") or record.get("idpAcr") or ""
        want = bool(amr & {"mfa", "totp", "otp", "pop"}) or acr.endswith("-mfa") or acr in ("eidas2", "eidas3")
        assert row["is_mfa"] is want, (era, number)
        if "amr" in record:
            assert row["sp_amr"] == record["amr"]


def test_no_logout_forms_a_login_and_the_granted_acr_is_shown(lake):
    with connect(lake) as conn:
        rel = conn.sql("select * from pc_logins order by started_at")
        logins = [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]
    expected = [login for era in ERAS
                for login in json.loads((FIXTURES / "eras" / f"{era}.expected.json").read_text())["logins"]]
    assert [x["login_id"] for x in logins] == [x["login_id"] for x in expected]
    for got, want in zip(logins, expected, strict=True):
        assert {k: got[k] for k in want} == want


def test_franceconnect_legacy_fields_are_mapped(tmp_path, ingest_options):
    """FranceConnect's legacy format (france-connect/sources) beside ProConnect's: accountId,
    isSso, spAcr and the device fields land in their columns, spAcr as the granted ACR."""
    line = {"level": "info", "time": 1757491232000, "pid": 7, "hostname": "fc-core-legacy",
            "category": "FRONT_CINEMATIC",
            "event": "FC_VERIFIED", "step": "5.0.0", "logId": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
            "source": {"address": "192.0.2.30", "port": "443", "original_addresses": "192.0.2.30"},
            "interactionId": "fcInteraction1", "accountId": "acc-991", "isSso": True, "spAcr": "eidas2",
            "idpAcr": "eidas3", "deviceKnown": True, "deviceTrusted": False}
    path = tmp_path / "proconnect-2025-09-10.jsonl"
    path.write_text(json.dumps(line) + "\n")
    ingest_files([path], ingest_options)
    [row] = _rows(ingest_options.lake, "proconnect-2025-09-10").values()
    assert (row["is_sso"], row["sp_acr"], row["acr"], row["is_mfa"]) == (True, "eidas2", "eidas2", True)
    assert (row["account_id"], row["device_known"], row["src_ip"]) == ("acc-991", True, "192.0.2.30")
    assert row["unmapped"] is None
