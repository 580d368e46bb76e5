"""Vigie's own ingest accepts every simulated line except the deliberate dirt."""

from __future__ import annotations

import json
from collections import Counter

from transforms.ingest.enrich import load_reference
from transforms.ingest.pseudonymise import PseudonymKey
from transforms.ingest.run import IngestOptions, ingest_files


def test_ingest_quarantines_exactly_the_dirt(world, tmp_path):
    out, summary = world
    opts = IngestOptions(lake=tmp_path / "lake", key=PseudonymKey(b"simulator-test-key-0123456789abcdef"),
                         reference=load_reference(out / "reference"), memory_limit="1GB")
    results = ingest_files(sorted((out / "inbox").glob("*.jsonl.gz")), opts)
    dirt = json.loads((out / "labels" / "world.json").read_text())["dirt"]
    expected = Counter(d["file"].split("/")[-1] for d in dirt)
    got = {r.source_file: r.rows_quarantined for r in results}
    for r in results:
        assert r.lines_read == r.rows_written + r.rows_quarantined
        assert got[r.source_file] == expected.get(r.source_file, 0), r.source_file
    assert sum(r.rows_written for r in results) > 0.99 * summary.events
    assert not any(r.warnings and "truncated compressed" in " ".join(r.warnings) for r in results)
