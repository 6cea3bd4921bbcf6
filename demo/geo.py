"""Plausible, deterministic WGS-84 coordinates for the demo city (issue 21): each district's
centre placed by its name's direction around a city centre, its streets on a ring around it,
each institution near its street's centroid. Independent of the seed's random stream (each
point has its own seeded generator), so adding coordinates changed no other demo value.
"""

from __future__ import annotations

import math
import random

# A mid-China river city's latitude: the demo city is fictional, its scale is a real city's.
CITY_CENTRE = (30.593, 114.305)
KM_PER_DEGREE = 111.195  # of latitude (mean Earth radius)

# Each district's centre from the city centre (east km, north km): the names say where.
DISTRICT_OFFSETS_KM = {
    "330102": (5.0, 1.0),     # 东城区
    "330103": (-5.5, 0.5),    # 西城区
    "330104": (0.5, -6.0),    # 南湖区
    "330105": (-0.5, 6.5),    # 北山区
    "330106": (8.0, -7.0),    # 滨江区
    "330107": (-8.0, 7.0),    # 长宁区
    "330122": (-30.0, -28.0),  # 重阳县
    "330127": (34.0, 26.0),   # 康乐县
}
URBAN_RING_KM, COUNTY_RING_KM = 2.5, 9.0  # streets around their district's centre
URBAN_SPREAD_KM, COUNTY_SPREAD_KM = 1.2, 4.0  # institutions around their street's centroid


def _moved(origin: tuple[float, float], east_km: float, north_km: float) -> tuple[float, float]:
    lat = origin[0] + north_km / KM_PER_DEGREE
    lng = origin[1] + east_km / (KM_PER_DEGREE * math.cos(math.radians(origin[0])))
    return round(lat, 6), round(lng, 6)


def _county(code: str) -> bool:
    return code in ("330122", "330127")


def district_centre(code: str, index: int) -> tuple[float, float]:
    """A district's centre; one not in the table sits on a 10 km ring by its index."""
    east, north = DISTRICT_OFFSETS_KM.get(
        code, (10 * math.cos(index * 0.9), 10 * math.sin(index * 0.9)))
    return _moved(CITY_CENTRE, east, north)


def street_centroids(code: str, index: int, count: int) -> list[tuple[float, float]]:
    """The centroids of a district's `count` streets, on a ring around its centre."""
    centre = district_centre(code, index)
    ring = COUNTY_RING_KM if _county(code) else URBAN_RING_KM
    points = []
    for k in range(count):
        rng = random.Random(f"street-{code}-{k}")
        angle = 2 * math.pi * k / max(count, 1) + rng.uniform(-0.3, 0.3)
        radius = ring * (0.3 if k == 0 else rng.uniform(0.7, 1.3))  # the first street: the centre
        points.append(_moved(centre, radius * math.cos(angle), radius * math.sin(angle)))
    return points


def institution_point(i: int, centroid: tuple[float, float], code: str) -> tuple[float, float]:
    """Institution `i` near its street's centroid."""
    rng = random.Random(f"institution-{i}")
    spread = COUNTY_SPREAD_KM if _county(code) else URBAN_SPREAD_KM
    angle, radius = rng.uniform(0, 2 * math.pi), spread * math.sqrt(rng.random())
    return _moved(centroid, radius * math.cos(angle), radius * math.sin(angle))
