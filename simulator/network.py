"""The world's IP space and the reference files that describe it (GeoLite2 CSV layout).

Why a private carve-out: the world is synthetic, so it lives in 10.0.0.0/8, CGNAT mobile in
100.64.0.0/10 and IPv6 in 2001:db8::/32; the layout (ISPs split by city, office NATs, hosting,
VPN concentrators, SP back-ends) is what matters to the detections, not the numbers.
"""

from __future__ import annotations

import csv
import functools
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.geo import CONTINENTS, COUNTRY_GEONAME, EU, FOREIGN, FRENCH, REGIONS, Place

RESIDENTIAL = [(64601, "Azur Fibre SA"), (64602, "Gaule Telecom"), (64603, "Hexanet Box"),
               (64604, "Libre Onde SAS")]
BUSINESS = [(64611, "Azur Fibre Entreprises"), (64612, "Gaule Telecom Pro")]
MOBILE = [(64621, "Alpha Mobile CGNAT"), (64622, "Beta Telecom Mobile"), (64623, "Gamma Mobile")]
FR_HOSTING = [(64631, "Roubaix Cloud SAS", 4), (64632, "Seine Hosting", 0)]
FOREIGN_VPS = {"NL": (64641, "Polder Compute B.V."), "DE": (64642, "Main Server GmbH"),
               "US": (64643, "Potomac Cloud LLC"), "SG": (64644, "Lion City VPS Pte"),
               "LT": (64645, "Baltic Hosting UAB")}
STATE_NET = (64651, "Reseau Interministeriel Regional")
COMMERCIAL_VPN = (64652, "Tunnel Prive Ltd")
SP_BACKEND = (64632, "Seine Hosting")


def _net_key(row: tuple) -> tuple:
    net = ipaddress.ip_network(row[0])
    return net.version, net


@dataclass
class Block:
    network: str
    asn: int
    as_org: str
    place: Place
    accuracy: int
    tag: str = ""
    label: str = ""


@dataclass
class IpSpace:
    """Allocates addresses and remembers every block for the reference files."""

    seed: int
    blocks: list[Block] = field(default_factory=list)
    tags: list[tuple[str, str, str]] = field(default_factory=list)
    _office_next: dict[tuple[int, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for k, (asn, org) in enumerate(RESIDENTIAL):
            for c, place in enumerate(FRENCH):
                self._add(f"10.{4 * k + c // 8}.{(c % 8) * 32}.0/19", asn, org, place, 20)
        for k, (asn, org) in enumerate(BUSINESS):
            for c, place in enumerate(FRENCH):
                self._add(f"10.{16 + 4 * k + c // 8}.{(c % 8) * 32}.0/19", asn, org, place, 10)
        for k, (asn, org) in enumerate(MOBILE):
            self._add(f"100.{64 + 16 * k}.0.0/12", asn, org, FRENCH[0], 1000, "mobile", org)
        for k, (asn, org, city) in enumerate(FR_HOSTING):
            self._add(f"10.{32 + k}.0.0/16", asn, org, FRENCH[city], 50, "hosting", org)
        for k, (cc, (asn, org)) in enumerate(FOREIGN_VPS.items()):
            self._add(f"10.{36 + k}.0.0/16", asn, org, FOREIGN[cc], 50, "hosting", org)
        for r, region in enumerate(REGIONS):
            place = next(p for p in FRENCH if p.region_iso == region)
            self._add(f"10.44.{r}.0/24", STATE_NET[0], STATE_NET[1], place, 100, "vpn",
                      f"Regional VPN concentrator {region} (shared by several organisations)")
        self._add("10.45.0.0/16", COMMERCIAL_VPN[0], COMMERCIAL_VPN[1], FOREIGN["NL"], 100, "vpn",
                  "Commercial VPN exit nodes")
        self._add("10.46.0.0/24", SP_BACKEND[0], SP_BACKEND[1], FRENCH[0], 10, "sp_backend",
                  "Kairos application back-end")
        self._add("2001:db8:5000::/36", MOBILE[0][0], MOBILE[0][1], FRENCH[0], 1000, "mobile",
                  MOBILE[0][1])
        for k in range(2):
            asn, org = RESIDENTIAL[k]
            for c, place in enumerate(FRENCH):
                self._add(f"2001:db8:{(k + 1) * 0x1000 + c * 0x10:x}::/44", asn, org, place, 20)

    def _add(self, network: str, asn: int, org: str, place: Place, acc: int, tag: str = "",
             label: str = "") -> None:
        self.blocks.append(Block(network, asn, org, place, acc, tag, label))
        if tag:
            self.tags.append((network, tag, label))

    # -- allocation -------------------------------------------------------------------------
    @staticmethod
    def _host(block_net: str, rng: np.random.Generator) -> str:
        base, size, v4 = _parse_net(block_net)
        addr = base + int(rng.integers(2, size - 2))
        if v4:
            return f"{addr >> 24}.{(addr >> 16) & 255}.{(addr >> 8) & 255}.{addr & 255}"
        return str(ipaddress.IPv6Address(addr))

    def residential(self, city: int, rng: np.random.Generator, isp: int | None = None) -> str:
        k = int(rng.integers(0, len(RESIDENTIAL))) if isp is None else isp
        return self._host(f"10.{4 * k + city // 8}.{(city % 8) * 32}.0/19", rng)

    def v6_prefix(self, city: int, rng: np.random.Generator) -> str:
        """A household /64 (first four hextets) of an IPv6-enabled residential ISP."""
        k = int(rng.integers(0, 2))
        h3 = (k + 1) * 0x1000 + city * 0x10 + int(rng.integers(0, 16))
        return f"2001:db8:{h3:x}:{int(rng.integers(0, 65536)):x}"

    @staticmethod
    def v6_address(prefix: str, rng: np.random.Generator) -> str:
        """A privacy (temporary) address inside the household /64."""
        iid = rng.integers(0, 65536, 4)
        return prefix + ":" + ":".join(f"{int(x):x}" for x in iid)

    def office(self, city: int, rng: np.random.Generator) -> str:
        """A fresh office NAT address in a business ISP block of `city`."""
        k = int(rng.integers(0, len(BUSINESS)))
        n = self._office_next.get((k, city), 10)
        self._office_next[(k, city)] = n + int(rng.integers(1, 4))
        base = ipaddress.ip_network(f"10.{16 + 4 * k + city // 8}.{(city % 8) * 32}.0/19")
        return str(base.network_address + n)

    def tag_office(self, ip: str, siret: str, name: str) -> None:
        self.tags.append((f"{ip}/32", "office", f"{siret} {name}"))

    def mobile_ips(self, rng: np.random.Generator, n: int, carrier: int | None = None) -> list[str]:
        k = int(rng.integers(0, len(MOBILE))) if carrier is None else carrier
        return [self._host(f"100.{64 + 16 * k}.0.0/12", rng) for _ in range(n)]

    def hosting(self, rng: np.random.Generator, country: str) -> str:
        if country == "FR":
            return self._host(f"10.{32 + int(rng.integers(0, 2))}.0.0/16", rng)
        k = list(FOREIGN_VPS).index(country)
        return self._host(f"10.{36 + k}.0.0/16", rng)

    @staticmethod
    def regional_vpn(region: str) -> str:
        return f"10.44.{REGIONS.index(region)}.17"

    def commercial_vpn(self, rng: np.random.Generator) -> str:
        return self._host("10.45.0.0/16", rng)

    @staticmethod
    def sp_backend(i: int) -> str:
        return f"10.46.0.{11 + i}"

    # -- reference files --------------------------------------------------------------------
    def write_reference(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        v4 = sorted((b for b in self.blocks if ":" not in b.network),
                    key=lambda b: ipaddress.ip_network(b.network))
        v6 = sorted((b for b in self.blocks if ":" in b.network),
                    key=lambda b: ipaddress.ip_network(b.network))
        for suffix, blocks in (("IPv4", v4), ("IPv6", v6)):
            with open(out / f"GeoLite2-ASN-Blocks-{suffix}.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["network", "autonomous_system_number", "autonomous_system_organization"])
                for b in blocks:
                    w.writerow([b.network, b.asn, b.as_org])
            with open(out / f"GeoLite2-City-Blocks-{suffix}.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["network", "geoname_id", "registered_country_geoname_id",
                            "represented_country_geoname_id", "is_anonymous_proxy",
                            "is_satellite_provider", "postal_code", "latitude", "longitude",
                            "accuracy_radius", "is_anycast"])
                for b in blocks:
                    p = b.place
                    postal = f"{p.dept}000" if p.dept else ""
                    w.writerow([b.network, p.geoname_id, COUNTRY_GEONAME[p.country_iso], "", 0, 0,
                                postal, f"{p.lat:.4f}", f"{p.lon:.4f}", b.accuracy, 0])
        with open(out / "GeoLite2-City-Locations-en.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["geoname_id", "locale_code", "continent_code", "continent_name",
                        "country_iso_code", "country_name", "subdivision_1_iso_code",
                        "subdivision_1_name", "subdivision_2_iso_code", "subdivision_2_name",
                        "city_name", "metro_code", "time_zone", "is_in_european_union"])
            for cc, gid in COUNTRY_GEONAME.items():
                place = FOREIGN.get(cc) or FRENCH[0]
                w.writerow([gid, "en", place.continent, CONTINENTS[place.continent], cc,
                            place.country_name, "", "", "", "", "", "", place.tz, int(cc in EU)])
            for p in [*FRENCH, *FOREIGN.values()]:
                w.writerow([p.geoname_id, "en", p.continent, CONTINENTS[p.continent],
                            p.country_iso, p.country_name, p.region_iso, p.region_name, p.dept,
                            p.dept_name, p.city, "", p.tz, int(p.country_iso in EU)])
        with open(out / "network_tags.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["network", "tag", "label"])
            for row in sorted(set(self.tags), key=_net_key):
                w.writerow(row)


@functools.lru_cache(maxsize=4096)
def _parse_net(block_net: str) -> tuple[int, int, bool]:
    """(first address, size, is IPv4) of a network, parsed once (hosts are drawn per account)."""
    net = ipaddress.ip_network(block_net)
    return int(net.network_address), net.num_addresses, net.version == 4
