"""Constants shared by the tests (a module with a unique name: several folders have a conftest.py)."""

from __future__ import annotations

from pathlib import Path

from transforms.ingest.pseudonymise import PseudonymKey

FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = PseudonymKey(b"test-key-for-vigie-tests-only-0123456789")


def read_artifacts(keys: list[str]) -> dict[str, str]:
    """Latest artifact data by key from the Prefect API in use, posted by hand: 3.8's client
    sends nulls the server rejects."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        response = client._client.post("/artifacts/filter", json={
            "artifacts": {"key": {"any_": keys}}, "limit": 50, "offset": 0, "sort": "CREATED_DESC"})
        response.raise_for_status()
    return {a["key"]: str(a["data"]) for a in response.json()}


def plain_vigie_env(monkeypatch, root: Path, key: str) -> Path:  # noqa: ANN001 (pytest's MonkeyPatch)
    """Settings of a Vigie rooted in `root` (inbox, lake, reports, state), the test reference
    data and `key`, with no Prefect server: the commands run the plain driver."""
    monkeypatch.chdir(root)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name, value in {"VIGIE_CONFIG": root / "absent.toml", "VIGIE_INBOX": root / "inbox",
                        "VIGIE_LAKE": root / "lake", "VIGIE_REPORTS": root / "reports",
                        "VIGIE_REFERENCE": FIXTURES / "reference", "VIGIE_STATE": root / ".vigie"}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("VIGIE_PSEUDONYM_KEY", key)
    monkeypatch.setenv("VIGIE_DUCKDB_MEMORY_LIMIT", "1GB")
    return root
