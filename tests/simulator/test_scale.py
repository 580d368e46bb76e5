"""The simulator scales to the 10M-event days of the ingest benchmark (about 170k agents).

A full world that size takes minutes, so these check the parts that used to break or grow
quadratically on their own: the beneficiary id space and trap planning.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import numpy as np

from simulator import ids, population, traps
from simulator.context import Sim
from simulator.options import SimulationOptions

BEN_ID = re.compile(r"^[1-9][0-9]{6}[A-HJ-NP-Z]$")  # 7 digits and a letter, as in the spec


def test_small_worlds_keep_the_historical_space():
    assert ids.beneficiary_space(2_000_000) == ids.BEN_HI == 10_000_000
    assert ids.beneficiary_ids(np.array([4417302])).to_list() == ["4417302K"]


def test_space_for_170k_agents_holds_distinct_valid_ids():
    need = 170_000 * 150  # portfolios average about 140 beneficiaries per agent
    hi = ids.beneficiary_space(need)
    assert hi - ids.BEN_LO >= 3 * need and hi <= ids.BEN_MAX
    edges = np.array([ids.BEN_LO, ids.BEN_HI - 1, ids.BEN_HI, ids.BEN_HI + 1, hi - 1])
    sample = np.concatenate([edges, np.random.default_rng(1).integers(ids.BEN_LO, hi, 200_000)])
    sample = np.unique(sample)
    got = ids.beneficiary_ids(sample).to_list()
    assert all(BEN_ID.match(s) for s in got)
    assert len(set(got)) == len(sample)  # one identifier per number
    # the same 7 digits in every block, with the letter shifted
    blocks = ids.beneficiary_ids(ids.BEN_LO + 123_456 + ids.BEN_BLOCK * np.arange(len(ids._LETTERS))).to_list()
    assert {b[:7] for b in blocks} == {"1123456"} and len(set(blocks)) == len(blocks)


def test_space_has_a_limit():
    try:
        ids.beneficiary_space(ids.BEN_MAX)
    except ValueError:
        return
    raise AssertionError("an impossible need must be refused")


def _plan_seconds(agents: int) -> float:
    start = date(2025, 11, 3)
    opts = SimulationOptions.from_kwargs()
    opts.cutover = start
    pop = population.build(agents, 7, opts, start)
    sim = Sim(7, start, [start + timedelta(days=i) for i in range(20)], pop, opts)
    t = time.process_time()
    traps.plan(sim, np.random.default_rng([7, 2]))
    return time.process_time() - t


def test_trap_planning_is_not_quadratic():
    # 20 days, 3,000 agents: ~1,000 trap draws; quadratic planning took about 0.25 s here
    assert _plan_seconds(3000) < 0.15
