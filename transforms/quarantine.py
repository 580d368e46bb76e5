"""The quarantine: rejected lines with their file, line number and reason.

Why masked: a rejected line is still a real log line, with job seekers' identifiers and
agents' e-mails in it, and the lake must never hold them in clear. The quarantine keeps
the line with those values replaced by the same keyed pseudonyms ingest uses, so an
analyst can see what was wrong and still link it; the exact original bytes stay in the
source file, which `source_file` + `source_line` point to.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lake import QUARANTINE_DIR
from transforms.pseudonymise import PseudonymKey, email_pseudonym, pseudonym

PERSONAL_FIELDS = ("beneficiary_id", "actor_email", "target_email", "idpEmail", "idpLoginHint")
# "field": "value" — also a value cut short by a truncated line (no closing quote)
_FIELD = re.compile('("(?:' + "|".join(PERSONAL_FIELDS) + r')"\s*:\s*")((?:[^"\\]|\\.)*)')
# An address around each "@": at most 64 characters before it (RFC 5321's local part) and a
# dotted domain after it; bounded so that a 10 MB line without "@" costs one scan.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
KEPT_CHARS = 64 << 10
_SEARCH = re.compile(r'("search_params"\s*:\s*)(\{[^{}]*\}?)')
_SEARCH_VALUE = re.compile(r'(:\s*")((?:[^"\\]|\\.)*)')


def mask_raw_line(text: str | None, key: PseudonymKey) -> str | None:
    """The line with personal values replaced by their pseudonyms (domains kept in clear)."""
    if text is None:
        return None
    if len(text) > KEPT_CHARS:  # the whole line stays in the source file
        text = text[:KEPT_CHARS] + f"... [{len(text) - KEPT_CHARS} more characters in the source file]"

    def field(match: re.Match) -> str:
        value = match.group(2)
        masked = email_pseudonym(key, value) if "@" in value else pseudonym(key, value.strip().upper())
        return match.group(1) + masked

    def search(match: re.Match) -> str:
        return match.group(1) + _SEARCH_VALUE.sub(lambda m: m.group(1) + pseudonym(key, m.group(2)), match.group(2))

    text = _FIELD.sub(field, text)
    text = _SEARCH.sub(search, text)
    return _EMAIL.sub(lambda m: email_pseudonym(key, m.group(0)), text)


def write_quarantine(conn: duckdb.DuckDBPyConnection, target: Path, key: PseudonymKey) -> int:
    """Stream `quarantine_rows` to `target`, masking each raw line; return the row count."""
    reader = conn.sql("select * from quarantine_rows order by source_line").to_arrow_reader(65_536)
    writer = None
    count = 0
    try:
        for batch in reader:
            raw = batch.column("raw_line").to_pylist()
            masked = pa.array([mask_raw_line(text, key) for text in raw], pa.string())
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
    from transforms import manifest  # (manifest imports lake; lake is imported above)

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
