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
    values = text.to_list() if (missing or dup or truncate) else None
    if values is None:
        return text, records
    for i in missing:
        field = REQUIRED[source][int(rng.integers(len(REQUIRED[source])))]
        values[i] = re.sub(rf'"{field}":("[^"]*"|[0-9]+),?', "", values[i], count=1)
        if values[i].startswith("{,") or ",}" in values[i]:
            values[i] = values[i].replace("{,", "{").replace(",}", "}")
        records.append({"file": file_name, "kind": "missing_field", "field": field, "index": i})
    out: list[str] = []
    dup_set = set(dup)
    line_no = 0
    index_to_line = {}
    for i, v in enumerate(values):
        out.append(v)
        line_no += 1
        index_to_line[i] = line_no
        if i in dup_set:
            out.append(v)
            line_no += 1
            records.append({"file": file_name, "kind": "duplicate", "line": line_no,
                            "original_line": line_no - 1})
    for r in records:
        if r["kind"] == "missing_field":
            r["line"] = index_to_line.pop(r.pop("index"))
    if truncate and atk[-1] < 0:
        last = out[-1].rstrip("\n")
        out[-1] = last[: max(10, int(len(last) * rng.uniform(0.3, 0.8)))]
        records.append({"file": file_name, "kind": "truncated_last_line", "line": len(out)})
    return pl.Series(out, dtype=pl.String), records
