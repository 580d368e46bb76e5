"""One small world for every rule test: built, ingested and detected once per session."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import world  # noqa: E402

KEY = world.KEY


@pytest.fixture(scope="session")
def world_lake(tmp_path_factory):
    from transforms.detect import run_days
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.pseudonymise import PseudonymKey
    from transforms.ingest.run import IngestOptions, ingest_files

    root = tmp_path_factory.mktemp("world")
    files, labels = world.write(world.build(seed=7), root / "raw")
    lake = root / "lake"
    ingest_files(files, IngestOptions(lake=lake, key=PseudonymKey(KEY),
                                      reference=load_reference(Path(__file__).parent / "reference")))
    days = [world.START + timedelta(days=i) for i in range(world.DAYS)]
    summaries = run_days(lake, days)
    return {"lake": lake, "labels": labels, "days": days, "summaries": summaries}


@pytest.fixture(scope="session")
def findings(world_lake):
    from transforms.lake.duck import connect

    conn = connect(world_lake["lake"])
    rows = conn.sql("select * from findings").to_arrow_table().to_pylist()
    conn.close()
    return rows
