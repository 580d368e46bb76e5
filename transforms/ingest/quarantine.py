"""The quarantine: rejected lines with their file, line number and reason.

Why masked: a rejected line is still a real log line, with job seekers' identifiers and
agents' e-mails in it, and the lake must never hold them in clear. The quarantine keeps
the line with those values replaced by the same keyed pseudonyms ingest uses, so an
analyst can see what was wrong and still link it; the exact original bytes stay in the
source file, which `source_file` + `source_line` point to.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.ingest.privacy import is_safe_key, mask_json, mask_text, pseudonymise_value
from transforms.ingest.pseudonymise import PseudonymKey, email_pseudonym, pseudonym
from transforms.lake.layout import QUARANTINE_DIR

# Known fields that hold personal values: pseudonymised as ingest does. Every other known field
# is one the lake keeps in clear; every unknown field is pseudonymised (transforms/ingest/privacy.py).
PERSONAL_FIELDS = ("beneficiary_id", "actor_email", "target_email", "idpEmail", "idpLoginHint",
                   "spLoginHint", "email", "emailSuggestion", "search_params")
KEPT_CHARS = 64 << 10
# A JSON-ish token: a string (possibly cut short by a truncated line) with an optional `:` after
# it (then it is a key), or a bare number.
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)("?)(\s*:)?|(?<![\w."])(-?\d[\d.eE+-]*)')


def _personal(name: str, value: object, key: PseudonymKey) -> object:
    """A known personal field's value, pseudonymised as the staging SQL does."""
    if isinstance(value, (dict, list)):
        return mask_json(value, key, None, lambda _: False)
    if value is None or isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else json.dumps(value)
    if name == "beneficiary_id":
        return pseudonym(key, text.strip().upper())
    return email_pseudonym(key, text) if "@" in text else pseudonym(key, text.strip())


def mask_raw_line(text: str | None, key: PseudonymKey, known: frozenset[str] = frozenset()) -> str | None:
    """A rejected line with every value Vigie does not keep in clear pseudonymised.

    A JSON object: fields of `known` (the source's mapped fields) stay as the lake would keep
    them (personal ones pseudonymised), every other value is pseudonymised unless its key is on
    the allow-list (transforms/ingest/privacy.py). Text that does not parse (a truncated line, bad
    JSON) is read token by token with the same rule; a line that is not JSON-shaped at all is
    replaced by its length and pseudonym. E-mails, phones and NIRs are masked everywhere.
    """
    if text is None:
        return None
    cut = ""
    if len(text) > KEPT_CHARS:  # the whole line stays in the source file
        cut = f"... [{len(text) - KEPT_CHARS} more characters in the source file]"
        text = text[:KEPT_CHARS]
    clear = known - set(PERSONAL_FIELDS)

    def safe(name: str | None) -> bool:
        return is_safe_key(name) or name in clear

    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        masked = {mask_text(k, key): (_personal(k, v, key) if k in PERSONAL_FIELDS
                                      else mask_json(v, key, k, safe)) for k, v in obj.items()}
        return json.dumps(masked, ensure_ascii=False, separators=(",", ":")) + cut
    stripped = text.lstrip(" \t")
    if not stripped:
        return text
    if not stripped.startswith(("{", "[")):
        return f"[not JSON: {len(text)} characters, pseudonym {pseudonym(key, text)}]" + cut
    current: list[str | None] = [None]

    def token(m: re.Match) -> str:
        if m.group(4) is not None:  # a bare number
            return m.group(4) if safe(current[0]) else pseudonymise_value(m.group(4), key)
        body, close, colon = m.group(1), m.group(2), m.group(3)
        if colon:
            current[0] = body
            return f'"{mask_text(body, key)}{close}{colon}'
        name = current[0]
        if name in PERSONAL_FIELDS:
            value = str(_personal(name, body, key))
        else:
            value = (mask_text(body, key) or "") if safe(name) else pseudonymise_value(body, key)
        return f'"{value}{close}'

    return (mask_text(_TOKEN.sub(token, text), key) or "") + cut


def write_quarantine(conn: duckdb.DuckDBPyConnection, target: Path, key: PseudonymKey,
                     known: Iterable[str] = ()) -> int:
    """Stream `quarantine_rows` to `target`, masking each raw line; return the row count."""
    fields = frozenset(known)
    reader = conn.sql("select * from quarantine_rows order by source_line").to_arrow_reader(65_536)
    writer = None
    count = 0
    try:
        for batch in reader:
            raw = batch.column("raw_line").to_pylist()
            masked = pa.array([mask_raw_line(text, key, fields) for text in raw], pa.string())
            batch = batch.set_column(batch.schema.get_field_index("raw_line"), "raw_line", masked)
            if writer is None:
                writer = pq.ParquetWriter(target, batch.schema, compression="zstd")
            writer.write_batch(batch)
            count += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    return count


def purge(lake: Path, retention_days: int, now: float | None = None) -> list[str]:
    """Delete quarantine files older than `retention_days`; return their names.

    Age is the file's ingest age (the time ingest wrote it, kept through the publishing
    rename), not the events' dates: most quarantined lines have no usable timestamp (bad
    JSON, missing or malformed time), and a late file must still be kept long enough for
    someone to look at it after it arrived. The manifest entry is updated first (the output
    leaves its list, a warning records the purge; the line counts stay, the lines were
    accounted for), then the file goes: a crash in between leaves an orphan file that the
    next purge removes, never a manifest naming a file that is gone.
    """
    from transforms.lake import manifest  # (manifest imports lake; lake is imported above)

    folder = Path(lake) / QUARANTINE_DIR
    if retention_days < 0 or not folder.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - retention_days * 86_400
    old = {f"{QUARANTINE_DIR}/{p.name}": p for p in folder.glob("*.parquet") if p.stat().st_mtime < cutoff}
    if not old:
        return []
    today = datetime.fromtimestamp(time.time() if now is None else now, UTC).date()
    for entry in manifest.load_all(lake):
        gone = [o for o in entry.outputs if o in old]
        if gone:
            entry.outputs = [o for o in entry.outputs if o not in old]
            entry.warnings = [*entry.warnings, f"quarantined lines purged on {today} "
                              f"(retention {retention_days} days); the source file still holds them"]
            manifest.save(lake, entry)
    for path in old.values():
        path.unlink(missing_ok=True)
    return sorted(p.name for p in old.values())
