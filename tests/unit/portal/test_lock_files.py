"""The hashed lock files (requirements/*.txt, written by scripts/lock.sh) keep up with
pyproject.toml: every declared dependency is pinned there, at a version its specifier allows, with
hashes. A dependency added to pyproject.toml without running scripts/lock.sh fails here (and
scripts/setup.sh, which installs only the lock, would leave it out)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", re.M)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {canonicalize_name(n): v for n, v in PIN.findall(text)}


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(line) for line in lines]


def unlocked(lock: dict[str, str], requirements: list[Requirement]) -> list[str]:
    problems = []
    for req in requirements:
        version = lock.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in the lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: locked {version} outside {req.specifier}")
    return problems


@pytest.mark.parametrize(("lock", "extra"), [("runtime.txt", None), ("test.txt", "test")])
def test_every_declared_dependency_is_locked_within_its_specifier(lock: str, extra: str | None):
    assert unlocked(pins(lock), declared(extra)) == []


def test_the_check_sees_a_missing_and_a_disallowed_pin():
    reqs = [Requirement("redis>=5,<8.2"), Requirement("nonesuch>=1")]
    assert unlocked({"redis": "8.2.0"}, reqs) == [
        "redis: locked 8.2.0 outside <8.2,>=5",
        "nonesuch: not in the lock",
    ]


def test_the_test_lock_pins_the_runtime_packages_at_the_runtime_versions():
    runtime, test = pins("runtime.txt"), pins("test.txt")
    assert runtime
    assert {name: test.get(name) for name in runtime} == runtime


def test_every_pin_carries_a_hash():
    for name in ("runtime.txt", "test.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert entries
        for entry in entries:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]
