"""The client address: X-Forwarded-For only from configured proxies (issue 18, item 2)."""

from __future__ import annotations

import pytest

from portal.cli import proxy_options
from portal.settings import load_settings


def test_no_proxy_is_trusted_unless_configured(monkeypatch):
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable is not obeyed
    settings = load_settings()
    assert settings.trusted_proxies == ()
    assert proxy_options(settings) == {"proxy_headers": False, "forwarded_allow_ips": ""}


def test_configured_proxies_are_passed_to_uvicorn(monkeypatch):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    settings = load_settings()
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert proxy_options(settings) == {"proxy_headers": True,
                                       "forwarded_allow_ips": "127.0.0.1,10.0.0.0/8,::1"}


@pytest.mark.parametrize("bad", ["*", "proxy.example.org", "10.0.0.0/33"])
def test_a_bad_proxy_address_stops_start_up_with_the_name(monkeypatch, bad):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", bad)
    with pytest.raises(ValueError, match="PORTAL_TRUSTED_PROXIES"):
        load_settings()
