"""Privacy by default: no string Vigie does not know to be safe leaves ingest in clear.

Why a rule and not a list of personal fields: producers add fields (the federation logs the
IdP identity, `spCustom`, login hints under new names), and a list of personal fields is
always one release late. So the rule is the other way round (docs/privacy.md):

- a field Vigie maps is written as its column says (clear, pseudonym or domain);
- a value under any other key (in `unmapped`, at any depth, and in every quarantined line)
  becomes a keyed pseudonym, the same HMAC as the lake's other pseudonyms (an e-mail keeps its
  domain), unless its own key is on `SAFE_KEYS`, the short reviewed allow-list of technical
  keys; booleans and nulls say nothing about a person and are kept;
- e-mail addresses, French phone numbers and NIR-shaped numbers are masked wherever they
  appear in text Vigie keeps (`message`, stack traces, values under safe keys, keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from transforms.ingest.pseudonymise import PseudonymKey, email_pseudonym, pseudonym

# The reviewed allow-list: keys whose values are technical (codes, event names, levels, hosts,
# OIDC protocol parameters, domains). Reviewed with the DPO; adding a key needs the same review.
SAFE_KEYS = frozenset({
    # envelope and technical lines
    "level", "levelLabel", "levelNumber", "hostname", "pid", "code", "event", "step", "category",
    "type", "statusCode", "status", "statusText",
    # OIDC protocol parameters (oidc-provider's interaction, oidc-client)
    "scope", "acr", "acr_values", "amr", "prompt", "response_type", "response_mode", "client_id",
    "grant_type", "error", "error_description", "idp_hint", "claims_locales", "ui_locales",
    # FranceConnect / legacy technical fields
    "isSso", "spAcr", "dpId", "dpClientId", "dpTitle",
})  # fmt: skip
# Keys that name a domain (the part of an e-mail Vigie keeps in clear on purpose).
SAFE_SUFFIXES = ("Fqdn", "Domain", "fqdn")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
# French numbers: 0X XX XX XX XX, +33 X.., 0033 X..; separators space, dot or dash.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)33[\s.-]?(?:\(0\))?[\s.-]?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\w)")
# NIR (social security number): sex, year, month (01-12, 20-42, 50-99), department (2A/2B),
# commune, order, optional 2-digit key; 15 contiguous characters or spaced groups. A bare
# 13-digit run is not matched: it is the shape of an epoch-millisecond time.
_NIR = re.compile(
    r"(?<!\w)[12](?:\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d{2}|2[AB])\d{6}\d{2}"
    r"|[\s.]\d{2}[\s.](?:0[1-9]|1[0-2]|[2-9]\d)[\s.](?:\d{2}|2[AB])[\s.]?\d{3}[\s.]\d{3}(?:[\s.]\d{2})?)(?!\w)")


def is_safe_key(name: str | None) -> bool:
    return name is not None and (name in SAFE_KEYS or name.endswith(SAFE_SUFFIXES))


def mask_text(text: str | None, key: PseudonymKey) -> str | None:
    """Free text with e-mails, French phone numbers and NIR-shaped numbers masked.

    E-mails become their pseudonym with the domain kept (`<hmac>@of-isere.fr`), phone numbers
    `tel:<hmac>` and NIRs `nir:<hmac>` of their digits, so the same value stays linkable.
    """
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(lambda m: email_pseudonym(key, m.group(0)), text)
    if any(c.isdigit() for c in text):
        text = _NIR.sub(lambda m: "nir:" + pseudonym(key, _digits(m.group(0))), text)
        text = _PHONE.sub(lambda m: "tel:" + pseudonym(key, _national(_digits(m.group(0)))), text)
    return text


def _national(digits: str) -> str:
    """+33 6 12.. and 0033 6 12.. are the same number as 06 12..: one pseudonym."""
    for prefix in ("0033", "33"):
        if digits.startswith(prefix) and len(digits) > 10:
            return "0" + digits[len(prefix):].removeprefix("0")
    return digits


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isalnum()).upper()


def pseudonymise_value(value: object, key: PseudonymKey) -> str:
    """A scalar under a key Vigie does not know: its keyed pseudonym (an e-mail keeps its domain)."""
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.strip()
    if _EMAIL.fullmatch(text):
        return email_pseudonym(key, text)
    return pseudonym(key, text)


def mask_json(value: object, key: PseudonymKey, name: str | None = None,
              clear: Callable[[str | None], bool] = is_safe_key) -> object:
    """`value` (parsed JSON) with every scalar pseudonymised unless its own key is safe.

    Objects keep their keys (pattern-masked); a list's items are judged by the list's key;
    booleans and nulls are kept. Under a safe key, strings are pattern-masked and numbers kept.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return {mask_text(k, key): mask_json(v, key, k, clear) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, key, name, clear) for v in value]
    if clear(name):
        return mask_text(value, key) if isinstance(value, str) else value
    return pseudonymise_value(value, key)


def mask_unmapped(text: str | None, key: PseudonymKey) -> str | None:
    """The `unmapped` JSON column with every value under an unknown key pseudonymised."""
    if text is None:
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return json.dumps(pseudonymise_value(text, key))
    return json.dumps(mask_json(obj, key), ensure_ascii=False, separators=(",", ":"))


def mask_column(values: Iterable[str | None], key: PseudonymKey,
                how: Callable[[str | None, PseudonymKey], str | None]) -> list[str | None]:
    return [how(v, key) for v in values]
