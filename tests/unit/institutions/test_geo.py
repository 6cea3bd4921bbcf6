"""Near me's distance rules (portal/institutions/rules/geo.py): the haversine distance shown,
the equirectangular key the directory sorts by in SQL against it, the label, GCJ-02."""

from __future__ import annotations

import math
import random
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.institutions.rules.geo import (
    Point,
    distance_label,
    from_gcj02,
    haversine_km,
    longitude_scale,
    ranked_km,
    ranking_key,
    to_gcj02,
)

TIANANMEN = Point(39.9087, 116.3975)


@pytest.mark.parametrize(("a", "b", "km"), [
    # One degree of latitude anywhere, and of longitude on the equator: R·π/180.
    (Point(0, 0), Point(1, 0), 111.195),
    (Point(0, 0), Point(0, 1), 111.195),
    # At 60° a degree of longitude is half as long (slightly more along the great circle).
    (Point(60, 0), Point(60, 1), 55.60),
    # Beijing (Tiananmen) to Shanghai (People's Square): ≈ 1,068 km on the mean sphere.
    (TIANANMEN, Point(31.2304, 121.4737), 1068.0),
    (TIANANMEN, TIANANMEN, 0.0),
    (Point(0, 0), Point(0, 180), math.pi * 6371.0088),  # half the circumference
])
def test_haversine_distance_of_known_pairs(a, b, km):
    assert haversine_km(a, b) == pytest.approx(km, abs=1.0)
    assert haversine_km(b, a) == pytest.approx(haversine_km(a, b))


@pytest.mark.parametrize(("km", "label"), [
    (0.0, "不足 0.1 公里"), (0.049, "不足 0.1 公里"), (0.05, "约 0.1 公里"), (2.34, "约 2.3 公里"),
    (9.94, "约 9.9 公里"), (10.0, "约 10 公里"), (123.6, "约 124 公里"),
])
def test_distance_label(km, label):
    assert distance_label(km) == label


@pytest.mark.parametrize(("lat", "lng"), [(90.1, 0), (-90.1, 0), (0, 180.5), (0, -181)])
def test_a_point_out_of_range_is_refused(lat, lng):
    with pytest.raises(ValueError):
        Point(lat, lng)


def _sample(origin: Point, n: int, radius_km: float, seed: int) -> list[Point]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        bearing, d = rng.uniform(0, 2 * math.pi), radius_km * math.sqrt(rng.random())
        north, east = d * math.cos(bearing), d * math.sin(bearing)
        out.append(Point(origin.lat + north / 111.195,
                         origin.lng + east / (111.195 * math.cos(math.radians(origin.lat)))))
    return out


ORIGINS = [Point(20.0, 110.3), TIANANMEN, Point(45.8, 126.6), Point(59.9, 30.3), Point(-33.9, 151.2)]


@pytest.mark.parametrize("origin", ORIGINS)
def test_ranked_distance_is_within_one_percent_of_haversine_within_100_km(origin):
    for p in _sample(origin, 400, 100, seed=int(origin.lat * 100)):
        true = haversine_km(origin, p)
        assert abs(ranked_km(origin, p.lat, p.lng) - true) <= 0.01 * true + 1e-9


@pytest.mark.parametrize("origin", ORIGINS)
def test_ranking_orders_as_haversine_except_within_the_error_bound(origin):
    points = _sample(origin, 120, 60, seed=7)
    swapped = 0
    for a, b in combinations(points, 2):
        da, db = haversine_km(origin, a), haversine_km(origin, b)
        ka, kb = ranking_key(origin, a.lat, a.lng), ranking_key(origin, b.lat, b.lng)
        if (da < db) != (ka < kb):
            swapped += 1
            assert abs(da - db) <= 0.01 * max(da, db)  # only near-ties may swap
    assert swapped < len(points)  # and those are rare


def test_the_bound_can_fail_far_away_and_at_high_latitude():
    # A control: the check above is not vacuous. 1,000 km north of 60° N the key is > 1 % off.
    origin, far = Point(60, 10), Point(69, 40)
    assert abs(ranked_km(origin, far.lat, far.lng) - haversine_km(origin, far)) \
        > 0.01 * haversine_km(origin, far)


def test_longitude_scale_is_cosine_of_origin_latitude():
    assert longitude_scale(Point(60, 0)) == pytest.approx(0.5)
    assert ranking_key(Point(60, 0), 60, 2) == pytest.approx(1.0)


def test_gcj02_moves_a_chinese_point_by_a_few_hundred_metres_and_back():
    moved = to_gcj02(TIANANMEN)
    # The published offset at Tiananmen: ≈ +0.0014° latitude, +0.0062° longitude (≈ 560 m).
    assert moved.lat - TIANANMEN.lat == pytest.approx(0.0014, abs=0.0003)
    assert moved.lng - TIANANMEN.lng == pytest.approx(0.0062, abs=0.0003)
    back = from_gcj02(moved)
    assert haversine_km(back, TIANANMEN) < 0.001  # under a metre


def test_gcj02_leaves_points_outside_china_alone():
    sydney = Point(-33.9, 151.2)
    assert to_gcj02(sydney) == sydney and from_gcj02(sydney) == sydney


@given(st.floats(18, 53), st.floats(74, 134))
def test_gcj02_round_trip_is_under_a_metre_anywhere_in_china(lat, lng):
    p = Point(lat, lng)
    assert haversine_km(from_gcj02(to_gcj02(p)), p) < 0.001
