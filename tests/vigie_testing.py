"""Constants shared by the tests (a module with a unique name: several folders have a conftest.py)."""

from __future__ import annotations

from pathlib import Path

from transforms.pseudonymise import PseudonymKey

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
