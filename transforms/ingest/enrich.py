"""IP enrichment from the operator's reference data: ASN, geolocation and network tags.

Why per distinct address: a day has millions of events but tens of thousands of addresses,
so each address is looked up once (`IpCache`) and its columns are spread over the rows with
Arrow's vectorised `index_in` + `take`. Every file is optional: a missing one leaves its
columns null and says so in `Reference.missing`, which the run summary shows.

Why columnar: the real GeoLite2 City and ASN CSVs hold millions of networks. They are read
with PyArrow's CSV reader into sorted first/last-address arrays (`Ranges`) and looked up by
binary search, never a Python object per network; the `.mmdb` databases (City, Country,
ASN) are read with `maxminddb` instead, when the folder has them.
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
class Ranges:
    """Non-overlapping networks of one IP version sorted by first address, held as columns.

    `starts`/`ends` are the first and last addresses (a NumPy uint64 array for IPv4, Python
    ints for IPv6, which NumPy cannot hold), `values` the row of each network: a lookup is a
    binary search, vectorised for IPv4, and a `take` of the matching rows.
    """

    version: int
    starts: Any = None
    ends: Any = None
    values: pa.Table | None = None

    def __len__(self) -> int:
        return 0 if self.values is None else self.values.num_rows

    def find(self, addresses: list[int]) -> pa.Array:
        """The row of `values` holding each address (null where no network does)."""
        if not len(self) or not addresses:
            return pa.array([None] * len(addresses), pa.int64())
        if self.version == 4:
            wanted = np.asarray(addresses, dtype=np.uint64)
            i = np.searchsorted(self.starts, wanted, side="right").astype(np.int64) - 1
            hit = (i >= 0) & (wanted <= self.ends[np.maximum(i, 0)])
            return pa.array(i, pa.int64(), mask=~hit)
        rows: list[int | None] = []
        for address in addresses:
            j = bisect.bisect_right(self.starts, address) - 1
            rows.append(j if j >= 0 and address <= self.ends[j] else None)
        return pa.array(rows, pa.int64())


def _ranges(version: int, networks: pa.Array, values: pa.Table) -> Ranges:
    """Sorted `Ranges` from a column of CIDR strings (GeoLite2 CSV `network`) and their rows.

    IPv4 networks are parsed as columns (split, cast, shift); IPv6 ones with `inet_pton`, one
    C call per row (no `ipaddress` object per row).
    """
    if version == 4:
        parts = pc.split_pattern(networks, "/")
        addr = pc.list_element(parts, 0)
        length = pc.cast(pc.list_element(parts, 1), pa.int64()).to_numpy(zero_copy_only=False).astype(np.uint64)
        octets = pc.cast(pc.list_flatten(pc.split_pattern(addr, ".")), pa.int64()).to_numpy(zero_copy_only=False)
        octets = octets.astype(np.uint64).reshape(-1, 4)
        starts = (octets[:, 0] << 24) | (octets[:, 1] << 16) | (octets[:, 2] << 8) | octets[:, 3]
        host = (np.uint64(1) << (np.uint64(32) - length)) - np.uint64(1)
        starts = starts & ~host
        ends = starts | host
        order = np.argsort(starts, kind="stable")
        return Ranges(4, starts[order], ends[order], values.take(pa.array(order)))
    firsts, lasts = [], []
    for text in networks.to_pylist():
        addr, _, bits = text.partition("/")
        host = (1 << (128 - int(bits or 128))) - 1
        first = int.from_bytes(socket.inet_pton(socket.AF_INET6, addr), "big") & ~host
        firsts.append(first)
        lasts.append(first | host)
    by_start = sorted(range(len(firsts)), key=firsts.__getitem__)
    return Ranges(6, [firsts[i] for i in by_start], [lasts[i] for i in by_start],
                  values.take(pa.array(by_start, pa.int64())))


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


ASN_COLUMNS = pa.schema([("src_asn", pa.int64()), ("src_as_org", pa.string())])
CITY_COLUMNS = pa.schema([("src_country", pa.string()), ("src_city", pa.string()),
                          ("src_latitude", pa.float64()), ("src_longitude", pa.float64())])


@dataclass
class Reference:
    """The reference data of one folder: ASN and City ranges (GeoLite2 CSV layout, or the
    `.mmdb` readers, which take precedence when present) and the network tags."""

    asn: dict[int, Ranges] = field(default_factory=lambda: {4: Ranges(4), 6: Ranges(6)})
    city: dict[int, Ranges] = field(default_factory=lambda: {4: Ranges(4), 6: Ranges(6)})
    tags: PrefixTags = field(default_factory=PrefixTags)
    missing: list[str] = field(default_factory=list)
    asn_mmdb: Any = None  # maxminddb.Reader of a GeoLite2/GeoIP2 ASN database
    geo_mmdb: Any = None  # maxminddb.Reader of a City or Country database
    sources: dict[str, str] = field(default_factory=dict)  # asn / geo / tags → the file(s) read

    def lookup(self, ips: list[str]) -> pa.Table:
        """One row per address with its enrichment columns (nulls where unknown)."""
        parsed: list[tuple[int, int] | None] = []
        for text in ips:
            try:
                ip = ipaddress.ip_address(text)
            except ValueError:
                parsed.append(None)
                continue
            if ip.version == 6 and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            parsed.append((ip.version, int(ip)))
        columns: dict[str, Any] = {
            "src_ip": pa.array(ips, pa.string()),
            "ip_version": pa.array([p[0] if p else None for p in parsed], pa.int8()),
            "src_prefix": pa.array([_prefix(*p) if p else None for p in parsed], pa.string()),
        }
        asn = (self._from_mmdb(self.asn_mmdb, parsed, _asn_row, ASN_COLUMNS) if self.asn_mmdb is not None
               else self._from_ranges(self.asn, parsed, ASN_COLUMNS))
        city = (self._from_mmdb(self.geo_mmdb, parsed, _geo_row, CITY_COLUMNS) if self.geo_mmdb is not None
                else self._from_ranges(self.city, parsed, CITY_COLUMNS))
        for table in (asn, city):
            for name in table.column_names:
                columns[name] = table.column(name)
        tags = [self.tags.find(*p) if p else None for p in parsed]
        columns["src_net_tag"] = pa.array([t[0] if t else None for t in tags], pa.string())
        columns["src_net_label"] = pa.array([t[1] if t else None for t in tags], pa.string())
        return pa.table({name: columns[name] for name in IP_INFO_SCHEMA.names}, schema=IP_INFO_SCHEMA)

    @staticmethod
    def _from_ranges(ranges: dict[int, Ranges], parsed: list, schema: pa.Schema) -> pa.Table:
        """Each address's row of the IPv4 or IPv6 ranges: one `take` over both versions' rows."""
        rows = np.full(len(parsed), -1, dtype=np.int64)
        tables, offset = [], 0
        for version in (4, 6):
            where = [i for i, p in enumerate(parsed) if p and p[0] == version]
            if where and len(ranges[version]):
                found = ranges[version].find([parsed[i][1] for i in where]).to_numpy(zero_copy_only=False)
                hit = ~np.isnan(found)
                rows[np.asarray(where)[hit]] = found[hit].astype(np.int64) + offset
            values = ranges[version].values
            if values is not None and values.num_rows:
                tables.append(values.cast(schema))
                offset += values.num_rows
        if not tables:
            return pa.table({f.name: pa.nulls(len(parsed), f.type) for f in schema})
        return pa.concat_tables(tables).take(pa.array(rows, pa.int64(), mask=rows < 0))

    @staticmethod
    def _from_mmdb(reader: Any, parsed: list, row: Any, schema: pa.Schema) -> pa.Table:
        rows = [row(reader.get(ipaddress.ip_address(p[1]) if p[0] == 6 else ipaddress.IPv4Address(p[1])))
                if p else row(None) for p in parsed]
        return pa.table({f.name: pa.array([r[i] for r in rows], f.type) for i, f in enumerate(schema)})


def _asn_row(record: dict | None) -> tuple:
    record = record or {}
    return (record.get("autonomous_system_number"), record.get("autonomous_system_organization"))


def _geo_row(record: dict | None) -> tuple:
    """A City or Country record as the CSV layout gives it: the country of the place, else the
    registered country; the English city name; the location."""
    record = record or {}
    country = (record.get("country") or record.get("registered_country") or {}).get("iso_code")
    city = ((record.get("city") or {}).get("names") or {}).get("en")
    location = record.get("location") or {}
    return (country, city, location.get("latitude"), location.get("longitude"))


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


def _read_csv(path: Path, columns: list[str]) -> pa.Table:
    """The named columns of a GeoLite2 CSV as strings (empty fields null), read by PyArrow."""
    header = _header(path)
    wanted = [c for c in columns if c in header]
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        include_columns=wanted, column_types={c: pa.string() for c in wanted},
        strings_can_be_null=True, null_values=[""]))
    for name in columns:
        if name not in wanted:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    return table


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def mmdb_kind(reader: Any) -> str:
    """asn, city or country, from the database's own metadata (GeoLite2-City, GeoIP2-Country...)."""
    kind = str(reader.metadata().database_type).lower()
    return "asn" if "asn" in kind else "city" if "city" in kind else "country" if "country" in kind else kind


def _mmdb_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root] if root.suffix == ".mmdb" else []
    return sorted(root.glob("*.mmdb")) if root.is_dir() else []


@lru_cache(maxsize=4)
def _load(reference_dir: str, stamp: tuple) -> Reference:
    import maxminddb

    root = Path(reference_dir)
    ref = Reference()
    for path in _mmdb_files(root):
        reader = maxminddb.open_database(str(path))
        kind = mmdb_kind(reader)
        if kind == "asn":
            ref.asn_mmdb, ref.sources["asn"] = reader, path.name
        elif kind in ("city", "country") and (ref.geo_mmdb is None or kind == "city"):
            ref.geo_mmdb, ref.sources["geo"] = reader, path.name
    if root.is_file():
        root = root.parent / "__no_csv__"
    if ref.asn_mmdb is None:
        for name, version in zip(ASN_FILES, (4, 6), strict=True):
            path = root / name
            if not path.exists():
                ref.missing.append(name)
                continue
            t = _read_csv(path, ["network", "autonomous_system_number", "autonomous_system_organization"])
            values = pa.table({"src_asn": pc.cast(t["autonomous_system_number"], pa.int64()),
                               "src_as_org": t["autonomous_system_organization"]})
            ref.asn[version] = _ranges(version, t["network"].combine_chunks(), values)
            ref.sources["asn"] = ", ".join(filter(None, [ref.sources.get("asn"), name]))
    if ref.geo_mmdb is None:
        places = None
        if (root / LOCATIONS_FILE).exists():
            places = _read_csv(root / LOCATIONS_FILE, ["geoname_id", "country_iso_code", "city_name"])
        else:
            ref.missing.append(LOCATIONS_FILE)
        for name, version in zip(CITY_FILES, (4, 6), strict=True):
            path = root / name
            if not path.exists():
                ref.missing.append(name)
                continue
            t = _read_csv(path, ["network", "geoname_id", "registered_country_geoname_id", "latitude", "longitude"])
            geo = pc.coalesce(t["geoname_id"], t["registered_country_geoname_id"])
            if places is not None:
                at = pc.index_in(geo, value_set=places["geoname_id"].combine_chunks())
                country, city = places["country_iso_code"].take(at), places["city_name"].take(at)
            else:
                country = city = pa.nulls(t.num_rows, pa.string())
            values = pa.table({"src_country": country, "src_city": city,
                               "src_latitude": pc.cast(t["latitude"], pa.float64()),
                               "src_longitude": pc.cast(t["longitude"], pa.float64())})
            ref.city[version] = _ranges(version, t["network"].combine_chunks(), values)
            ref.sources["geo"] = ", ".join(filter(None, [ref.sources.get("geo"), name]))
    if (root / TAGS_FILE).exists():
        for row in _rows(root / TAGS_FILE):
            ref.tags.add(row["network"], row["tag"].strip().lower(), row.get("label") or "")
        ref.sources["tags"] = TAGS_FILE
    else:
        ref.missing.append(TAGS_FILE)
    # the CSV columns and their parsing were transient: give Arrow's freed blocks back (a real-size
    # City + ASN CSV set leaves 1.2 GB resident without this, 0.6 GB with it)
    pa.default_memory_pool().release_unused()
    return ref


def load_reference(reference_dir: Path) -> Reference:
    """Reference data of `reference_dir` (or of one `.mmdb` file), cached until a file changes.

    `.mmdb` files (GeoLite2/GeoIP2 City, Country or ASN, told apart by their metadata) take
    precedence over the CSV layout of the same data; both give the same columns.
    """
    reference_dir = Path(reference_dir)
    names = [*ASN_FILES, *CITY_FILES, LOCATIONS_FILE, TAGS_FILE]
    paths = [reference_dir / name for name in names] + _mmdb_files(reference_dir)
    stamp = tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in paths)
    return _load(str(reference_dir), stamp)
