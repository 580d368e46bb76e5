"""transforms/lake/storage.py without a server: what is remote, and URLs surviving pathlib and settings.
The store itself is tested against a real SeaweedFS server (tests/cluster, `make test-cluster`)."""

from __future__ import annotations

from pathlib import Path

from transforms.lake import storage
from transforms.settings import Settings


def test_urls_survive_pathlib_and_settings(monkeypatch):
    monkeypatch.setenv("VIGIE_LAKE", "s3://vigie/lake")
    monkeypatch.setenv("VIGIE_REPORTS", "reports")
    settings = Settings()
    assert storage.is_remote(settings.lake) and storage.location(settings.lake) == "s3://vigie/lake"
    assert not storage.is_remote(settings.reports) and storage.location(settings.reports) == "reports"
    assert storage.join(settings.lake, "_manifest", "x.json") == "s3://vigie/lake/_manifest/x.json"
    assert storage.lock_name(settings.lake) == "vigie-lake-vigie-lake"
    assert not storage.is_remote(Path("/tmp/s3/lake")) and not storage.is_remote(None)


def test_a_local_setup_is_left_as_it_is(tmp_path):
    settings = Settings(lake=tmp_path / "lake", reports=tmp_path / "reports", inbox=tmp_path / "inbox",
                        reference=tmp_path / "reference", state=tmp_path / "state")
    with storage.writer(settings) as local:
        assert local is settings
    assert not (tmp_path / "state").exists()  # no working copy made
