"""Keyed pseudonyms (HMAC-SHA256) for job seekers' identifiers and agents' e-mails.

Why keyed: a plain hash of an 8-character identifier is reversed by enumeration in
minutes; an HMAC with a key kept outside the lake is not. The same key gives the same
pseudonym, so one person stays linkable across days and sources; rotating the key breaks
that link on purpose (see docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 64  # SHA-256 block size (RFC 2104)
PSEUDONYM_HEX = 32


class PseudonymKeyError(RuntimeError):
    """No usable key: ingest must stop rather than write clear identifiers."""


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes = field(repr=False)

    def __repr__(self) -> str:  # never print the key, even by accident
        return "PseudonymKey(***)"

    def pads(self) -> tuple[bytes, bytes]:
        """(ipad, opad): the key XOR 0x36 / 0x5c, padded to one block, as SQL needs them."""
        key = self.secret if len(self.secret) <= BLOCK else hashlib.sha256(self.secret).digest()
        key = key.ljust(BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def load_key(key_file: Path | None, key_value: str | None) -> PseudonymKey:
    """The key from a file (preferred) or a value; a missing or empty key is an error."""
    if key_file is not None:
        try:
            raw = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise PseudonymKeyError(f"cannot read the pseudonym key file {key_file}: {exc.strerror}") from exc
        if not raw:
            raise PseudonymKeyError(f"the pseudonym key file {key_file} is empty")
        return PseudonymKey(raw)
    if key_value is not None and key_value.strip():
        return PseudonymKey(key_value.strip().encode())
    raise PseudonymKeyError(
        "no pseudonym key: set VIGIE_PSEUDONYM_KEY_FILE (a file holding a secret) or "
        "VIGIE_PSEUDONYM_KEY; Vigie will not write job seekers' identifiers in clear"
    )


def ensure_demo_key(state_dir: Path) -> Path:
    """Create (once) a random key for `make demo` in the local state folder; owner-only."""
    path = Path(state_dir) / "demo-pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path


def pseudonym(key: PseudonymKey, value: str) -> str:
    """Python twin of the SQL `pseudonym` macro (for evaluation and tests)."""
    return hmac.new(key.secret, value.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def beneficiary_pseudonym(key: PseudonymKey, beneficiary_id: str) -> str:
    """The `beneficiary_ref` that ingest writes for this clear identifier."""
    return pseudonym(key, beneficiary_id.strip().upper())


def email_pseudonym(key: PseudonymKey, email: str) -> str:
    """The `*_email_ref` that ingest writes: pseudonym of the address, domain in clear."""
    email = email.strip().lower()
    return f"{pseudonym(key, email)}@{email.rsplit('@', 1)[-1]}"
