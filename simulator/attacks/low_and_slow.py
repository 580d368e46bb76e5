"""Low and slow: one account stays under any fixed daily threshold, all out of portfolio, for
weeks, in office hours, from residential proxies and a machine of its own."""

from __future__ import annotations

import numpy as np

from simulator.attacks import common
from simulator.calendar import is_working_day
from simulator.context import Day, Segment, Sim


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.low_and_slow
    if not o.enabled:
        return
    pop = sim.pop
    pool = [a.idx for a in common.free_advisors(sim)]
    victim = int(rng.choice(pool))
    start, dur = common.window(sim, rng, o.start_day, o.duration_days)
    kind, ips = common.network(sim, rng, o.network, pop.orgs[pop.agents[victim].org].city)
    dev, ua = common.machine(sim, rng, victim, scripted=0.0)
    k, attack = common.new_attack(sim, "low_and_slow", {
        "start_day": start, "days": dur, "views_per_day": list(o.views_per_day), "network": kind})
    attack.devices.append(dev)

    def gen(day: Day, seg: Segment) -> None:
        common.spread_reads(sim, day, seg)

    def hook(day: Day) -> None:
        if not is_working_day(day.date):
            return
        total = int(day.rng.uniform(*o.views_per_day))
        ip = str(day.rng.choice(ips))
        for j, (h0, h1) in enumerate(o.hours):  # an even split, the remainder in the last
            n = total // len(o.hours) + (total % len(o.hours) if j == len(o.hours) - 1 else 0)
            common.segment(day, k, attack, victim, dev, ip, ua, h0, h1, gen, n=n)

    for d in range(start, start + dur):
        sim.hooks.setdefault(d, []).append(hook)
