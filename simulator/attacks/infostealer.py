"""Infostealer credential reuse and mass extraction (Kairos, 2025).

A small training body's account logs in from a new network and machine with its password only,
then reads thousands of near-sequential records a night, at weekends, for weeks, while its owner
keeps working normally in the daytime.
"""

from __future__ import annotations

import numpy as np

from simulator.attacks import common
from simulator.calendar import is_working_day
from simulator.context import Day, Segment, Sim


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.infostealer
    if not o.enabled:
        return
    pop = sim.pop
    small = [a.idx for a in pop.agents if not a.service and a.active_from == 0
             and pop.orgs[a.org].org_type == "OF"] or [a.idx for a in pop.agents if not a.service]
    victim = int(rng.choice(small))
    start, dur = common.window(sim, rng, o.start_day, o.duration_days)
    kind, ips = common.network(sim, rng, o.network, pop.orgs[pop.agents[victim].org].city)
    dev, ua = common.machine(sim, rng, victim, scripted=0.5)
    k, attack = common.new_attack(sim, "infostealer_mass_extraction", {
        "network": kind, "start_day": start, "days": dur, "views_per_day": list(o.views_per_day)})
    attack.devices.append(dev)
    cursor = [int(rng.integers(1_200_000, 9_000_000))]
    pf = pop.orgs[pop.agents[victim].org].portfolio

    def gen(day: Day, seg: Segment) -> None:
        n = seg.params["n"]
        nums = common.sequential(day.rng, cursor[0], n)
        cursor[0] = int(nums[-1])
        own = day.rng.random(n) > o.out_of_portfolio
        if own.any() and len(pf):
            nums[own] = pf[day.rng.integers(0, len(pf), int(own.sum()))]
        common.reads(day, seg, nums, tuple(o.pacing_ms))

    def hook(day: Day) -> None:
        rng_ = day.rng
        total = int(rng_.uniform(*o.views_per_day))
        windows = o.workday_hours if is_working_day(day.date) else o.weekend_hours
        share = rng_.dirichlet(np.ones(len(windows)))
        for (h0, h1), s in zip(windows, share, strict=True):
            n = int(total * s)
            if n < 10:
                continue
            t0 = rng_.uniform(h0, max(h0, h1 - 1.0))
            common.segment(day, k, attack, victim, dev, str(rng_.choice(ips)), ua, t0, t0 + 0.5,
                           gen, n=n, force_pwd=True)

    for d in range(start, start + dur):
        sim.hooks.setdefault(d, []).append(hook)
