"""Reference data at real size: the 2018 GeoLite2 City database (PyPI `maxminddb-geolite2`).

The `.mmdb` path and the CSV layout must give the same enrichment columns: the CSV files
here are written from the database's own records for the networks of real public addresses,
then both folders are loaded through `load_reference` and looked up the same way.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import shutil
import time
from pathlib import Path

import pytest

from transforms.ingest.enrich import CITY_FILES, LOCATIONS_FILE, load_reference

maxminddb_geolite2 = pytest.importorskip("_maxminddb_geolite2")
CITY_MMDB = Path(maxminddb_geolite2.__file__).parent / "GeoLite2-City.mmdb"

# Public addresses and the country the 2018 database gives them (v4 and v6, with and without a city).
PUBLIC = {"8.8.8.8": "US", "1.1.1.1": "AU", "193.51.24.1": "FR", "2a01:cb00::1": "FR", "81.2.69.142": "GB",
          "212.27.48.10": "FR", "2001:4860:4860::8888": "US", "185.15.58.224": "NL"}
UNKNOWN = ["10.1.2.3", "192.0.2.1", "not an ip"]
GEO = ["src_country", "src_city", "src_latitude", "src_longitude"]


def _csv_from_mmdb(folder: Path, addresses: list[str]) -> None:
    """The GeoLite2 CSV layout (blocks + locations) for the networks holding `addresses`."""
    import maxminddb

    reader = maxminddb.open_database(str(CITY_MMDB))
    blocks: dict[int, list[list]] = {4: [], 6: []}
    places: dict[int, list] = {}
    for text in addresses:
        record, length = reader.get_with_prefix_len(text)
        if record is None:
            continue
        net = ipaddress.ip_network(f"{text}/{length}", strict=False)
        place = record.get("city") or record.get("country") or record.get("registered_country")
        country = (record.get("country") or record.get("registered_country") or {}).get("iso_code")
        places[place["geoname_id"]] = [place["geoname_id"], "en", country,
                                       ((record.get("city") or {}).get("names") or {}).get("en") or ""]
        location = record.get("location") or {}
        blocks[net.version].append([str(net), place["geoname_id"], "", location.get("latitude", ""),
                                    location.get("longitude", "")])
    reader.close()
    folder.mkdir(parents=True)
    for name, version in zip(CITY_FILES, (4, 6), strict=True):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["network", "geoname_id", "registered_country_geoname_id", "latitude", "longitude"])
            out.writerows(blocks[version])
    with open(folder / LOCATIONS_FILE, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["geoname_id", "locale_code", "country_iso_code", "city_name"])
        out.writerows(places.values())


def test_real_addresses_get_the_country_the_database_says(tmp_path: Path):
    folder = tmp_path / "mmdb"
    folder.mkdir()
    os.symlink(CITY_MMDB, folder / "GeoLite2-City.mmdb")
    ref = load_reference(folder)
    assert ref.sources["geo"] == "GeoLite2-City.mmdb"
    assert not [m for m in ref.missing if "City" in m or "Locations" in m]  # the .mmdb stands for them
    rows = {r["src_ip"]: r for r in ref.lookup([*PUBLIC, *UNKNOWN]).to_pylist()}
    assert {ip: rows[ip]["src_country"] for ip in PUBLIC} == PUBLIC
    assert rows["2001:4860:4860::8888"]["src_city"] == "Mountain View"
    assert all(rows[ip]["src_country"] is None for ip in UNKNOWN)


def test_mmdb_and_csv_layout_give_the_same_columns(tmp_path: Path):
    _csv_from_mmdb(tmp_path / "csv", list(PUBLIC))
    (tmp_path / "mmdb").mkdir()
    shutil.copy(CITY_MMDB, tmp_path / "mmdb" / "GeoLite2-City.mmdb")
    addresses = [*PUBLIC, *UNKNOWN, "::ffff:8.8.4.4"]
    from_csv = load_reference(tmp_path / "csv").lookup(addresses)
    from_mmdb = load_reference(tmp_path / "mmdb").lookup(addresses)
    assert from_csv.schema == from_mmdb.schema
    assert from_csv.select(["src_ip", "ip_version", "src_prefix", *GEO]).to_pylist() == \
        from_mmdb.select(["src_ip", "ip_version", "src_prefix", *GEO]).to_pylist()
    assert from_csv.column("src_country").to_pylist()[:len(PUBLIC)] == list(PUBLIC.values())


@pytest.mark.slow
def test_real_database_loads_fast_and_small(tmp_path: Path):
    """Opening the 2018 City database and looking up 100k addresses (the figures are in
    docs/performance.md, measured with `vigie bench --reference`)."""
    from devtools.bench import in_child, reference_load

    figures = in_child(reference_load, CITY_MMDB)
    print(figures)
    assert figures["load_seconds"] < 2 and figures["lookup_100k_seconds"] < 10
    assert figures["countries_found"] > 50_000
    started = time.perf_counter()
    load_reference(CITY_MMDB)
    assert time.perf_counter() - started < 2
