"""The eight traps: legitimate behaviour that naive rules flag.

Why planned up front: each trap must exist at least once in every world (tests and the
evaluator check false positives on them), so instances are drawn from the seed at the start
and recorded in labels/world.json with their accounts and days.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import events
from simulator.calendar import MIN_MS, is_last_working_day_of_month, is_working_day
from simulator.context import Day, Segment, Sim
from simulator.events import CODE
from simulator.geo import FRENCH
from simulator.population import add_service_accounts
from simulator.useragents import SERVICE_CLIENTS, chrome_major


def _working_days(sim: Sim) -> list[int]:
    return [i for i, d in enumerate(sim.days) if is_working_day(d)] or [0]


def _pick(rng: np.random.Generator, pool: list[int]) -> int:
    """`rng.choice(pool)` (same draw, same value) without converting the list to an array on
    every call, which made trap planning quadratic in the number of agents."""
    return pool[int(rng.integers(len(pool)))]


def _mark(sim: Sim, day: int, agent: int, kind: str, **info) -> None:
    sim.trap_plan.setdefault(day, {})[agent] = {"kind": kind, **info}


def plan(sim: Sim, rng: np.random.Generator) -> None:
    pop, topts = sim.pop, sim.opts.traps
    wd = _working_days(sim)
    advisors = [a.idx for a in pop.agents if not a.service and "DIRECTION" not in a.roles]
    heavy = [a.idx for a in pop.agents if a.heavy]
    if not heavy and advisors:
        a = pop.agents[_pick(rng, advisors)]
        a.heavy, a.view_median = True, float(rng.uniform(110, 200))
        a.tags.append("heavy_user")
        heavy = [a.idx]
    sim.traps.append({"trap": "heavy_users", "accounts": [pop.agents[i].user_id for i in heavy]})
    # month-end exports by DIRECTION staff
    ends = [i for i, d in enumerate(sim.days) if is_last_working_day_of_month(d)] or [wd[-1]]
    directors = [a.idx for a in pop.agents if "DIRECTION" in a.roles]
    if topts.month_end_exports and directors:
        for day in ends:
            for a in directors:
                _mark(sim, day, a, "month_end_export")
        sim.traps.append({"trap": "month_end_exports", "days": [str(sim.days[d]) for d in ends],
                          "accounts": [pop.agents[i].user_id for i in directors]})
    # campaign day: a whole site contacts its beneficiaries
    mls = [o for o in pop.orgs if o.org_type == "ML" and len(o.agents) >= 5] or pop.orgs
    for _ in range(topts.campaign_days):
        org = mls[int(rng.integers(len(mls)))]
        day = _pick(rng, wd)
        members = [a for a in org.agents if "DIRECTION" not in pop.agents[a].roles]
        for a in members:
            _mark(sim, day, a, "campaign")
        sim.traps.append({"trap": "campaign_day", "org_siret": org.siret, "day": str(sim.days[day]),
                          "accounts": [pop.agents[a].user_id for a in members]})
    # shared egress: office NAT shared by a site, regional VPN shared by several organisations
    vpn: dict[str, list[str]] = {}
    for o in pop.orgs:
        for ip, tag in zip(o.sites, o.site_tags, strict=True):
            if tag == "vpn":
                vpn.setdefault(ip, []).append(o.siret)
    biggest = max(pop.orgs, key=lambda o: len(o.agents))
    sim.traps.append({"trap": "shared_egress", "office_nat": biggest.sites[0],
                      "accounts_behind_it": len(biggest.agents),
                      "regional_vpns": {ip: s for ip, s in vpn.items() if len(s) > 1}})
    # mobile / home work: CGNAT and IPv6 privacy switches happen naturally; laptop moves planned
    laptop_owners = [a.idx for a in pop.agents if not a.service and
                     any(pop.devices[d].laptop for d in a.devices)]
    for kind, per_day in (("laptop_move", topts.laptop_moves_per_day),
                          ("auto_update", topts.auto_updates_per_day),
                          ("travel", topts.travel_per_day)):
        pool = laptop_owners if kind != "auto_update" else advisors
        n = max(1, int(round(per_day * len(pool) * len(wd))))
        chosen = []
        for _ in range(n):
            a, day = _pick(rng, pool), _pick(rng, wd)
            info = {}
            if kind == "travel":
                home = pop.orgs[pop.agents[a].org].city
                other = (home + int(rng.integers(1, len(FRENCH)))) % len(FRENCH)
                info = {"ip": pop.space.office(other, rng), "city": FRENCH[other].city}
            _mark(sim, day, a, kind, **info)
            chosen.append({"account": pop.agents[a].user_id, "day": str(sim.days[day]), **info})
        sim.traps.append({"trap": kind, "instances": chosen})
    sim.traps.append({"trap": "mobile_and_ipv6", "note": "in-session CGNAT and IPv6 privacy changes",
                      "mobile_accounts": [a.user_id for a in pop.agents if a.mobile][:50]})
    _plan_onboarding(sim, rng, wd)
    count = topts.service_accounts
    if count is None:
        count = max(2, len(pop.agents) // 400)
    svc = add_service_accounts(pop, count, rng, sim.seed)
    sim.traps.append({"trap": "service_accounts", "accounts": [pop.agents[i].user_id for i in svc],
                      "ips": sorted({pop.agents[i].home_ip for i in svc})})
    sim.traps.append({"trap": "sp_back_channel", "ips": [f"10.46.0.{11 + i}" for i in range(4)]})
    _plan_new_vpn_range(sim, wd)
    _record_browser_rollouts(sim)


def _plan_new_vpn_range(sim: Sim, wd: list[int]) -> None:
    """A region's VPN concentrator moves to a new range mid-period (declared in network_tags):
    from that day every organisation behind it egresses from the new address."""
    pop = sim.pop
    if not sim.opts.traps.new_vpn_range or len(wd) < 3:
        return
    by_ip: dict[str, list] = {}
    for o in pop.orgs:
        for ip, tag in zip(o.sites, o.site_tags, strict=True):
            if tag == "vpn":
                by_ip.setdefault(ip, []).append(o)
    if not by_ip:
        return
    old = max(sorted(by_ip), key=lambda ip: len(by_ip[ip]))
    r = int(old.split(".")[2])
    new = f"10.44.{100 + r}.17"
    place = next(b.place for b in pop.space.blocks if b.network == f"10.44.{r}.0/24")
    pop.space._add(f"10.44.{100 + r}.0/24", 64651, "Reseau Interministeriel Regional", place, 100, "vpn",
                   "Regional VPN concentrator, new range")
    day = wd[len(wd) // 2]

    def switch(_day: Day) -> None:  # after the eve's plan: the new address from `day` on
        for o in by_ip[old]:
            o.sites = [new if ip == old else ip for ip in o.sites]

    sim.hooks.setdefault(day - 1, []).append(switch)
    sim.traps.append({"trap": "new_vpn_range", "day": str(sim.days[day]), "ips": [new], "old_ip": old,
                      "org_sirets": [o.siret for o in by_ip[old]],
                      "accounts": [pop.agents[a].user_id for o in by_ip[old] for a in o.agents]})


def _record_browser_rollouts(sim: Sim) -> None:
    """Chrome and Edge move to a new major on the same day for every up-to-date device (a
    release every four weeks): a browser build reaching most accounts at once, recorded here."""
    days = [str(d) for prev, d in zip(sim.days, sim.days[1:], strict=False) if chrome_major(d) != chrome_major(prev)]
    if days:
        sim.traps.append({"trap": "browser_rollout", "days": days,
                          "note": "every up-to-date Chrome/Edge device gets the new major that day"})


def _plan_onboarding(sim: Sim, rng: np.random.Generator, wd: list[int]) -> None:
    """An RGC opens a new site: 10-30 accounts in one morning, owners log in from its office."""
    pop = sim.pop
    mls = [o for o in pop.orgs if o.org_type == "ML"] or [o for o in pop.orgs if len(o.agents) > 1]
    if not mls:
        return
    org = mls[int(rng.integers(len(mls)))]
    rgc = next(a for a in org.agents if "RGC" in pop.agents[a].roles)
    day = _pick(rng, wd[1:-1] if len(wd) > 3 else wd)
    ip = pop.space.office(org.city, rng)
    pop.space.tag_office(ip, org.siret, org.name + " (new site)")
    org.sites.append(ip)
    org.site_tags.append("office")
    lo, hi = sim.opts.traps.onboarding_accounts
    created = []
    for _ in range(int(rng.integers(lo, hi + 1))):
        a = pop.new_agent(org, ["CONSEILLER"], rng, sim.seed, site=len(org.sites) - 1,
                          active_from=day)
        a.portfolio = np.sort(pop.beneficiaries(rng, 20))
        a.telework = 0.0
        created.append(a.idx)
        _mark(sim, day, a.idx, "onboarded", from_h=float(rng.uniform(13.8, 15.5)))
    _register_new_portfolios(pop, created)

    def admin(day_: Day) -> None:
        segs = [s for s in day_.segments if s.agent == rgc and s.kind == "normal"]
        if not segs:
            seg = Segment(rgc, pop.agents[rgc].devices[0], org.sites[pop.agents[rgc].site],
                          _ua(day_, rgc), int(day_.at(9.2)), int(day_.at(11.8)))
            day_.segments.append(seg)
            segs = [seg]
        segs[0].params["onboarding"] = created

    sim.hooks.setdefault(day, []).append(admin)
    sim.traps.append({"trap": "onboarding", "org_siret": org.siret, "day": str(sim.days[day]),
                      "rgc": pop.agents[rgc].user_id, "site_ip": ip,
                      "accounts": [pop.agents[a].user_id for a in created]})


def _ua(day: Day, agent: int) -> str:
    from simulator.activity import ua_of

    return ua_of(day, day.sim.pop.agents[agent].devices[0])


def _register_new_portfolios(pop, created: list[int]) -> None:
    nums = np.concatenate([pop.agents[a].portfolio for a in created])
    orgs = np.concatenate([np.full(len(pop.agents[a].portfolio), pop.agents[a].org) for a in created])
    keep = pop.org_of(nums) < 0
    owner = np.concatenate([pop.owner, nums[keep]])
    owner_org = np.concatenate([pop.owner_org, orgs[keep]])
    order = np.argsort(owner, kind="stable")
    pop.owner, pop.owner_org = owner[order], owner_org[order]
    for a in created:
        org = pop.orgs[pop.agents[a].org]
        org.portfolio = np.sort(np.concatenate([org.portfolio, pop.agents[a].portfolio]))


def onboarding_events(day: Day) -> None:
    """USER_CREATE + USER_ROLE_GRANT for each account created in an onboarding segment."""
    pop, rng = day.sim.pop, day.rng
    for s in day.segments:
        created = s.params.get("onboarding")
        if not created:
            continue
        n = len(created)
        t = s.act_start + np.sort(rng.integers(2 * MIN_MS, 90 * MIN_MS, n)).astype(np.int64)
        t = np.repeat(t, 2) + np.tile([0, 4000], n)
        codes = np.tile([_ADMIN["USER_CREATE"], _ADMIN["USER_ROLE_GRANT"]], n)
        targets = [pop.agents[a] for a in created for _ in range(2)]
        extra = {
            "target_user_id": pl.Series([a.user_id for a in targets]),
            "target_email": pl.Series([a.email for a in targets]),
            "target_roles": pl.Series(['["CONSEILLER"]'] * len(targets)),
            "target_org_siret": pl.Series([pop.orgs[a.org].siret for a in targets]),
        }
        day.app.append(events.build(day, [s], np.zeros(2 * n, np.int64), t, codes, extra=extra))


def service_segments(day: Day) -> list[Segment]:
    """Nightly batch integrations: no ProConnect login, a data-centre IP, an HTTP client."""
    pop, rng = day.sim.pop, day.rng
    segs = []
    for a in pop.agents:
        if not a.service:
            continue
        t0 = int(day.at(rng.uniform(1.0, 1.5)))
        seg = Segment(a.idx, None, a.home_ip, SERVICE_CLIENTS[a.idx % len(SERVICE_CLIENTS)], t0,
                      t0 + int(rng.uniform(1.5, 3) * 3_600_000), kind="service", login="none")
        segs.append(seg)
    return segs


def service_events(day: Day, segs: list[Segment]) -> None:
    pop, rng = day.sim.pop, day.rng
    for i, s in enumerate(segs):
        pf = pop.agents[s.agent].portfolio
        if len(pf) == 0:
            continue
        n = int(min(len(pf), rng.integers(800, 3000)))
        pace = rng.uniform(300, 900)
        t = s.t0 + (np.arange(n) * pace + rng.normal(0, 30, n)).astype(np.int64)
        numbers = pf[rng.permutation(len(pf))[:n]]
        codes = np.where(rng.random(n) < 0.7, CODE["BENEFICIARY_RECORD_VIEW"],
                         CODE["TRAINING_ENTRY_DECLARED"])
        day.app.append(events.build(day, segs, np.full(n, i), t, codes, numbers))


_ADMIN = {"USER_CREATE": CODE["USER_CREATE"], "USER_ROLE_GRANT": CODE["USER_ROLE_GRANT"]}
