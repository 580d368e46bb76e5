"""Session cookie replay (T1539, T1550.004).

A live session is used at the same time from a second IP and user agent with the same device
cookie and no new login; the thief's requests interleave with its owner's.
"""

from __future__ import annotations

import numpy as np

from simulator.attacks import common
from simulator.calendar import HOUR_MS, is_working_day
from simulator.context import Day, Segment, Sim
from simulator.useragents import browser, pick_browser


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.cookie_replay
    if not o.enabled:
        return
    wd = [i for i, d in enumerate(sim.days) if is_working_day(d)] or [0]
    day_index = o.start_day if o.start_day is not None else int(rng.choice(wd[1:] or wd))
    k, attack = common.new_attack(sim, "session_cookie_replay", {"start_day": day_index,
                                                                 "views": list(o.views)})
    kind, ips = common.network(sim, rng, o.network, 0)
    attack.params["public"]["network"] = kind

    def gen(day: Day, seg: Segment) -> None:
        victim_seg = seg.params["victim_seg"]
        pop = day.sim.pop
        org_pf = pop.orgs[pop.agents[seg.agent].org].portfolio
        n = seg.params["n"]
        nums = sim.pop.beneficiaries(day.rng, n)
        half = day.rng.random(n) < 0.5
        if len(org_pf):
            nums[half] = org_pf[day.rng.integers(0, len(org_pf), int(half.sum()))]
        common.reads(day, seg, nums, tuple(o.pacing_ms), jitter=0.5)
        attack.app_sessions.add(victim_seg.app_session)

    def hook(day: Day) -> None:
        pop = day.sim.pop
        cands = [s for s in day.segments if s.kind == "normal" and s.device is not None
                 and s.t1 - s.t0 > 3 * HOUR_MS and not pop.agents[s.agent].heavy
                 and not s.params and s.ip_alt is None]
        if not cands:
            return
        victim_seg = cands[int(day.rng.integers(len(cands)))]
        dev = pop.devices[victim_seg.device]
        fam, plat = pick_browser(day.rng, exclude=(dev.family, dev.platform))
        ua = browser(fam, plat, 140, int(day.rng.integers(0, 4000)))
        h0 = (victim_seg.t0 - day.midnight) / HOUR_MS + day.rng.uniform(0.5, 1.5)
        seg = common.segment(day, k, attack, victim_seg.agent, victim_seg.device,
                             str(day.rng.choice(ips)), ua, h0, h0 + 1.0, gen,
                             n=int(day.rng.uniform(*o.views)), victim_seg=victim_seg,
                             victim_device=victim_seg.device)
        seg.login = "replay"
        attack.devices.append(victim_seg.device)

    sim.hooks.setdefault(day_index, []).append(hook)
