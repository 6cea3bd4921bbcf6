"""Distances for "near me" (issue 21): the displayed distance, the ranking the directory sorts by,
coordinate ranges and the GCJ-02 datum of Chinese map tiles.

Coordinates are stored as WGS-84 degrees (what a browser's geolocation and GPS give). Chinese map
tiles (AMap, Tencent, Baidu before its own shift) draw in GCJ-02, offset from WGS-84 by up to
≈ 700 m inside China; a point is converted only to draw it on such tiles, and a point picked on
them is converted back before it is stored (`to_gcj02`, `from_gcj02`).

The directory ranks by `ranking_key`, the squared equirectangular distance in degrees of latitude
with longitude scaled by cos(origin latitude): an ORDER BY expression of + - * alone, so SQLite
(no trigonometry without its math extension) and PostgreSQL both sort and page in the database.
Error bound (checked by tests/unit/institutions/test_geo.py on sample points): within 100 km of
the origin and between 60° S and 60° N the ranked distance is within 1 % of the great-circle
(haversine) distance, so two institutions can trade places only when their distances differ by
less than 1 % (≤ 300 m at 30 km); the distance shown is always the haversine one. Longitudes are
not wrapped at ±180°: no Chinese city straddles the antimeridian.

Pure: no database, no request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
LAT_RANGE = (-90.0, 90.0)
LNG_RANGE = (-180.0, 180.0)
# Where a browser's point is rounded before it goes into a URL (history, proxies): 0.001° is
# ≈ 110 m, enough to rank homes across a city without recording where a person stands.
SHARED_DECIMALS = 3
DATUMS = {"wgs84": "WGS-84（GPS、天地图）", "gcj02": "GCJ-02（高德、腾讯等国内地图）"}


@dataclass(frozen=True)
class Point:
    """A WGS-84 position in degrees."""

    lat: float
    lng: float

    def __post_init__(self) -> None:
        if not (LAT_RANGE[0] <= self.lat <= LAT_RANGE[1]):
            raise ValueError(f"latitude out of range: {self.lat}")
        if not (LNG_RANGE[0] <= self.lng <= LNG_RANGE[1]):
            raise ValueError(f"longitude out of range: {self.lng}")


def point_or_none(lat: float | None, lng: float | None) -> Point | None:
    """A stored pair as a Point; None when either half is missing."""
    return None if lat is None or lng is None else Point(lat, lng)


def haversine_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlmb = phi2 - phi1, math.radians(b.lng - a.lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def longitude_scale(origin: Point) -> float:
    """cos(origin latitude): what a degree of longitude is worth in degrees of latitude there
    (bound into the SQL expression, so the database needs no cosine)."""
    return math.cos(math.radians(origin.lat))


def ranking_key(origin: Point, lat: float, lng: float) -> float:
    """The value the directory's ORDER BY computes for a row (same arithmetic): the squared
    equirectangular distance in degrees²; monotonic in distance up to the bound above."""
    dy, dx = lat - origin.lat, (lng - origin.lng) * longitude_scale(origin)
    return dy * dy + dx * dx


def ranked_km(origin: Point, lat: float, lng: float) -> float:
    """The equirectangular distance the ranking implies, in km (for the error-bound tests)."""
    return math.sqrt(ranking_key(origin, lat, lng)) * math.radians(1) * EARTH_RADIUS_KM


def distance_label(km: float) -> str:
    """How a result shows its distance: 约 2.3 公里; 约 12 公里 from 10 km; 不足 0.1 公里."""
    if km < 0.05:
        return "不足 0.1 公里"
    if km < 10:
        return f"约 {km:.1f} 公里"
    return f"约 {round(km)} 公里"


def rounded(value: float) -> float:
    """A browser's coordinate as it is shared (SHARED_DECIMALS)."""
    return round(value, SHARED_DECIMALS)


# --- GCJ-02 (the published algorithm of the Chinese map datum; krasovsky 1940 ellipsoid) ------

_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _offset(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3)
    rad = math.radians(lat)
    magic = 1 - _EE * math.sin(rad) ** 2
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    dlng = (dlng * 180.0) / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return dlat, dlng


def to_gcj02(p: Point) -> Point:
    """A WGS-84 point as GCJ-02 tiles draw it (unchanged outside China)."""
    if _outside_china(p.lat, p.lng):
        return p
    dlat, dlng = _offset(p.lat, p.lng)
    return Point(p.lat + dlat, p.lng + dlng)


def from_gcj02(p: Point) -> Point:
    """A point picked on GCJ-02 tiles, back in WGS-84 (iterated to well under a metre)."""
    guess = p
    for _ in range(10):
        there = to_gcj02(guess)
        dlat, dlng = there.lat - p.lat, there.lng - p.lng
        guess = Point(guess.lat - dlat, guess.lng - dlng)
        if abs(dlat) < 1e-9 and abs(dlng) < 1e-9:
            break
    return guess


def in_datum(p: Point, datum: str) -> Point:
    """A stored (WGS-84) point in the tiles' datum."""
    return to_gcj02(p) if datum == "gcj02" else p


def from_datum(p: Point, datum: str) -> Point:
    """A point in the tiles' datum, as stored (WGS-84)."""
    return from_gcj02(p) if datum == "gcj02" else p
