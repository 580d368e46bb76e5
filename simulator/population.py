"""Organisations, their sites and egress, agents, devices and portfolios.

Why one columnar table of agents: per-event generation gathers agent attributes by index, so
everything an event needs about its actor is precomputed here once (including the JSON
fragments the writers splice into lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from simulator import ids
from simulator.geo import FRENCH
from simulator.network import IpSpace
from simulator.options import SimulationOptions
from simulator.useragents import pick_browser

ORG_TYPES = ["ML", "FT_AGENCE", "CAP_EMPLOI", "OF"]
AGENT_SHARE = [0.35, 0.30, 0.12, 0.23]
SIZES = {"ML": (10, 60), "FT_AGENCE": (15, 60), "CAP_EMPLOI": (5, 20), "OF": (1, 10)}
PORTFOLIO = {"ML": (100, 25), "FT_AGENCE": (180, 40), "CAP_EMPLOI": (80, 20), "OF": (35, 12)}
FIRST = ["camille", "lea", "manon", "chloe", "ines", "sarah", "julie", "marie", "laura", "emma",
         "thomas", "nicolas", "julien", "kevin", "mehdi", "antoine", "lucas", "hugo", "yanis",
         "sophie", "nadia", "karim", "claire", "pauline", "fatou", "olivier", "elodie", "samir"]
LAST = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy",
        "moreau", "simon", "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux",
        "vincent", "fournier", "morel", "girard", "andre", "mercier", "blanc", "guerin", "benali",
        "diallo", "nguyen", "traore", "henry", "faure"]
OF_NAMES = ["Formapro", "Cap Competences", "Horizon Formation", "Atelier Metiers", "Tremplin",
            "Savoirs Plus", "Itineraire Pro", "Passerelle Formation"]
IDPS = {
    "pci": ("ProConnect Identité", "71144ab3-ee1a-4401-b7b3-79b44f7daeeb", "13002526500013"),
    "ft": ("France Travail Agents", "c8b6d2a4-1f3e-4b7a-9d21-5e0f3a7c9b18", "13000548100010"),
}
SP_ID = "a7f3c2e19b8d4f6a0c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a"
SP_NAME = "Kairos"
SP_SIRET = "13000548100010"


def _siret(rng: np.random.Generator) -> str:
    """A 14-digit SIRET that passes the Luhn check, like real ones."""
    digits = [int(x) for x in rng.integers(0, 10, 13)]
    digits[0] = int(rng.integers(1, 10))
    for check in range(10):
        cand = [*digits, check]
        total = 0
        for i, dgt in enumerate(reversed(cand)):
            dd = dgt * 2 if i % 2 else dgt
            total += dd - 9 if dd > 9 else dd
        if total % 10 == 0:
            return "".join(map(str, cand))
    raise AssertionError("unreachable")


@dataclass
class Org:
    idx: int
    siret: str
    org_type: str
    name: str
    city: int  # index into FRENCH
    domain: str
    sites: list[str]  # egress IP per site
    site_tags: list[str]  # office | vpn
    agents: list[int] = field(default_factory=list)
    portfolio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def dept(self) -> str:
        return FRENCH[self.city].dept


@dataclass
class Device:
    device_id: str
    agent: int
    family: str
    platform: str
    lag: int  # major versions behind the current release
    build: int
    laptop: bool


@dataclass
class Agent:
    idx: int
    user_id: str
    pc_sub: str | None
    idp_sub: str
    email: str
    org: int
    roles: list[str]
    site: int
    devices: list[int]
    portfolio: np.ndarray
    view_median: float
    mfa_u: float
    start_h: float
    end_h: float
    telework: float
    home_ip: str | None
    v6_prefix: str | None
    mobile: bool
    heavy: bool = False
    service: bool = False
    active_from: int = 0  # day index from which the account exists
    idp: str = "pci"
    disabled: bool = False
    tags: list[str] = field(default_factory=list)


@dataclass
class Population:
    orgs: list[Org]
    agents: list[Agent]
    devices: list[Device]
    space: IpSpace
    owner: np.ndarray  # sorted beneficiary numbers held in some portfolio
    owner_org: np.ndarray  # org index of each number in `owner`
    knobs: tuple[float, float, float] = (0.03, 0.35, 0.08)  # heavy, IPv6, mobile shares
    nir_orgs: frozenset[str] = frozenset({"FT_AGENCE", "CAP_EMPLOI"})
    ben_hi: int = ids.BEN_HI  # beneficiary numbers are in [ids.BEN_LO, ben_hi)

    def agent_orgs(self) -> np.ndarray:
        """Org index of every account, cached (accounts are only added while planning)."""
        cache = self.__dict__.get("_agent_orgs")
        if cache is None or len(cache) != len(self.agents):
            cache = self.__dict__["_agent_orgs"] = np.array([a.org for a in self.agents], np.int32)
        return cache

    def org_nir(self) -> np.ndarray:
        """Per organisation: whether its record views can carry the NIR (cached)."""
        cache = self.__dict__.get("_org_nir")
        if cache is None or len(cache) != len(self.orgs):
            cache = self.__dict__["_org_nir"] = np.array(
                [o.org_type in self.nir_orgs for o in self.orgs], dtype=bool)
        return cache

    def beneficiaries(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` beneficiary numbers drawn uniformly from the world's whole id space."""
        return rng.integers(ids.BEN_LO, self.ben_hi, n)

    def org_of(self, numbers: np.ndarray) -> np.ndarray:
        """Org index following each beneficiary number, -1 if none.

        Why a table over the number space (2 bytes a number, 4 past 32k organisations; rebuilt
        when `owner` changes): every generated event looks its beneficiary up, and a binary
        search over millions of owned numbers cost more than a second a month."""
        table = self.__dict__.get("_org_table")
        if table is None or table[0] is not self.owner:
            lo = ids.BEN_LO
            size = max(self.ben_hi, int(self.owner[-1]) + 1 if len(self.owner) else 0) - lo
            lookup = np.full(size, -1, dtype=np.int16 if len(self.orgs) < 32767 else np.int32)
            owned, first = np.unique(self.owner, return_index=True)  # a binary search's pick
            lookup[owned - lo] = self.owner_org[first]
            table = self.__dict__["_org_table"] = (self.owner, lookup)
        numbers = np.asarray(numbers)
        inside = (numbers >= ids.BEN_LO) & (numbers < ids.BEN_LO + len(table[1]))
        return np.where(inside, table[1][np.where(inside, numbers - ids.BEN_LO, 0)], -1)

    def add_device(self, agent: int, rng: np.random.Generator, seed: int,
                   family_platform: tuple[str, str] | None = None, laptop: bool = True) -> int:
        fam, plat = family_platform or pick_browser(rng)
        idx = len(self.devices)
        self.devices.append(Device(ids.uuid1(seed, 11, idx), agent, fam, plat,
                                   int(rng.integers(0, 2)), int(rng.integers(0, 4000)), laptop))
        return idx

    def new_agent(self, org: Org, roles: list[str], rng: np.random.Generator, seed: int,
                  site: int = 0, active_from: int = 0, portfolio: np.ndarray | None = None) -> Agent:
        """An account of `org` with a person, devices, home network and work habits."""
        idx = len(self.agents)
        k = len(org.agents) + 1
        first, last = FIRST[int(rng.integers(len(FIRST)))], LAST[int(rng.integers(len(LAST)))]
        user_id = f"{org.org_type.split('_')[0]}-{org.dept}-{org.idx:06d}-u{k:02d}"
        heavy = bool(rng.random() < self.knobs[0]) and "CONSEILLER" in roles
        city = org.city
        agent = Agent(
            idx=idx, user_id=user_id, pc_sub=ids.uuid1(seed, 12, idx),
            idp_sub=ids.uuid1(seed, 13, idx),
            email=f"{first}.{last}{'' if k < 3 else k}@{org.domain}", org=org.idx, roles=roles,
            site=site, devices=[], portfolio=portfolio if portfolio is not None else np.zeros(0, np.int64),
            view_median=float(np.clip(rng.lognormal(np.log(18), 0.45), 6, 60)),
            mfa_u=float(rng.random()), start_h=float(rng.normal(8.7, 0.5)),
            end_h=float(rng.normal(17.3, 0.6)),
            telework=0.0 if rng.random() < 0.5 else float(rng.uniform(0.1, 0.4)),
            home_ip=None, v6_prefix=None, mobile=False, heavy=heavy, active_from=active_from,
            idp="ft" if org.org_type == "FT_AGENCE" else "pci",
        )
        if heavy:
            agent.view_median = float(rng.uniform(110, 200))
            agent.tags.append("heavy_user")
        if rng.random() < self.knobs[1]:
            agent.v6_prefix = self.space.v6_prefix(city, rng)
        agent.home_ip = self.space.residential(city, rng)
        agent.mobile = bool(rng.random() < self.knobs[2])
        self.agents.append(agent)
        org.agents.append(idx)
        first_dev = self.add_device(idx, rng, seed, laptop=bool(rng.random() < 0.55))
        agent.devices.append(first_dev)
        if rng.random() < 0.3:
            agent.devices.append(self.add_device(idx, rng, seed, laptop=True))
        return agent


def _portfolio_size(org_type: str, rng: np.random.Generator, heavy: bool) -> int:
    mu, sd = PORTFOLIO[org_type]
    n = max(8, int(rng.normal(mu, sd)))
    return n * 4 if heavy else n


def build(n_agents: int, seed: int, opts: SimulationOptions, start: date) -> Population:
    """Draw organisations until `n_agents` accounts exist, then portfolios."""
    rng = np.random.default_rng([seed, 1])
    traps = opts.traps
    space = IpSpace(seed)
    pop = Population([], [], [], space, np.zeros(0, np.int64), np.zeros(0, np.int64),
                     (traps.heavy_user_share, traps.ipv6_share, traps.mobile_share))
    remaining = n_agents
    vpn_region_used: dict[str, int] = {}
    forced_vpn_region = FRENCH[int(rng.integers(len(FRENCH)))].region_iso
    while remaining > 0:
        otype = ORG_TYPES[int(rng.choice(4, p=AGENT_SHARE))]
        lo, hi = SIZES[otype]
        size = int(min(remaining, max(lo, min(hi, round(rng.lognormal(np.log((lo + hi) / 2.5), 0.5))))))
        if otype == "OF":
            size = int(min(remaining, rng.integers(1, 11)))
        city = int(rng.integers(len(FRENCH)))
        place = FRENCH[city]
        idx = len(pop.orgs)
        if otype == "ML":
            name, domain = f"Mission Locale de {place.city}", f"ml-{place.city.lower()[:12]}.fr"
        elif otype == "FT_AGENCE":
            name, domain = f"France Travail {place.city} {idx % 7 + 1}", "francetravail.fr"
        elif otype == "CAP_EMPLOI":
            name, domain = f"Cap emploi {place.dept_name}", f"capemploi{place.dept}.fr"
        else:
            base = OF_NAMES[int(rng.integers(len(OF_NAMES)))]
            name, domain = f"{base} {place.city}", f"{base.split()[0].lower()}{idx}.fr"
        domain = "".join(ch for ch in domain if ch.isascii() and (ch.isalnum() or ch in ".-"))
        siret = _siret(rng)
        n_sites = 2 if otype == "ML" and size >= 25 and rng.random() < 0.5 else 1
        sites, site_tags = [], []
        for _ in range(n_sites):
            use_vpn = otype in ("ML", "CAP_EMPLOI", "FT_AGENCE") and (
                rng.random() < traps.vpn_org_share
                or (place.region_iso == forced_vpn_region and vpn_region_used.get(place.region_iso, 0) < 2))
            if use_vpn:
                sites.append(space.regional_vpn(place.region_iso))
                site_tags.append("vpn")
                vpn_region_used[place.region_iso] = vpn_region_used.get(place.region_iso, 0) + 1
            else:
                ip = space.office(city, rng)
                space.tag_office(ip, siret, name)
                sites.append(ip)
                site_tags.append("office")
        org = Org(idx, siret, otype, name, city, domain, sites, site_tags)
        pop.orgs.append(org)
        for k in range(size):
            roles = _roles(otype, k, size)
            site = k % n_sites
            a = pop.new_agent(org, roles, rng, seed, site=site)
            a.portfolio = np.zeros(_portfolio_size(otype, rng, a.heavy), np.int64)
        remaining -= size
    _assign_portfolios(pop, rng)
    return pop


def _roles(otype: str, k: int, size: int) -> list[str]:
    base = "FORMATEUR" if otype == "OF" else "CONSEILLER"
    if k == 0:
        return [base, "RGC"]
    if k == 1 and size >= 8:
        return ["DIRECTION"]
    if otype == "ML" and k == 2 and size >= 30:
        return [base, "RGC"]
    if k == 3 and size >= 15:
        return [base, "SUPERVISEUR"]
    return [base]


def _assign_portfolios(pop: Population, rng: np.random.Generator) -> None:
    """Disjoint portfolios: each followed beneficiary belongs to one organisation."""
    need = sum(len(a.portfolio) for a in pop.agents)
    pop.ben_hi = ids.beneficiary_space(need)
    pool = _first_occurrences(pop.beneficiaries(rng, int(need * 1.3) + 1000))
    while len(pool) < need:  # never in the historical space (sized for it); a top-up otherwise
        more = pop.beneficiaries(rng, need - len(pool) + 1000)
        pool = _first_occurrences(np.concatenate([pool, more]))
    pool = pool[:need]
    pos = 0
    owners, orgs = [], []
    for org in pop.orgs:
        chunks = []
        for a in org.agents:
            agent = pop.agents[a]
            n = len(agent.portfolio)
            agent.portfolio = pool[pos:pos + n]
            pos += n
            chunks.append(agent.portfolio)
        org.portfolio = np.sort(np.concatenate(chunks)) if chunks else np.zeros(0, np.int64)
        owners.append(org.portfolio)
        orgs.append(np.full(len(org.portfolio), org.idx))
    by_number = pl.DataFrame({"owner": np.concatenate(owners), "org": np.concatenate(orgs)}).sort("owner")
    pop.owner, pop.owner_org = by_number["owner"].to_numpy(), by_number["org"].to_numpy()


def _first_occurrences(numbers: np.ndarray) -> np.ndarray:
    """`numbers` without repeats, each kept where it first appears (hashing: millions of draws
    in a large world, where a sort-based unique took seconds)."""
    return pl.Series(numbers).unique(maintain_order=True).to_numpy()


def add_service_accounts(pop: Population, count: int, rng: np.random.Generator, seed: int) -> list[int]:
    """Batch integrations (role SERVICE) of large organisations, calling from a data centre."""
    big = [o for o in pop.orgs if o.org_type in ("FT_AGENCE", "ML")] or pop.orgs
    out = []
    for i in range(count):
        org = big[int(rng.integers(len(big)))]
        idx = len(pop.agents)
        agent = Agent(idx=idx, user_id=f"SVC-{org.dept}-{org.idx:06d}-batch{i + 1}", pc_sub=None,
                      idp_sub="", email=f"integration{i + 1}@{org.domain}", org=org.idx,
                      roles=["SERVICE"], site=0, devices=[], portfolio=org.portfolio,
                      view_median=0.0, mfa_u=1.0, start_h=1.0, end_h=4.5, telework=0.0,
                      home_ip=pop.space.hosting(rng, "FR"), v6_prefix=None, mobile=False,
                      service=True, tags=["service_account"])
        pop.agents.append(agent)
        out.append(idx)
    return out
