"""Normal work: who works today, where from, on which device, and what they consult.

Why segments: one segment is one app session (morning, afternoon, evening); the day's
segments go through the ProConnect session model first, then their events are generated for
all agents at once.
"""

from __future__ import annotations

import numpy as np

from simulator import events
from simulator.calendar import HOUR_MS, MIN_MS, is_working_day
from simulator.context import Day, Segment
from simulator.events import CODE
from simulator.useragents import browser, chrome_major, firefox_major

VIEW_MIX = {  # record-level event mix per org type
    "OF": ([CODE["BENEFICIARY_RECORD_VIEW"], CODE["BENEFICIARY_CONTACT_VIEW"],
            CODE["DOCUMENT_DOWNLOAD"]], [0.65, 0.2, 0.15]),
    "*": ([CODE["BENEFICIARY_RECORD_VIEW"], CODE["BENEFICIARY_CONTACT_VIEW"],
           CODE["DOCUMENT_DOWNLOAD"], CODE["BENEFICIARY_NIR_REVEAL"]], [0.6, 0.2, 0.14, 0.06]),
}
UPDATES = {"OF": [CODE["ATTENDANCE_UPDATE"], CODE["QUOTE_CREATE"], CODE["QUOTE_SUBMIT"],
                  CODE["TRAINING_ENTRY_DECLARED"]],
           "*": [CODE["TRAINING_ENTRY_DECLARED"]]}


def ua_of(day: Day, device: int, bump: int = 0) -> str:
    dev = day.sim.pop.devices[device]
    major = (firefox_major(day.date) - 2 if dev.family == "firefox" else chrome_major(day.date))
    major -= dev.lag
    if bump:
        major += 1
    return browser(dev.family, dev.platform, major, dev.build)


def home_network(day: Day, agent) -> tuple[str, str | None, int]:
    """Home address, and a possible in-session change (IPv6 privacy or CGNAT re-mapping)."""
    rng, space = day.rng, day.sim.pop.space
    if agent.mobile:
        a, b = space.mobile_ips(rng, 2, carrier=agent.idx % 3)
        return a, b, 1
    if agent.v6_prefix and rng.random() < 0.85:
        return space.v6_address(agent.v6_prefix, rng), space.v6_address(agent.v6_prefix, rng), 2
    return agent.home_ip, None, 0


def plan_day(day: Day) -> list[Segment]:
    """The day's normal segments (the traps planned for today adjust some of them)."""
    sim, rng = day.sim, day.rng
    pop = sim.pop
    working = is_working_day(day.date)
    traps_today = sim.trap_plan.get(day.index, {})
    segs: list[Segment] = []
    for agent in pop.agents:
        if agent.service or agent.active_from > day.index or agent.disabled:
            continue
        trap = traps_today.get(agent.idx)
        if trap is None and rng.random() > (0.92 if working else 0.012):
            continue
        org = pop.orgs[agent.org]
        device = agent.devices[0]
        laptop = next((d for d in agent.devices if pop.devices[d].laptop), None)
        at_home = working and rng.random() < agent.telework
        if not working:
            at_home = True
        if at_home and laptop is not None:
            device = laptop
        office_ip = org.sites[agent.site]
        ip, ip_alt, switch_kind = (home_network(day, agent) if at_home else (office_ip, None, 0))
        ua = ua_of(day, device)
        start = agent.start_h + rng.normal(0, 0.3)
        lunch_s = rng.uniform(11.9, 12.7)
        lunch_e = lunch_s + rng.uniform(0.6, 1.3)
        end = agent.end_h + rng.normal(0, 0.35) - (0.5 if day.date.weekday() == 4 else 0)
        views = max(1, int(round(agent.view_median * rng.lognormal(0, 0.55))))
        kind = trap["kind"] if trap else None
        if kind == "travel" and laptop is not None:
            device, at_home = laptop, False
            ip, ip_alt, switch_kind = trap["ip"], None, 0
            ua = ua_of(day, device)
        if not working:
            start, lunch_s = rng.uniform(9.5, 15), 0
            end = start + rng.uniform(0.5, 2)
            views = max(1, views // 4)
            segs.append(_seg(day, agent, device, ip, ua, start, end, views, ip_alt, switch_kind))
            continue
        if kind == "onboarded":
            start = max(start, trap["from_h"])
        if kind == "laptop_move" and laptop is not None:
            device = laptop
            ua = ua_of(day, device)
            home, alt, _ = home_network(day, agent)
            seg = _seg(day, agent, device, office_ip, ua, start, end, views, None, 0)
            seg.ip_alt, seg.ip_switch = home, day.at(lunch_e)
            seg.gap = (day.at(lunch_s), day.at(lunch_e))
            seg.logout = rng.random() < 0.35
            segs.append(seg)
            continue
        share = max(0.0, lunch_s - start) / max(0.1, (lunch_s - start) + (end - lunch_e))
        v_m = int(round(views * share))
        if start < lunch_s:
            segs.append(_seg(day, agent, device, ip, ua, start, lunch_s, v_m, ip_alt, switch_kind))
        seg = _seg(day, agent, device, ip, ua, max(lunch_e, start), end, views - v_m, ip_alt,
                   switch_kind)
        seg.logout = rng.random() < 0.35
        if kind == "auto_update":
            seg.ua_alt = ua_of(day, device, bump=1)
            seg.ua_switch = seg.t0 + int((seg.t1 - seg.t0) * rng.uniform(0.3, 0.7))
            pop.devices[device].lag -= 1
        if kind == "campaign":
            seg.params["campaign"] = True
        if kind == "month_end_export":
            seg.params["export"] = True
        segs.append(seg)
        if rng.random() < 0.025:  # some evening work, from home: night traffic is not all attacks
            h_ip, h_alt, h_kind = home_network(day, agent)
            ev_dev = laptop if laptop is not None else device
            s = rng.uniform(19.5, 21.5)
            segs.append(_seg(day, agent, ev_dev, h_ip, ua_of(day, ev_dev), s, s + rng.uniform(0.3, 1.2),
                             max(1, views // 5), h_alt, h_kind))
    return segs


def _seg(day: Day, agent, device: int, ip: str, ua: str, h0: float, h1: float, views: int,
         ip_alt: str | None, switch_kind: int) -> Segment:
    t0, t1 = int(day.at(h0)), int(day.at(max(h1, h0 + 0.2)))
    seg = Segment(agent.idx, device, ip, ua, t0, t1, n_views=max(0, views))
    if ip_alt and t1 - t0 > HOUR_MS:
        seg.ip_alt = ip_alt
        seg.ip_switch = t0 + int((t1 - t0) * day.rng.uniform(0.2, 0.8))
        seg.params["switch"] = "cgnat" if switch_kind == 1 else "ipv6_privacy"
    return seg


def generate(day: Day, segs: list[Segment]) -> None:
    """Events of the normal segments, all agents at once."""
    if not segs:
        return
    rng, pop = day.rng, day.sim.pop
    ns = len(segs)
    cats = np.zeros((ns, 5), dtype=np.int64)  # views, lists, searches, updates, security
    for i, s in enumerate(segs):
        otype = pop.orgs[pop.agents[s.agent].org].org_type
        v = s.n_views
        if s.params.get("campaign"):
            v = len(pop.agents[s.agent].portfolio) // 2
        cats[i] = (v, 1 + rng.poisson(1.0), rng.poisson(1.3),
                   rng.poisson(v * 0.3) if otype == "OF" else rng.poisson(0.3), rng.poisson(0.02))
    seg_idx = np.repeat(np.arange(ns), cats.sum(axis=1))
    cat = np.repeat(np.tile(np.arange(5), ns), cats.ravel())
    n = len(seg_idx)
    agent_ix = np.array([s.agent for s in segs])[seg_idx]
    otypes = np.array([pop.orgs[pop.agents[s.agent].org].org_type for s in segs])[seg_idx]
    is_of = otypes == "OF"
    codes = np.empty(n, dtype=np.int64)
    m = cat == 0
    for key, mask in (("OF", m & is_of), ("*", m & ~is_of)):
        choices, p = VIEW_MIX[key]
        codes[mask] = np.array(choices)[rng.choice(len(choices), int(mask.sum()), p=p)]
    campaign = np.array([bool(s.params.get("campaign")) for s in segs])[seg_idx] & m
    codes[campaign] = CODE["BENEFICIARY_CONTACT_VIEW"]
    codes[(cat == 1) & is_of] = CODE["TRAINING_SESSION_ROSTER_VIEW"]
    codes[(cat == 1) & ~is_of] = CODE["PORTFOLIO_LIST_VIEW"]
    codes[cat == 2] = CODE["BENEFICIARY_SEARCH"]
    for key, mask in (("OF", (cat == 3) & is_of), ("*", (cat == 3) & ~is_of)):
        choices = UPDATES[key]
        codes[mask] = np.array(choices)[rng.integers(0, len(choices), int(mask.sum()))]
    sec = np.array([CODE["ACCESS_DENIED_OUT_OF_SCOPE"], CODE["CSRF_FAILURE"], CODE["STEP_UP_REQUIRED"]])
    codes[cat == 4] = sec[rng.integers(0, 3, int((cat == 4).sum()))]
    # times: uniform over the active part of the session, skipping a gap (lunch, commute)
    a0 = np.array([s.act_start for s in segs], dtype=np.int64)
    a1 = np.array([max(s.t1, s.act_start + MIN_MS) for s in segs], dtype=np.int64)
    g0 = np.array([s.gap[0] if s.gap else 0 for s in segs], dtype=np.int64)
    glen = np.array([s.gap[1] - s.gap[0] if s.gap else 0 for s in segs], dtype=np.int64)
    span = np.maximum(a1 - a0 - glen, MIN_MS)
    t = a0[seg_idx] + (rng.random(n) * span[seg_idx]).astype(np.int64)
    t = t + np.where((glen[seg_idx] > 0) & (t >= g0[seg_idx]), glen[seg_idx], 0)
    # beneficiaries: own portfolio, a colleague's, or someone else entirely
    pf_len = np.array([len(pop.agents[s.agent].portfolio) for s in segs])
    offs = np.concatenate([[0], np.cumsum(pf_len)])
    pf_all = np.concatenate([pop.agents[s.agent].portfolio for s in segs])
    u = rng.random(n)
    pick = offs[seg_idx] + (rng.random(n) * pf_len[seg_idx]).astype(np.int64)
    numbers = pf_all[np.minimum(pick, len(pf_all) - 1)]
    colleague = (u > 0.86) & (u <= 0.96)
    if colleague.any():  # anyone in the organisation's portfolio
        seg_org = np.array([pop.agents[s.agent].org for s in segs])
        orgs, seg_org = np.unique(seg_org, return_inverse=True)
        org_len = np.array([len(pop.orgs[o].portfolio) for o in orgs])
        org_all = np.concatenate([pop.orgs[o].portfolio for o in orgs])
        org_off = np.concatenate([[0], np.cumsum(org_len)])
        which = seg_org[seg_idx[colleague]]
        numbers[colleague] = org_all[org_off[which] + rng.integers(0, org_len[which])]
    stranger = (u > 0.96) | (codes == CODE["ACCESS_DENIED_OUT_OF_SCOPE"])
    numbers[stranger] = pop.beneficiaries(rng, int(stranger.sum()))
    if campaign.any():  # campaign day: walk through the portfolio
        numbers[campaign] = pf_all[offs[seg_idx[campaign]] + (
            np.arange(int(campaign.sum())) % np.maximum(1, pf_len[seg_idx[campaign]]))]
    counts = np.where(codes == CODE["PORTFOLIO_LIST_VIEW"], pf_len[seg_idx],
                      np.where(codes == CODE["TRAINING_SESSION_ROSTER_VIEW"],
                               rng.integers(8, 21, n), rng.integers(0, 13, n)))
    del agent_ix
    day.app.append(events.build(day, segs, seg_idx, t, codes, numbers, counts))
    _exports(day, segs)


def _exports(day: Day, segs: list[Segment]) -> None:
    """Month-end DIRECTION exports of the whole structure (a trap for volume rules)."""
    pop, rng = day.sim.pop, day.rng
    for i, s in enumerate(segs):
        if not s.params.get("export"):
            continue
        org = pop.orgs[pop.agents[s.agent].org]
        size = len(org.portfolio)
        t0 = s.act_start + int(rng.integers(5, 40)) * MIN_MS
        t = np.array([t0, t0 + 20_000, t0 + 95_000], dtype=np.int64)
        codes = np.array([CODE["STRUCTURE_BENEFICIARY_LIST"], CODE["EXPORT_REQUESTED"],
                          CODE["EXPORT_DOWNLOADED"]])
        import polars as pl

        fmt = "xlsx" if rng.random() < 0.7 else "csv"
        frame = events.build(day, [s], np.zeros(3, dtype=np.int64), t, codes,
                             counts=np.array([size, 0, 0]),
                             extra={"export_format": pl.Series([None, fmt, fmt], dtype=pl.String),
                                    "rows_exported": pl.Series([None, size, size], dtype=pl.Int64)})
        day.app.append(frame)
        del i
