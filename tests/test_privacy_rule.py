"""The privacy rule's pieces (transforms/ingest/privacy.py, transforms/ingest/quarantine.py), value by value."""

from __future__ import annotations

import json

import pytest
from vigie_testing import TEST_KEY

from transforms.ingest.privacy import SAFE_KEYS, mask_json, mask_text, mask_unmapped
from transforms.ingest.pseudonymise import email_pseudonym, pseudonym
from transforms.ingest.quarantine import mask_raw_line


@pytest.mark.parametrize("text", ["06 47 83 29 15", "0647832915", "06.47.83.29.15", "+33 6 47 83 29 15",
                                  "+33647832915", "0033 6 47 83 29 15", "+33 (0)6 47 83 29 15"])
def test_french_phone_numbers_are_one_pseudonym_whatever_their_shape(text):
    assert mask_text(f"appeler le {text} demain", TEST_KEY) == \
        f"appeler le tel:{pseudonym(TEST_KEY, '0647832915')} demain"


@pytest.mark.parametrize("text", ["2 91 07 38 185 042 67", "291073818504267", "1 84 12 76 451 089", "291072A18504267"])
def test_nir_shaped_numbers_are_masked(text):
    masked = mask_text(f"NIR {text}.", TEST_KEY)
    assert text not in masked and masked.startswith("NIR nir:")


@pytest.mark.parametrize("text", ["1751702400000", "time 1787212800000 ms", "requestId 0647832915abc",
                                  "siret 81234567800021", "10.0.8.2", "2001:db8::1", "status 404"])
def test_what_only_looks_like_a_number_is_kept(text):
    assert mask_text(text, TEST_KEY) == text


def test_e_mails_keep_their_domain():
    want = f"pour {email_pseudonym(TEST_KEY, 'agent.un@of-isere.fr')}"
    assert mask_text("pour Agent.Un@of-isere.fr", TEST_KEY) == want


def test_unknown_values_are_pseudonyms_at_every_depth_unless_their_key_is_safe():
    value = {"code": "x", "given_name": "Jeanne", "nested": {"phone": 612345678, "ok": True, "none": None,
                                                            "list": ["a", {"email": "j@x.fr"}]},
             "emailSuggestionDomain": "x.fr", "error_description": "mail j@x.fr"}
    got = mask_json(value, TEST_KEY)
    assert got == {"code": "x", "given_name": pseudonym(TEST_KEY, "Jeanne"),
                   "nested": {"phone": pseudonym(TEST_KEY, "612345678"), "ok": True, "none": None,
                              "list": [pseudonym(TEST_KEY, "a"), {"email": email_pseudonym(TEST_KEY, "j@x.fr")}]},
                   "emailSuggestionDomain": "x.fr", "error_description": f"mail {email_pseudonym(TEST_KEY, 'j@x.fr')}"}
    assert json.loads(mask_unmapped(json.dumps(value), TEST_KEY)) == got


def test_the_allow_list_stays_short_and_holds_no_personal_key():
    assert len(SAFE_KEYS) <= 40
    assert not SAFE_KEYS & {"email", "login_hint", "given_name", "usual_name", "phone_number", "name", "sub",
                            "message", "msg", "reason", "claims", "spCustom", "redirect_uri"}


@pytest.mark.parametrize("line", [
    '{"time":1,"event":"X","given_name":"Jeanne","spCustom":{"usual_name":"Martin"}',  # truncated
    '{"time":1 "given_name":"Jeanne", "names":["Jeanne","Martin"], "n": 612345678}',  # invalid JSON
    'Jeanne Martin 0612345678',  # not JSON at all
    '{"time":"x","given_name":"Jeanne","usual_name":"Martin","phone_number":612345678}',  # valid JSON
])
def test_a_quarantined_line_keeps_no_unknown_value_in_clear(line):
    masked = mask_raw_line(line, TEST_KEY, frozenset({"time", "event"}))
    assert "Jeanne" not in masked and "Martin" not in masked and "612345678" not in masked
    assert '"time"' in masked or masked.startswith("[not JSON")
