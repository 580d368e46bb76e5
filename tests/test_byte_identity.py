"""Byte identity on sample_logs/: the lake, the findings and the reports a backfill writes.

Why: refactors must not change what Vigie writes. `tests/golden/sample_logs.json` holds the
SHA-256 of every file a `vigie backfill` of `sample_logs/` writes (fixed pseudonym key), made
by the code before the change; this test runs the code after it and compares, file by file.
Only the step timings in `run.json` and the lock file's owner are not compared.

A deliberate change of output regenerates the file (and the commit says why):
    VIGIE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_byte_identity.py
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "sample_logs.json"
FIRST, LAST = "2025-11-17", "2025-11-30"
KEY = "byte-identity-test-key-0123456789abcdef"


def _digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "run.json":  # step timings differ from run to run
        run = json.loads(data)
        for step in run.get("run", {}).get("steps", []):
            step.pop("seconds", None)
        data = json.dumps(run, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def snapshot(root: Path) -> dict[str, str]:
    """Path (relative to root) → digest, for every file of the lake and the reports."""
    return {
        str(p.relative_to(root)): _digest(p)
        for folder in ("lake", "reports")
        for p in sorted((root / folder).rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_sample_logs_backfill_is_byte_identical(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIE_", "PREFECT_API_URL"))}
    env.update(
        VIGIE_CONFIG=str(tmp_path / "absent.toml"),
        VIGIE_PSEUDONYM_KEY=KEY,
        VIGIE_INBOX=str(ROOT / "sample_logs" / "inbox"),
        VIGIE_REFERENCE=str(ROOT / "sample_logs" / "reference"),
        VIGIE_LAKE=str(tmp_path / "lake"),
        VIGIE_REPORTS=str(tmp_path / "reports"),
        VIGIE_STATE=str(tmp_path / ".vigie"),
    )
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "vigie"), "backfill", "--from", FIRST, "--to", LAST],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    got = snapshot(tmp_path)
    if os.environ.get("VIGIE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert sorted(got) == sorted(want), "files written differ from the golden list"
    changed = [name for name in want if got[name] != want[name]]
    assert not changed, f"{len(changed)} file(s) changed bytes: {changed[:10]}"
