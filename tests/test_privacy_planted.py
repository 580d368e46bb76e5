"""Privacy by default, end to end: agents' e-mails, names, phone numbers and NIR-shaped numbers
planted in known fields, unknown fields, nested unknown objects, `spCustom` and quarantined lines
of a ProConnect file (shaped as the federation logs them, tests/fixtures/eras/README.md) go
through the real nightly run; then every byte of the lake (Parquet decoded), the reports, the
state folder and the run's logs is scanned: none of them may appear in clear.

The run is `test_privacy.run_pipeline` (the nightly driver in a child process, as `vigie
backfill` runs it); only that call depends on where the driver lives.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from test_privacy import DAYS, find_leaks, readable_text, run_pipeline, written_files
from worlds import write_inbox

from transforms.ingest.pseudonymise import PseudonymKey, email_pseudonym

EMAIL = "ysolde.quenouille-brandt@of-isere.fr"
EMAIL2 = "Gauthier.Ormesson@ml-grenoble.fr"
HINT = "ysolde.quenouille"  # a login hint that is not an e-mail
GIVEN, USUAL = "Ysolde", "Quenouille-Brandt"
GIVEN2, USUAL2 = "Gauthier", "Ormesson"
PHONES = ["06 47 83 29 15", "+33 7 61 42 98 03", "0791827364"]
NIRS = ["2 91 07 38 185 042 67", "184127645108946"]
# The values, and the forms they could leak in: lower-cased, digits only, the name parts.
NEEDLES = [EMAIL, EMAIL2, HINT, GIVEN, USUAL, GIVEN2, USUAL2, "quenouille", "ormesson", *PHONES, *NIRS,
           "0647832915", "761429803", "291073818504267", "1 84 12 76 451 089 46"]


def _line(day: date, second: int, **fields: object) -> str:
    t = int(date.toordinal(day) - date(1970, 1, 1).toordinal()) * 86_400_000 + 9 * 3_600_000 + second * 1000
    return json.dumps({"levelNumber": 30, "level": "info", "time": t, "pid": 19, "hostname": "core-fca-low-1",
                       **fields}, ensure_ascii=False)


def planted_lines(day: date) -> list[str]:
    session, sp = "5e" * 64, "c" * 64
    ctx = {"ip": "192.0.2.77", "forwardedFor": "192.0.2.77, 10.2.0.11", "sessionId": session,
           "browsingSessionId": "8c7b6a5f-4e3d-4c2b-9a1f-0e9d8c7b6a5f", "interactionId": "Pq7wE3rT9yUi",
           "spId": sp, "spName": "Kairos"}
    identity = {"email": EMAIL, "given_name": GIVEN, "usual_name": USUAL, "phone_number": PHONES[0],
                "siret": "81234567800021", "sub": "7f3c2a1b-5d4e-4f60-8a9b-0c1d2e3f4a5b"}
    custom = {"given_name": GIVEN2, "usual_name": USUAL2, "phone_number": PHONES[1], "nir": NIRS[0],
              "contacts": [{"mail": EMAIL2, "tel": PHONES[2]}]}
    good = [
        # known fields: login hints (e-mail and not), the SP's hint, the IdP e-mail, legacy `email`
        _line(day, 1, event="FC_AUTHORIZE_INITIATED", step="1.0.0", spLoginHint=EMAIL, spLoginHintFqdn="of-isere.fr",
              **ctx),
        _line(day, 2, event="IDP_CHOSEN", step="3.0.0", idpLoginHint=HINT, **ctx),
        _line(day, 3, event="IDP_CALLEDBACK", step="4.0.0", idpLoginHint=EMAIL, email=EMAIL2, **ctx),
        # nested unknown objects (the real get-userinfo / interaction.saved lines)
        _line(day, 4, code="oidc-client-info:get-userinfo", plainIdpIdentity=identity, **ctx),
        _line(day, 5, code="oidc-provider-info:interaction.saved",
              interaction={"params": {"login_hint": EMAIL, "acr_values": "eidas1"}, "id": "Pq7wE3rT9yUi"}, **ctx),
        # spCustom and unknown top-level fields on a tracked event
        _line(day, 6, event="FC_VERIFIED", step="5.0.0", idpEmail=EMAIL, idpEmailFqdn="of-isere.fr",
              interactionAcr="eidas1", amr=["pwd"], spSub="0d9f6c52-3b1e-4a7f-8e2c-5c1a9b7d2e10",
              idpOrganizationalUnit=f"Service de {GIVEN} {USUAL}", agentPhone=PHONES[1], agentNir=NIRS[1],
              spCustom=custom, **ctx),
        # free text: message, causes, stack trace, an unknown `reason`
        _line(day, 7, levelNumber=50, level="error", code="Y500015", id="e1d2c3b4",
              message=f"agent {EMAIL} ({PHONES[0]}, NIR {NIRS[1]}) hors organisation",
              causes=[{"message": f"tel {PHONES[2]}"}], stackTrace=[f"Error: {EMAIL2}"],
              reason=f"{GIVEN} {USUAL}", type="CoreFcaOrganizationException", statusCode=403, **ctx),
        _line(day, 8, code="email_not_safe_to_send", emailSuggestion=EMAIL2, emailSuggestionDomain="ml-grenoble.fr",
              **ctx),
    ]
    broken = [
        # quarantined: no time, a wrong type, a truncated line, invalid JSON, not JSON at all
        _line(day, 9, event="FC_VERIFIED", spCustom=custom, plainIdpIdentity=identity).replace('"time"', '"tiem"'),
        _line(day, 10, levelNumber="x", code="oidc-client-info:get-userinfo", plainIdpIdentity=identity),
        _line(day, 11, event="FC_VERIFIED", spCustom=custom)[:-60],
        '{"time": 1751446800000, "given_name": "' + GIVEN + '" "usual_name": "' + USUAL + '", "tel": "'
        + PHONES[0] + '"}',
        f"{GIVEN} {USUAL} {EMAIL} {PHONES[1]} {NIRS[0]}",
    ]
    return good + broken


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("planted")
    write_inbox(root / "inbox", DAYS, DAYS[-1])
    (root / "inbox" / f"proconnect-{DAYS[-1]}.jsonl").write_text("\n".join(planted_lines(DAYS[-1])) + "\n",
                                                                   encoding="utf-8")
    done = run_pipeline(root, DAYS[0], DAYS[-1])
    assert done.returncode == 0, done.stderr
    key = PseudonymKey((root / ".vigie" / "demo-pseudonym.key").read_bytes().strip())
    return {"root": root, "key": key, "logs": {"stdout": done.stdout, "stderr": done.stderr}}


def test_no_planted_personal_value_reaches_the_lake_reports_state_or_logs(planted):
    root = planted["root"]
    files = written_files(root)
    texts = {str(p.relative_to(root)): readable_text(p) for p in files} | planted["logs"]
    assert any("auth_events" in name for name in texts) and any("quarantine" in name for name in texts)
    assert not find_leaks(texts, NEEDLES)
    # the scan can see a leak: every planted value is found in the raw input it came from
    raw = {"inbox": (root / "inbox" / f"proconnect-{DAYS[-1]}.jsonl").read_text(encoding="utf-8")}
    assert {needle for _, needle in find_leaks(raw, NEEDLES)} >= {EMAIL, EMAIL2, HINT, GIVEN, USUAL, *PHONES, *NIRS}


def test_the_scan_sees_what_was_planted(planted):
    """The lines did go through: their rows, pseudonyms and quarantined lines are there."""
    import duckdb

    root, key = planted["root"], planted["key"]
    lake = root / "lake"
    rows = duckdb.sql(f"select source_line, event_category, unmapped, message, sp_login_hint_ref "
                      f"from read_parquet('{lake}/auth_events/*/*.parquet') order by source_line").fetchall()
    assert [r[0] for r in rows] == list(range(1, 9))
    assert rows[0][4] == email_pseudonym(key, EMAIL)
    assert [r[1] for r in rows if r[0] in (4, 5, 7, 8)] == ["technical"] * 4
    custom = json.loads(rows[5][2])["spCustom"]
    assert set(custom) == {"given_name", "usual_name", "phone_number", "nir", "contacts"}
    assert custom["contacts"][0]["mail"] == email_pseudonym(key, EMAIL2)  # the domain is kept
    assert email_pseudonym(key, EMAIL) in rows[6][3] and "tel:" in rows[6][3] and "nir:" in rows[6][3]
    quarantined = duckdb.sql(f"select source_line, raw_line from read_parquet('{lake}/quarantine/*.parquet') "
                             f"where source_file like 'proconnect%' order by 1").fetchall()
    assert [q[0] for q in quarantined] == [9, 10, 11, 12, 13]
    assert all(q[1] for q in quarantined)
