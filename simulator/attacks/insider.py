"""An insider: an advisor who starts reading files far outside their portfolio from a personal
laptop at home, a few dozen a day at first (under every rule's floor), then more, for weeks,
while still working normally from the office on the work computer. The first reads come days
before any rule can fire: the incident's full scope must reach back to them."""

from __future__ import annotations

import numpy as np

from simulator.attacks import common
from simulator.context import Day, Segment, Sim


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.insider
    if not o.enabled:
        return
    pop = sim.pop
    pool = [a.idx for a in common.free_advisors(sim) if not a.mobile]
    victim = int(rng.choice(pool))
    start, dur = common.window(sim, rng, o.start_day, o.duration_days)
    dev, ua = common.machine(sim, rng, victim, scripted=0.0)  # the personal laptop
    ip = pop.agents[victim].home_ip or pop.space.residential(pop.orgs[pop.agents[victim].org].city, rng)
    k, attack = common.new_attack(sim, "insider", {
        "start_day": start, "days": dur, "quiet_days": int(o.quiet_days),
        "quiet_views_per_day": list(o.quiet_views_per_day), "views_per_day": list(o.views_per_day)})
    attack.devices.append(dev)

    def gen(day: Day, seg: Segment) -> None:
        common.spread_reads(sim, day, seg)

    def hook(day: Day) -> None:
        quiet = day.index < start + int(o.quiet_days)
        n = int(day.rng.uniform(*(o.quiet_views_per_day if quiet else o.views_per_day)))
        h0, h1 = o.hours
        h = float(day.rng.uniform(h0, max(h0, h1 - 1.5)))
        common.segment(day, k, attack, victim, dev, ip, ua, h, h + 1.5, gen, n=n)

    for d in range(start, start + dur):
        sim.hooks.setdefault(d, []).append(hook)
