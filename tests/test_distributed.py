"""transforms/ingest/distributed.py without a cluster: files staged side by side (here one after the
other, in this process, as a worker would: settings from the environment, outputs under a
staging folder) and committed by the flow leave the lake a sequential ingest leaves, even when
two files of the batch share events (the second is re-ingested in process). The same code on a
real Dask cluster and an s3:// lake: tests/cluster (`make test-cluster`)."""

from __future__ import annotations

import json
from pathlib import Path

from vigie_testing import FIXTURES, TEST_KEY

from transforms.ingest import distributed
from transforms.ingest.enrich import load_reference
from transforms.ingest.run import IngestOptions, ingest_files


def _lake(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*"))
            if p.is_file() and ".tmp" not in p.parts and p.name != ".lock"}


def test_staged_then_committed_equals_sequential_even_with_events_shared_across_files(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = (FIXTURES / "app-2025-07-05.jsonl").read_text().splitlines()
    (inbox / "app-2025-07-05.jsonl").write_text("\n".join(lines) + "\n")
    # a second file of the same day re-sending three of the first file's events, and one of its own
    own = json.loads(lines[0]) | {"event_id": "resent-file-own-event"}
    (inbox / "app-2025-07-05b.jsonl").write_text("\n".join([*lines[2:5], json.dumps(own)]) + "\n")
    (inbox / "app-2025-07-06.jsonl").write_text("\n".join(lines[5:9]).replace("2025-07-05", "2025-07-06") + "\n")
    files = sorted(inbox.iterdir())

    def options(lake: Path) -> IngestOptions:
        return IngestOptions(lake=lake, key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                             memory_limit="1GB")

    sequential = tmp_path / "sequential"
    ingest_files(files, options(sequential))

    staged = tmp_path / "staged"
    for name, value in {"VIGIE_LAKE": staged, "VIGIE_REFERENCE": FIXTURES / "reference",
                        "VIGIE_PSEUDONYM_KEY": TEST_KEY.secret.decode(), "VIGIE_CONFIG": tmp_path / "none.toml",
                        "VIGIE_STATE": tmp_path / "state", "DASK_TEMPORARY_DIRECTORY": tmp_path}.items():
        monkeypatch.setenv(name, str(value))
    distributed._worker_options.cache_clear()
    calls: list[list[str]] = []

    def submit(locations: list[str], source: str, staging: str) -> list:
        calls.append(locations)
        return [distributed.stage_file(location, source, staging) for location in locations]

    results = distributed.ingest_batch(files, options(staged), "auto", submit, None)
    assert calls == [[str(f) for f in files]]  # one task per file, in one batch
    assert [r.status for r in results] == ["ingested"] * 3
    resent = next(r for r in results if r.source_file == "app-2025-07-05b.jsonl")
    assert resent.rows_quarantined == 3 and resent.rows_written == 1
    assert _lake(staged) == _lake(sequential)
    assert not list((staged / ".staging").rglob("*.parquet"))
