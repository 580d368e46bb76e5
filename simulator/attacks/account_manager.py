"""Account-manager abuse (Missions Locales, 2025).

An RGC account logs in from a new IP at an unusual hour, creates two accounts and grants them
roles within minutes; the new accounts first log in from the same browser (same
browsingSessionId) and IP, then pull structure-wide lists and records, NIR included, for weeks.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import events
from simulator.attacks import common
from simulator.context import Day, Segment, Sim
from simulator.events import CODE


def plan(sim: Sim, rng: np.random.Generator) -> None:
    o = sim.opts.account_manager
    if not o.enabled:
        return
    pop = sim.pop
    rgcs = [a.idx for a in pop.agents if "RGC" in a.roles and a.active_from == 0
            and pop.orgs[a.org].org_type == "ML"] or [a.idx for a in pop.agents if "RGC" in a.roles]
    rgc = int(rng.choice(rgcs))
    org = pop.orgs[pop.agents[rgc].org]
    start, dur = common.window(sim, rng, o.start_day, o.duration_days)
    kind, ips = common.network(sim, rng, o.network, org.city)
    dev, ua = common.machine(sim, rng, rgc, scripted=0.0)
    k, attack = common.new_attack(sim, "account_manager_abuse", {
        "network": kind, "start_day": start, "days": dur, "views_per_day": list(o.views_per_day),
        "created_accounts": o.created_accounts})
    attack.devices.append(dev)
    created = []
    for _ in range(o.created_accounts):
        a = pop.new_agent(org, ["CONSEILLER"], rng, sim.seed, active_from=start)
        a.disabled = True  # never used by a real person
        a.portfolio = np.zeros(0, np.int64)
        created.append(a.idx)
    attack.params["created"] = [pop.agents[a].user_id for a in created]
    login_h = float(rng.uniform(*o.login_hours))

    def admin(day: Day, seg: Segment) -> None:
        n = len(created)
        t = seg.act_start + np.arange(3 * n, dtype=np.int64) * int(day.rng.integers(20, 60)) * 1000
        codes = np.tile([CODE["USER_CREATE"], CODE["USER_ROLE_GRANT"], CODE["USER_SCOPE_CHANGE"]], n)
        tg = [pop.agents[a] for a in created for _ in range(3)]
        extra = {"target_user_id": pl.Series([a.user_id for a in tg]),
                 "target_email": pl.Series([a.email for a in tg]),
                 "target_roles": pl.Series(['["CONSEILLER"]', '["CONSEILLER","SUPERVISEUR"]',
                                            '["CONSEILLER","SUPERVISEUR"]'] * n),
                 "target_org_siret": pl.Series([org.siret] * len(tg))}
        day.app.append(events.build(day, [seg], np.zeros(3 * n, np.int64), t, codes, extra=extra))

    def pull(day: Day, seg: Segment) -> None:
        n = seg.params["n"]
        nums = sim.pop.beneficiaries(day.rng, n)
        mine = day.rng.random(n) < 0.05
        if len(org.portfolio):
            nums[mine] = org.portfolio[day.rng.integers(0, len(org.portfolio), int(mine.sum()))]
        span = max(60_000, seg.t1 - seg.act_start)
        pace = span / n
        common.reads(day, seg, nums, (pace * 0.9, pace * 1.1), nir_share=o.nir_share,
                     contact_share=0.25, jitter=0.3, list_every=250)

    def first_day(day: Day) -> None:
        ip = ips[0]
        common.segment(day, k, attack, rgc, dev, ip, ua, login_h, login_h + 0.3, admin,
                       force_pwd=False)
        for j, a in enumerate(created):
            h = login_h + 0.25 + 0.05 * j
            common.segment(day, k, attack, a, dev, ip, ua, h, min(23.95, h + 0.4), pull,
                           n=int(day.rng.integers(200, 800)), force_full=True)

    def later(day: Day) -> None:
        for a in created:
            total = int(day.rng.uniform(*o.views_per_day))
            for h0, h1 in o.pull_hours:
                common.segment(day, k, attack, a, dev, str(day.rng.choice(ips)), ua, h0, h1,
                               pull, n=total // len(o.pull_hours))

    sim.hooks.setdefault(start, []).append(first_day)
    for d in range(start + 1, start + dur):
        sim.hooks.setdefault(d, []).append(later)
