"""Places of the simulated world: French departments with their main city, foreign hosting hubs.

Why fixed: departments and cities are reference facts, not random draws; the seed only decides
who lives and works where.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    geoname_id: int
    country_iso: str
    country_name: str
    continent: str
    region_iso: str
    region_name: str
    dept: str
    dept_name: str
    city: str
    lat: float
    lon: float
    tz: str = "Europe/Paris"


_FR = [
    ("75", "Paris", "IDF", "Île-de-France", "Paris", 48.8566, 2.3522),
    ("69", "Rhône", "ARA", "Auvergne-Rhône-Alpes", "Lyon", 45.7640, 4.8357),
    ("13", "Bouches-du-Rhône", "PAC", "Provence-Alpes-Côte d'Azur", "Marseille", 43.2965, 5.3698),
    ("38", "Isère", "ARA", "Auvergne-Rhône-Alpes", "Grenoble", 45.1885, 5.7245),
    ("59", "Nord", "HDF", "Hauts-de-France", "Lille", 50.6292, 3.0573),
    ("33", "Gironde", "NAQ", "Nouvelle-Aquitaine", "Bordeaux", 44.8378, -0.5792),
    ("31", "Haute-Garonne", "OCC", "Occitanie", "Toulouse", 43.6047, 1.4442),
    ("44", "Loire-Atlantique", "PDL", "Pays de la Loire", "Nantes", 47.2184, -1.5536),
    ("67", "Bas-Rhin", "GES", "Grand Est", "Strasbourg", 48.5734, 7.7521),
    ("34", "Hérault", "OCC", "Occitanie", "Montpellier", 43.6108, 3.8767),
    ("35", "Ille-et-Vilaine", "BRE", "Bretagne", "Rennes", 48.1173, -1.6778),
    ("06", "Alpes-Maritimes", "PAC", "Provence-Alpes-Côte d'Azur", "Nice", 43.7102, 7.2620),
    ("76", "Seine-Maritime", "NOR", "Normandie", "Rouen", 49.4432, 1.0999),
    ("63", "Puy-de-Dôme", "ARA", "Auvergne-Rhône-Alpes", "Clermont-Ferrand", 45.7772, 3.0870),
    ("21", "Côte-d'Or", "BFC", "Bourgogne-Franche-Comté", "Dijon", 47.3220, 5.0415),
    ("45", "Loiret", "CVL", "Centre-Val de Loire", "Orléans", 47.9029, 1.9093),
    ("93", "Seine-Saint-Denis", "IDF", "Île-de-France", "Bobigny", 48.9077, 2.4397),
    ("57", "Moselle", "GES", "Grand Est", "Metz", 49.1193, 6.1757),
    ("29", "Finistère", "BRE", "Bretagne", "Brest", 48.3904, -4.4861),
    ("87", "Haute-Vienne", "NAQ", "Nouvelle-Aquitaine", "Limoges", 45.8336, 1.2611),
]

FRENCH = [
    Place(3100001 + i, "FR", "France", "EU", reg, regname, dept, dname, city, lat, lon)
    for i, (dept, dname, reg, regname, city, lat, lon) in enumerate(_FR)
]

FOREIGN = {
    "NL": Place(3200001, "NL", "Netherlands", "EU", "NH", "North Holland", "", "", "Amsterdam",
                52.3676, 4.9041, "Europe/Amsterdam"),
    "DE": Place(3200002, "DE", "Germany", "EU", "HE", "Hesse", "", "", "Frankfurt am Main",
                50.1109, 8.6821, "Europe/Berlin"),
    "US": Place(3200003, "US", "United States", "NA", "VA", "Virginia", "", "", "Ashburn",
                39.0438, -77.4874, "America/New_York"),
    "SG": Place(3200004, "SG", "Singapore", "AS", "", "", "", "", "Singapore",
                1.3521, 103.8198, "Asia/Singapore"),
    "LT": Place(3200005, "LT", "Lithuania", "EU", "VL", "Vilnius", "", "", "Vilnius",
                54.6872, 25.2797, "Europe/Vilnius"),
}

COUNTRY_GEONAME = {"FR": 3017382, "NL": 2750405, "DE": 2921044, "US": 6252001, "SG": 1880251,
                   "LT": 597427}
EU = {"FR", "NL", "DE", "LT"}
CONTINENTS = {"EU": "Europe", "NA": "North America", "AS": "Asia"}
REGIONS = sorted({p.region_iso for p in FRENCH})
