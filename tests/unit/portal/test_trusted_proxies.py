"""The client address: X-Forwarded-For only from configured proxies (issue 18, item 2), and the
web server's command line, the same everywhere (deploy/systemd/portal-web.service)."""

from __future__ import annotations

import re
import shlex
import sys

import pytest

from portal.devstack import web_command
from portal.settings import PROJECT_ROOT, load_settings


def test_no_proxy_is_trusted_unless_configured(monkeypatch):
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable is not obeyed
    settings = load_settings()
    assert settings.trusted_proxies == ()
    command = web_command({"FORWARDED_ALLOW_IPS": "*"})
    # Given explicitly and empty: uvicorn's default (127.0.0.1, or its variable) never applies.
    assert [a for a in command if a.startswith("--forwarded-allow-ips")] == [
        "--forwarded-allow-ips="]


def test_configured_proxies_are_passed_to_uvicorn(monkeypatch):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    settings = load_settings()
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    command = web_command({"PORTAL_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert "--proxy-headers" in command
    assert "--forwarded-allow-ips=127.0.0.1, 10.0.0.0/8,::1" in command


@pytest.mark.parametrize("bad", ["*", "proxy.example.org", "10.0.0.0/33"])
def test_a_bad_proxy_address_stops_start_up_with_the_name(monkeypatch, bad):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", bad)
    with pytest.raises(ValueError, match="PORTAL_TRUSTED_PROXIES"):
        load_settings()


def test_the_systemd_unit_runs_the_same_command_line():
    """portal dev, the tests and the benchmark start the web server with web_command: the
    production unit's ExecStart is that command (its ${VARIABLES} from the environment file)."""
    unit = (PROJECT_ROOT / "deploy" / "systemd" / "portal-web.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    env = {"PORTAL_TRUSTED_PROXIES": "127.0.0.1"}
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line.removeprefix("ExecStart="))
    argv = [a.replace("/opt/portal", str(PROJECT_ROOT)) for a in shlex.split(line)]
    assert argv[0] == f"{PROJECT_ROOT}/.venv/bin/uvicorn"
    command = web_command(env, "127.0.0.1", 8000)
    assert command[:3] == [sys.executable, "-m", "uvicorn"]
    assert argv[1:] == command[3:]
