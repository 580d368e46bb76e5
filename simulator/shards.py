"""Copies of a simulated day's logs lived by other people: the way `vigie bench` reaches 40M events.

Why: the simulator holds its world in memory (a 10M-event day of 170k agents peaks near 11 GB),
so a 40M-event day cannot be simulated on this machine. A shard is the same day in the same
organisations, with the same job seekers, networks and clock, but every account, e-mail, session,
device, request and event id carries the shard's prefix (`s2.`): no event repeats another
shard's, and the nightly sees K times the agents, as a national operator's several front
servers would write K files a day.
"""

from __future__ import annotations

from pathlib import Path

from isal import igzip

APP_KEYS = ("event_id", "actor_user_id", "actor_pc_sub", "actor_email", "app_session_id", "device_id",
            "request_id", "target_user_id", "target_email")
PROCONNECT_KEYS = ("requestId", "sessionId", "browsingSessionId", "interactionId", "idpSub", "spSub",
                   "idpEmail", "idpLoginHint", "accountId", "logId", "hostname")
CHUNK_BYTES = 16 << 20


def shard_name(path: Path, shard: int) -> str:
    """`app-2025-11-04.jsonl.gz` → `app-2025-11-04.shard2.jsonl.gz` (same source, same day)."""
    stem, _, rest = path.name.partition(".")
    return f"{stem}.shard{shard}.{rest}"


def shard_copy(src: Path, out_dir: Path, shard: int, level: int = 1) -> Path:
    """Write shard `shard` (2, 3, ...) of the gzip NDJSON log `src` into `out_dir`; its path.

    Each identity value gets the prefix `s<shard>.` where it starts (`"sessionId":"s2.…"`),
    line by line in streamed chunks, so a line is never split between two chunks.
    """
    keys = APP_KEYS if src.name.startswith("app") else PROCONNECT_KEYS
    marks = [(f'"{key}"{colon}"'.encode(), f'"{key}"{colon}"s{shard}.'.encode())
             for key in keys for colon in (":", ": ")]  # compact and spaced writers
    dst = out_dir / shard_name(src, shard)
    tmp = dst.with_name(dst.name + ".tmp")
    rest = b""
    with igzip.open(src, "rb") as reader, igzip.open(tmp, "wb", compresslevel=level) as writer:
        while chunk := reader.read(CHUNK_BYTES):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            whole, rest = chunk[:cut], chunk[cut:]
            for old, new in marks:
                whole = whole.replace(old, new)
            writer.write(whole)
        for old, new in marks:
            rest = rest.replace(old, new)
        writer.write(rest)
    tmp.replace(dst)
    return dst
