"""Realistic damage in the raw files: a truncated last line, a missing field, a duplicate.

Why recorded: ingest tests assert exactly which lines are quarantined, so every instance goes
to labels/world.json with its file and line number. Attack lines are never damaged, so each
label's exposed set stays exactly what the lake can see.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

REQUIRED = {"app": ["event_id", "actor_org_siret", "src_ip", "app_session_id", "ts"],
            "proconnect": ["time"]}


def apply(lines: pl.DataFrame, source: str, file_name: str, rng: np.random.Generator, rate: float,
          truncate: bool) -> tuple[pl.Series, list[dict]]:
    """Damage a few non-attack lines; return the new lines and what was done where."""
    text = lines["line"]
    atk = lines["_atk"].to_numpy()
    n = len(text)
    records: list[dict] = []
    if n == 0:
        return text, records
    k = int(rng.poisson(rate * n))
    picks = sorted({int(i) for i in rng.integers(0, n, 2 * k)} - {n - 1})
    picks = [i for i in picks if atk[i] < 0]
    missing, dup = picks[: len(picks) // 2], picks[len(picks) // 2:]
    if not (missing or dup or truncate):
        return text, records
    if missing:
        changed = []
        for i in missing:
            field = REQUIRED[source][int(rng.integers(len(REQUIRED[source])))]
            v = re.sub(rf'"{field}":("[^"]*"|[0-9]+),?', "", text[i], count=1)
            changed.append(v.replace("{,", "{").replace(",}", "}"))
            records.append({"file": file_name, "kind": "missing_field", "field": field, "index": i})
        text = text.scatter(missing, changed)
    # duplicates: each picked line is written twice in a row
    pieces, prev = [], 0
    for i in dup:
        pieces.append(text.slice(prev, i + 1 - prev))
        pieces.append(text.slice(i, 1))
        prev = i + 1
    pieces.append(text.slice(prev))
    text = pl.concat(pieces) if len(pieces) > 1 else text
    dup_sorted = sorted(dup)
    for r in records:  # line numbers after the inserted duplicates (1-based)
        i = r.pop("index")
        r["line"] = i + 1 + sum(1 for j in dup_sorted if j < i)
    for k_, i in enumerate(dup_sorted):
        line = i + 1 + k_
        records.append({"file": file_name, "kind": "duplicate", "line": line + 1,
                        "original_line": line})
    if truncate:
        # the writer died mid-line: the last line is cut (if it is an attack line, the cut line
        # is a later event that was never completed, so no attack line is lost)
        clean = np.flatnonzero(atk < 0)
        if len(clean):
            src = text[-1] if atk[-1] < 0 else text[int(clean[-1]) + sum(1 for j in dup if j < clean[-1])]
            src = src.rstrip("\n")
            cut = src[: max(10, int(len(src) * rng.uniform(0.3, 0.8)))]
            if atk[-1] < 0:
                text = text.scatter([len(text) - 1], [cut])
            else:
                text = pl.concat([text, pl.Series([cut], dtype=pl.String)])
            records.append({"file": file_name, "kind": "truncated_last_line", "line": len(text)})
    return text, records
