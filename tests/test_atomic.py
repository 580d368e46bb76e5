"""The one atomic writer: a reader sees the old file or the new one, and a process killed
mid-write leaves its temporary file in the root's scratch folder, never among the files a
reader lists (the next run's `clean_stale_tmp` removes the scratch)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from transforms.lake.atomic import clean_stale_tmp, write_text_atomic


def test_the_temporary_file_lives_in_the_scratch_folder(tmp_path: Path, monkeypatch):
    reports = tmp_path / "reports"
    target = reports / "2025-11-30" / "report.html"
    seen: list[Path] = []
    real_replace = os.replace

    def killed_before_rename(src, dst):  # noqa: ANN001
        seen.append(Path(src))
        raise KeyboardInterrupt  # the process dies between the write and the rename

    monkeypatch.setattr(os, "replace", killed_before_rename)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(target, "<html>", reports / ".tmp")
    monkeypatch.setattr(os, "replace", real_replace)
    [tmp] = seen
    assert tmp.parent == reports / ".tmp"
    assert list(target.parent.iterdir()) == []  # nothing half-written where readers look

    write_text_atomic(target, "<html>", reports / ".tmp")
    assert target.read_text() == "<html>" and oct(target.stat().st_mode & 0o777) == "0o600"
    clean_stale_tmp(reports)
    assert not (reports / ".tmp").exists() and target.exists()
