"""Abused advisor accounts, evenings and weekends (Cap emploi, 2024).

Several existing advisor accounts query far beyond their portfolio after hours, with scripted
pacing, each from its own machine behind residential proxies.
"""

from __future__ import annotations

import numpy as np

from simulator.attacks import common
from simulator.calendar import is_working_day
from simulator.context import Day, Segment, Sim


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.abused_advisors
    if not o.enabled:
        return
    pop = sim.pop
    pool = [a.idx for a in pop.agents if not a.service and a.active_from == 0 and not a.disabled
            and "CONSEILLER" in a.roles and pop.orgs[a.org].org_type == "CAP_EMPLOI"]
    if len(pool) < int(o.accounts[0]):
        pool = [a.idx for a in pop.agents if not a.service and a.active_from == 0
                and "CONSEILLER" in a.roles and not a.disabled]
    n_acc = int(min(len(pool), rng.integers(int(o.accounts[0]), int(o.accounts[1]) + 1)))
    victims = [int(v) for v in rng.choice(pool, n_acc, replace=False)]
    start, dur = common.window(sim, rng, o.start_day, o.duration_days)
    k, attack = common.new_attack(sim, "abused_advisor_accounts", {
        "start_day": start, "days": dur, "accounts": n_acc, "network": o.network})
    machines = {v: common.machine(sim, rng, v, scripted=0.3) for v in victims}
    nets = {v: common.network(sim, rng, o.network, 0)[1] for v in victims}
    for v in victims:
        attack.devices.append(machines[v][0])

    def gen(day: Day, seg: Segment) -> None:
        nums = sim.pop.beneficiaries(day.rng, seg.params["n"])
        common.reads(day, seg, nums, tuple(o.pacing_ms), contact_share=0.5, jitter=0.05)

    def hook(day: Day) -> None:
        for v in victims:
            dev, ua = machines[v]
            if is_working_day(day.date):
                if day.rng.random() > o.workday_share:
                    continue
                hours = o.workday_hours
            else:
                hours = o.weekend_hours
            windows = [float(day.rng.uniform(h0, h1)) for h0, h1 in hours]
            for h in windows:
                common.segment(day, k, attack, v, dev, str(day.rng.choice(nets[v])), ua, h, h + 0.5,
                               gen, n=int(day.rng.uniform(*o.views_per_session)))

    for d in range(start, start + dur):
        sim.hooks.setdefault(d, []).append(hook)
