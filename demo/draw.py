"""Drawing the demo's random values: prices, dates, people and phones, and the row shapes the
generators fill (demo/institutions.py and the modules beside it)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from demo import names

Row = dict[str, Any]


@dataclass
class Bundle:
    """One institution row and its child rows, before the institution has an id."""

    institution: Row
    children: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        self.children.setdefault(table, []).append(row)


def digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def landline(rng: random.Random) -> str:
    return f"{names.CITY_AREA_CODE}-8{digits(rng, 7)}"


def phone_number(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return landline(rng)
    return f"1{rng.choice('3578')}{digits(rng, 9)}"


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(names.SURNAMES) + given


def draw_price(rng: random.Random, low: int, high: int) -> Decimal:
    """A price as institutions set them: mostly round tens, sometimes ending in .50."""
    value = rng.randint(low // 10, high // 10) * 10
    if rng.random() < 0.1:
        value -= 0.5
    return Decimal(f"{value:.2f}")


def days_ago(rng: random.Random, today: date, low: int, high: int) -> date:
    return today - timedelta(days=rng.randint(low, high))


def add_years(d: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
