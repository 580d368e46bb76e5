"""IP enrichment from the operator's reference data: ASN, geolocation and network tags.

Why per distinct address: a day has millions of events but tens of thousands of addresses,
so each address is looked up once in Python (`IpCache`) and its columns are spread over the
rows with Arrow's vectorised `index_in` + `take`. Every file is optional: a missing one
leaves its columns null and says so in `Reference.missing`, which the run summary shows.
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

ASN_FILES = ("GeoLite2-ASN-Blocks-IPv4.csv", "GeoLite2-ASN-Blocks-IPv6.csv")
CITY_FILES = ("GeoLite2-City-Blocks-IPv4.csv", "GeoLite2-City-Blocks-IPv6.csv")
LOCATIONS_FILE = "GeoLite2-City-Locations-en.csv"
TAGS_FILE = "network_tags.csv"

IP_INFO_SCHEMA = pa.schema(
    [
        ("src_ip", pa.string()),
        ("ip_version", pa.int8()),
        ("src_prefix", pa.string()),
        ("src_asn", pa.int64()),
        ("src_as_org", pa.string()),
        ("src_country", pa.string()),
        ("src_city", pa.string()),
        ("src_latitude", pa.float64()),
        ("src_longitude", pa.float64()),
        ("src_net_tag", pa.string()),
        ("src_net_label", pa.string()),
    ]
)


@dataclass
class RangeTable:
    """Non-overlapping networks sorted by first address, for one IP version."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)

    def add(self, network: str, value: tuple) -> None:
        net = ipaddress.ip_network(network, strict=False)
        self.starts.append(int(net.network_address))
        self.ends.append(int(net.broadcast_address))
        self.values.append(value)

    def sort(self) -> None:
        order = sorted(range(len(self.starts)), key=self.starts.__getitem__)
        self.starts = [self.starts[i] for i in order]
        self.ends = [self.ends[i] for i in order]
        self.values = [self.values[i] for i in order]

    def find(self, address: int) -> tuple | None:
        i = bisect.bisect_right(self.starts, address) - 1
        if i >= 0 and address <= self.ends[i]:
            return self.values[i]
        return None


@dataclass
class PrefixTags:
    """Possibly nested tagged networks: the longest matching prefix wins."""

    by_length: dict[tuple[int, int], dict[int, tuple[str, str]]] = field(default_factory=dict)
    _longest_first: list | None = None

    def add(self, network: str, tag: str, label: str) -> None:
        net = ipaddress.ip_network(network, strict=False)
        key = (net.version, net.prefixlen)
        self.by_length.setdefault(key, {})[int(net.network_address)] = (tag, label)
        self._longest_first = None

    def find(self, version: int, address: int) -> tuple[str, str] | None:
        bits = 32 if version == 4 else 128
        if self._longest_first is None:
            self._longest_first = sorted(self.by_length.items(), key=lambda kv: -kv[0][1])
        for (v, length), table in self._longest_first:
            if v != version:
                continue
            masked = address >> (bits - length) << (bits - length) if length else 0
            if masked in table:
                return table[masked]
        return None


@dataclass
class Reference:
    asn: dict[int, RangeTable] = field(default_factory=lambda: {4: RangeTable(), 6: RangeTable()})
    city: dict[int, RangeTable] = field(default_factory=lambda: {4: RangeTable(), 6: RangeTable()})
    tags: PrefixTags = field(default_factory=PrefixTags)
    missing: list[str] = field(default_factory=list)

    def lookup(self, ips: list[str]) -> pa.Table:
        """One row per address with its enrichment columns (nulls where unknown)."""
        columns: dict[str, list] = {name: [] for name in IP_INFO_SCHEMA.names}
        for text in ips:
            row = self._lookup_one(text)
            for name, value in zip(IP_INFO_SCHEMA.names, row, strict=True):
                columns[name].append(value)
        return pa.table(columns, schema=IP_INFO_SCHEMA)

    def _lookup_one(self, text: str) -> tuple:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            return (text, None, None, None, None, None, None, None, None, None, None)
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        version, address = ip.version, int(ip)
        prefix = _prefix(version, address)
        asn = self.asn[version].find(address) or (None, None)
        city = self.city[version].find(address) or (None, None, None, None)
        tag = self.tags.find(version, address) or (None, None)
        return (text, version, str(prefix), *asn, *city, *tag)


def _prefix(version: int, address: int) -> str:
    """The address's /24 (IPv4) or /64 (IPv6) network, as `ipaddress` writes it."""
    if version == 4:
        return f"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.0/24"
    return f"{ipaddress.IPv6Address(address >> 64 << 64)}/64"


class IpCache:
    """Enrichment columns for a file's rows, each distinct address looked up once."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.table = IP_INFO_SCHEMA.empty_table()
        self.known: set[str] = set()

    def columns(self, src_ip: pa.ChunkedArray | pa.Array) -> pa.Table:
        """One row of enrichment columns per value of `src_ip` (nulls for a null address)."""
        new = [ip for ip in pc.unique(src_ip).to_pylist() if ip is not None and ip not in self.known]
        if new:
            self.table = pa.concat_tables([self.table, self.reference.lookup(new)]).combine_chunks()
            self.known.update(new)
        return self.table.take(pc.index_in(src_ip, value_set=self.table.column("src_ip")))


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _float(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


@lru_cache(maxsize=4)
def _load(reference_dir: str, stamp: tuple) -> Reference:
    root = Path(reference_dir)
    ref = Reference()
    for name, version in zip(ASN_FILES, (4, 6), strict=True):
        path = root / name
        if not path.exists():
            ref.missing.append(name)
            continue
        for row in _rows(path):
            number = row.get("autonomous_system_number") or None
            ref.asn[version].add(
                row["network"], (int(number) if number else None, row.get("autonomous_system_organization"))
            )
        ref.asn[version].sort()
    places: dict[str, tuple[str | None, str | None]] = {}
    if (root / LOCATIONS_FILE).exists():
        for row in _rows(root / LOCATIONS_FILE):
            places[row["geoname_id"]] = (row.get("country_iso_code") or None, row.get("city_name") or None)
    else:
        ref.missing.append(LOCATIONS_FILE)
    for name, version in zip(CITY_FILES, (4, 6), strict=True):
        path = root / name
        if not path.exists():
            ref.missing.append(name)
            continue
        for row in _rows(path):
            geo = row.get("geoname_id") or row.get("registered_country_geoname_id") or ""
            country, city = places.get(geo, (None, None))
            ref.city[version].add(
                row["network"], (country, city, _float(row.get("latitude")), _float(row.get("longitude")))
            )
        ref.city[version].sort()
    if (root / TAGS_FILE).exists():
        for row in _rows(root / TAGS_FILE):
            ref.tags.add(row["network"], row["tag"].strip().lower(), row.get("label") or "")
    else:
        ref.missing.append(TAGS_FILE)
    return ref


def load_reference(reference_dir: Path) -> Reference:
    """Reference data of `reference_dir`, cached until one of its files changes."""
    names = (*ASN_FILES, *CITY_FILES, LOCATIONS_FILE, TAGS_FILE)
    stamp = tuple(
        (name, (reference_dir / name).stat().st_mtime_ns if (reference_dir / name).exists() else None)
        for name in names
    )
    return _load(str(reference_dir), stamp)
