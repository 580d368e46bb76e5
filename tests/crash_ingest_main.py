"""Run one ingest in a child process so the crash tests can kill it (SIGKILL) anywhere."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from vigie_testing import FIXTURES, TEST_KEY  # noqa: E402

from transforms.ingest.enrich import load_reference  # noqa: E402
from transforms.ingest.run import IngestOptions, ingest_run  # noqa: E402

if __name__ == "__main__":
    lake, *files = sys.argv[1:]
    opts = IngestOptions(lake=Path(lake), key=TEST_KEY, reference=load_reference(FIXTURES / "reference"),
                         memory_limit="1GB")
    ingest_run([Path(f) for f in files], opts, wait_seconds=30)
