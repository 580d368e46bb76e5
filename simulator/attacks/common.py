"""What the attacks share: their networks, machines, windows, and scripted read bursts."""

from __future__ import annotations

import numpy as np

from simulator import events
from simulator.context import Attack, Day, Segment, Sim
from simulator.events import CODE
from simulator.geo import FRENCH
from simulator.network import FOREIGN_VPS
from simulator.useragents import SCRIPT_CLIENTS, browser, chrome_major, pick_browser


def new_attack(sim: Sim, scenario: str, public: dict) -> tuple[int, Attack]:
    attack = Attack(f"{scenario}-{len(sim.attacks) + 1}", scenario, params={"public": public})
    sim.attacks.append(attack)
    return len(sim.attacks) - 1, attack


def free_advisors(sim: Sim) -> list:
    """Advisors present from the first day, active, and not yet taken by another attack."""
    taken = {a for atk in sim.attacks for a in atk.accounts}
    return [a for a in sim.pop.agents if not a.service and a.active_from == 0 and not a.disabled
            and "CONSEILLER" in a.roles and a.idx not in taken]


def window(sim: Sim, rng: np.random.Generator, start_day: int | None,
           duration: tuple[float, float]) -> tuple[int, int]:
    """First day index and day count, drawn so the attack starts inside the period."""
    n = len(sim.days)
    dur = int(rng.integers(int(duration[0]), int(duration[1]) + 1))
    if start_day is None:
        latest = max(1, min(n - 2, n - dur)) if dur < n else max(1, n // 3)
        start_day = int(rng.integers(1 if n > 2 else 0, max(2, latest + 1)))
    start_day = min(max(0, start_day), n - 1)
    return start_day, min(dur, n - start_day)


def network(sim: Sim, rng: np.random.Generator, kind: str, home_city: int) -> tuple[str, list[str]]:
    """Attacker egress: a foreign or French VPS, or residential proxies in France."""
    space = sim.pop.space
    if kind == "random":
        kind = str(rng.choice(["foreign_vps", "fr_hosting", "residential_proxy"], p=[0.5, 0.2, 0.3]))
    if kind == "foreign_vps":
        cc = str(rng.choice(list(FOREIGN_VPS)))
        return kind, [space.hosting(rng, cc) for _ in range(2)]
    if kind == "fr_hosting":
        return kind, [space.hosting(rng, "FR") for _ in range(2)]
    if kind == "vpn":
        return kind, [space.commercial_vpn(rng) for _ in range(3)]
    cities = [int(c) for c in rng.integers(0, len(FRENCH), 6)]
    return "residential_proxy", [space.residential(c, rng) for c in cities]


def machine(sim: Sim, rng: np.random.Generator, agent: int, scripted: float) -> tuple[int, str]:
    """A device cookie and user agent unlike the owner's (browser, or a scripting client)."""
    pop = sim.pop
    own = pop.devices[pop.agents[agent].devices[0]]
    fam_plat = pick_browser(rng, exclude=(own.family, own.platform))
    dev = pop.add_device(agent, rng, sim.seed, family_platform=fam_plat)
    if rng.random() < scripted:
        ua = str(rng.choice(SCRIPT_CLIENTS))
    else:
        d = pop.devices[dev]
        ua = browser(d.family, d.platform, chrome_major(sim.days[0]) - 1, d.build)
    return dev, ua


def segment(day: Day, atk_index: int, attack: Attack, agent: int, device: int | None, ip: str,
            ua: str, h0: float, h1: float, gen, **params) -> Segment:
    seg = Segment(agent, device, ip, ua, int(day.at(h0)), int(day.at(h1)), kind=attack.scenario,
                  atk=atk_index, params={"gen": gen, **params})
    day.segments.append(seg)
    attack.accounts.append(agent) if agent not in attack.accounts else None
    attack.ips.add(ip)
    return seg


def reads(day: Day, seg: Segment, numbers: np.ndarray, pacing: tuple[float, float],
          nir_share: float = 0.0, contact_share: float = 0.35, jitter: float = 0.08,
          list_every: int = 0, list_count: tuple[int, int] = (200, 2000)) -> None:
    """Scripted record reads at machine-regular pacing from the segment's first request."""
    rng = day.rng
    n = len(numbers)
    if n == 0:
        return
    step = rng.uniform(*pacing)
    gaps = np.maximum(20, rng.normal(step, step * jitter, n))
    t = seg.act_start + np.cumsum(gaps).astype(np.int64)
    u = rng.random(n)
    codes = np.where(u < nir_share, CODE["BENEFICIARY_NIR_REVEAL"],
                     np.where(u < nir_share + contact_share, CODE["BENEFICIARY_CONTACT_VIEW"],
                              CODE["BENEFICIARY_RECORD_VIEW"]))
    counts = None
    if list_every:
        at = np.arange(n) % list_every == 0
        codes = np.where(at, CODE["STRUCTURE_BENEFICIARY_LIST"], codes)
        counts = rng.integers(list_count[0], list_count[1], n)
    day.app.append(events.build(day, [seg], np.zeros(n, np.int64), t, codes, numbers, counts))
    seg.t1 = max(seg.t1, int(t[-1]))


def spread_reads(sim: Sim, day: Day, seg: Segment) -> None:
    """`seg.params["n"]` random files read evenly over the segment (a person paging, not a script)."""
    n = seg.params["n"]
    nums = sim.pop.beneficiaries(day.rng, n)
    span = max(60_000, seg.t1 - seg.act_start)
    reads(day, seg, nums, (span / n * 0.5, span / n * 1.0), jitter=0.9)


def sequential(rng: np.random.Generator, start: int, n: int) -> np.ndarray:
    """Near-sequential identifiers, as an enumeration script walks them."""
    return start + np.cumsum(rng.integers(1, 4, n))
