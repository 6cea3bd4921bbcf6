"""The demo data generators live in the source checkout (demo/), not in the runtime packages a
wheel carries (issue 19); `portal seed-demo` finds them there, and says so in one line when the
portal was installed without them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

from portal import cli

ROOT = Path(__file__).resolve().parents[3]


def test_the_installed_packages_carry_no_demo_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=str(ROOT), include=include)
    assert {"portal", "portal.institutions", "complaints", "search"} <= set(packages)
    assert not [p for p in packages if "demo" in p.split(".")]
    assert (ROOT / "demo" / "seed.py").is_file()


def test_portal_finds_the_demo_in_its_checkout_from_any_directory(tmp_path):
    """As the console script runs: the checkout is not on the path until the command needs it."""
    found = subprocess.run(
        [sys.executable, "-c", "import sys\n"
         "assert not any(p.endswith('/demo') for p in sys.path)\n"
         "from portal.cli import _demo\nprint(_demo('seed').__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert Path(found.stdout.strip()) == ROOT / "demo" / "seed.py"


def test_without_the_checkout_seed_demo_ends_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "PROJECT_ROOT", tmp_path)  # an installed wheel: site-packages
    with pytest.raises(SystemExit) as ended:
        cli.main(["seed-demo", "--institutions", "3"])
    message = str(ended.value.code)
    assert "\n" not in message and "demo/" in message and "source checkout" in message
