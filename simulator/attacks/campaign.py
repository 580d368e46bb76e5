"""A campaign across accounts: one operator, several compromised accounts of unrelated
structures, each kept under any single-account threshold (a few hundred out-of-portfolio reads
a day, office hours, human pace), from different addresses of one hosting /24 (or residential
proxies) and one browser build none of the owners runs; the accounts start a few days apart.
"""

from __future__ import annotations

import numpy as np

from simulator.attacks import common
from simulator.calendar import is_working_day
from simulator.context import Day, Segment, Sim
from simulator.geo import FRENCH
from simulator.network import FOREIGN_VPS
from simulator.useragents import browser, chrome_major


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.campaign
    if not o.enabled:
        return
    pop = sim.pop
    pool = [a.idx for a in common.free_advisors(sim)]
    n_acc = int(rng.integers(int(o.accounts[0]), int(o.accounts[1]) + 1))
    victims: list[int] = []
    orgs: set[int] = set()
    for v in rng.permutation(pool):  # unrelated structures: one account per organisation
        if pop.agents[int(v)].org not in orgs:
            victims.append(int(v))
            orgs.add(pop.agents[int(v)].org)
        if len(victims) == n_acc:
            break
    start, dur = common.window(sim, rng, o.start_day, o.duration_days)
    space = sim.pop.space
    if o.network == "residential_proxy":
        ips = [space.residential(int(c), rng) for c in rng.integers(0, len(FRENCH), 3 * n_acc)]
    else:  # one /24 of a hosting provider, French or abroad
        k = int(rng.integers(0, 2 + len(FOREIGN_VPS)))
        block = f"10.{32 + k if k < 2 else 36 + k - 2}.{int(rng.integers(0, 256))}.0/24"
        ips = [space._host(block, rng) for _ in range(3 * n_acc)]
    # a browser build two releases old, which no owner's auto-updated browser runs
    ua = browser("chrome", "win10", chrome_major(sim.days[0]) - 2, int(rng.integers(0, 4000)))
    k, attack = common.new_attack(sim, "campaign", {
        "start_day": start, "days": dur, "accounts": n_acc, "network": o.network,
        "views_per_day": list(o.views_per_day)})
    starts = {v: min(start + int(rng.integers(0, int(o.stagger_days) + 1)), start + dur - 1) for v in victims}
    devices = {v: pop.add_device(v, rng, sim.seed, family_platform=("chrome", "win10")) for v in victims}
    attack.devices.extend(devices.values())

    def gen(day: Day, seg: Segment) -> None:
        common.spread_reads(sim, day, seg)

    def hook(day: Day) -> None:
        if not is_working_day(day.date):
            return
        for v in victims:
            if day.index < starts[v]:
                continue
            h0, h1 = o.hours
            h = float(day.rng.uniform(h0, max(h0, h1 - 2.0)))
            common.segment(day, k, attack, v, devices[v], str(day.rng.choice(ips)), ua, h, h + 2.0, gen,
                           n=int(day.rng.uniform(*o.views_per_day)))

    for d in range(start, start + dur):
        sim.hooks.setdefault(d, []).append(hook)
