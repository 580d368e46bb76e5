"""The attacks (the five of spec/scenarios.md, and a campaign across accounts), each planned from the seed."""

from __future__ import annotations

import numpy as np

from simulator.context import Sim


def plan(sim: Sim, rng: np.random.Generator) -> None:
    """Register every enabled attack's daily hooks (which accounts, when, from where)."""
    from simulator.attacks import (
        abused_advisors,
        account_manager,
        campaign,
        cookie_replay,
        infostealer,
        low_and_slow,
    )

    for module in (infostealer, cookie_replay, account_manager, abused_advisors, low_and_slow, campaign):
        module.plan(sim, rng)
