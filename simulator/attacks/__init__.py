"""The attacks (the five of spec/scenarios.md, a campaign across accounts, an insider), each planned from the seed."""

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
        insider,
        low_and_slow,
    )

    for module in (infostealer, cookie_replay, account_manager, abused_advisors, low_and_slow, campaign, insider):
        module.plan(sim, rng)
