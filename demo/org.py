"""The demo city's organisation as the generators see it: districts with their streets, and
the offices by type and place (demo/seed.py creates them, demo/institutions.py uses them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoDistrict:
    id: int
    name: str
    code: str
    streets: tuple[tuple[int, str], ...]
    centroids: tuple[tuple[float, float], ...] = ()  # each street's, in the same order (geo.py)


@dataclass
class DemoOrg:
    districts: list[DemoDistrict]
    # (type_code, district_id or None) -> department id (city and district offices)
    offices: dict[tuple[str, int | None], int]
    # (type_code, street_id) -> the street/town office's id
    street_offices: dict[tuple[str, int], int] = field(default_factory=dict)
