"""The 200-home demo city (seed 0) both demo modules read, seeded once per session (8-17 s each
time on two shared cores); each module reads its own copy of the file."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from demo.seed import SeedSummary, seed_demo
from portal.core.db import dispose_engines
from portal.core.settings import reset_settings

TODAY = date(2026, 11, 25)


@dataclass(frozen=True)
class DemoCity:
    path: Path
    today: date
    summary: SeedSummary
    lines: list[str]

    def copy(self, folder: Path) -> str:
        """A private copy of the seeded file; its URL."""
        target = folder / "demo.sqlite3"
        shutil.copy(self.path, target)
        return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def demo_city(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoCity:
    """Seeded under the default city name (what both modules' settings give; the seed reads
    no other setting but the time zone)."""
    folder = tmp_path_factory.mktemp("demo-city")
    path = folder / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTAL_VAR_DIR", str(folder / "var"))
        mp.delenv("PORTAL_CITY_NAME", raising=False)
        reset_settings()
        summary = seed_demo(f"sqlite:///{path}", institutions=200, seed=0, today=TODAY,
                            progress=lines.append)
    reset_settings()
    dispose_engines()  # closes the file (and folds its WAL in) before anyone copies it
    return DemoCity(path, TODAY, summary, lines)
