"""Constants shared by the tests (a module with a unique name: several folders have a conftest.py)."""

from __future__ import annotations

from pathlib import Path

from transforms.pseudonymise import PseudonymKey

FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = PseudonymKey(b"test-key-for-vigie-tests-only-0123456789")
