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
    damage = Damage(lines["_atk"].to_numpy(), source, file_name, rng, rate, truncate)
    text = damage.apply(0, lines["line"])
    tail = damage.tail()
    if tail is not None:
        text = pl.concat([text, tail])
    return text, damage.records


class Damage:
    """The damage of one file, planned from its attack column, applied block by block.

    Every draw is made in the same order as when the whole file was damaged at once (count,
    positions, the field each missing-field line loses, then the cut of the truncated line),
    so the damaged text does not depend on the block size.
    """

    def __init__(self, atk: np.ndarray, source: str, file_name: str, rng: np.random.Generator,
                 rate: float, truncate: bool) -> None:
        self.atk, self.source, self.file_name, self.rng = atk, source, file_name, rng
        n = self.n = len(atk)
        self.records: list[dict] = []
        self.missing: dict[int, str] = {}
        self.dup: list[int] = []
        self.truncate = False
        self.cut_src: str | None = None  # the clean line cut when the last line is an attack's
        self.cut_at, self.written = -1, 0
        if n == 0:
            return
        k = int(rng.poisson(rate * n))
        picks = sorted({int(i) for i in rng.integers(0, n, 2 * k)} - {n - 1})
        picks = [i for i in picks if atk[i] < 0]
        missing, self.dup = picks[: len(picks) // 2], picks[len(picks) // 2:]
        if not (missing or self.dup or truncate):
            return
        for i in missing:
            self.missing[i] = REQUIRED[source][int(rng.integers(len(REQUIRED[source])))]
        clean = np.flatnonzero(atk < 0)
        self.truncate = truncate and len(clean) > 0
        self.cut_at = int(clean[-1]) if self.truncate else -1

    def apply(self, lo: int, text: pl.Series) -> pl.Series:
        """Damage rows lo..lo+len(text) of the file (blocks must come in order)."""
        hi = lo + len(text)
        missing = [i for i in self.missing if lo <= i < hi]
        if missing:
            changed = []
            for i in missing:
                field = self.missing[i]
                v = re.sub(rf'"{field}":("[^"]*"|[0-9]+),?', "", text[i - lo], count=1)
                changed.append(v.replace("{,", "{").replace(",}", "}"))
            text = text.scatter([i - lo for i in missing], changed)
        if self.truncate and lo <= self.cut_at < hi:
            self.cut_src = text[self.cut_at - lo]
        if self.truncate and hi == self.n and self.atk[-1] < 0:
            # the writer died mid-line: the last line is cut
            text = text.scatter([len(text) - 1], [self._cut()])
        dup = [i - lo for i in self.dup if lo <= i < hi]
        pieces, prev = [], 0
        for i in dup:  # duplicates: each picked line is written twice in a row
            pieces.append(text.slice(prev, i + 1 - prev))
            pieces.append(text.slice(i, 1))
            prev = i + 1
        pieces.append(text.slice(prev))
        text = pl.concat(pieces) if len(pieces) > 1 else text
        self.written += len(text)
        if hi == self.n:
            self._records()
        return text

    def tail(self) -> pl.Series | None:
        """What follows the last row: the cut clean line when the last line is an attack's (its
        cut line is a later event never completed, so no attack line is lost)."""
        if not self.truncate or self.atk[-1] < 0:
            return None
        self.written += 1
        self.records[-1]["line"] = self.written
        return pl.Series([self._cut()], dtype=pl.String)

    def _cut(self) -> str:
        src = self.cut_src.rstrip("\n")
        return src[: max(10, int(len(src) * self.rng.uniform(0.3, 0.8)))]

    def _records(self) -> None:
        dup_sorted = sorted(self.dup)
        for i, field in self.missing.items():  # line numbers after the inserted duplicates
            self.records.append({"file": self.file_name, "kind": "missing_field", "field": field,
                                 "line": i + 1 + sum(1 for j in dup_sorted if j < i)})
        for k_, i in enumerate(dup_sorted):
            line = i + 1 + k_
            self.records.append({"file": self.file_name, "kind": "duplicate", "line": line + 1,
                                 "original_line": line})
        if self.truncate:
            self.records.append({"file": self.file_name, "kind": "truncated_last_line",
                                 "line": self.written})
