"""The hotline's hours are a setting (PORTAL_HOTLINE_HOURS) shown wherever the number is shown."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

SEVEN_BY_24 = "7×24 小时"


class Regions(HTMLParser):
    """The text of the page's <header>, <main> and <footer>."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.text = {"header": "", "main": "", "footer": ""}

    def handle_starttag(self, tag, attrs):
        if tag in self.text:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and tag == self.open[-1]:
            self.open.pop()

    def handle_data(self, data):
        for tag in self.open:
            self.text[tag] += data


def regions(response) -> dict[str, str]:
    parser = Regions()
    parser.feed(response.text)
    return {k: " ".join(v.split()) for k, v in parser.text.items()}


@pytest.fixture
def hours_client(env, monkeypatch, request):
    from starlette.testclient import TestClient

    from portal.app import create_app
    from portal.core.settings import reset_settings

    if request.param is not None:
        monkeypatch.setenv("PORTAL_HOTLINE_HOURS", request.param)
    reset_settings()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client
    reset_settings()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("hours_client", [SEVEN_BY_24], indirect=True)
def test_the_set_hours_stand_beside_the_number_on_every_page(hours_client):
    home = regions(hours_client.get("/"))
    assert f"监督电话 12349 {SEVEN_BY_24}" in home["header"]
    assert f"养老服务监督电话 12349（{SEVEN_BY_24}）" in home["footer"]
    assert "工作日 9:00–17:00" not in home["footer"]
    assert f"拨打监督电话 12349（{SEVEN_BY_24}）" in home["main"]
    missing = hours_client.get("/no-such-page")
    assert missing.status_code == 404
    assert f"请拨打监督电话 12349（{SEVEN_BY_24}）" in regions(missing)["main"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("hours_client", [None], indirect=True)
def test_by_default_the_hours_are_the_ones_the_footer_always_had(hours_client):
    home = regions(hours_client.get("/"))
    assert "12349（工作日 9:00–17:00，节假日值班）" in home["footer"]
    assert "工作日 9:00–17:00，节假日值班" in home["header"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("hours_client", [""], indirect=True)
def test_empty_hours_show_the_number_alone(hours_client):
    home = regions(hours_client.get("/"))
    assert "养老服务监督电话 12349 本平台" in home["footer"] and "（）" not in home["footer"]


def test_too_long_hours_stop_start_up_with_the_name(monkeypatch):
    from portal.core.settings import load_settings

    monkeypatch.setenv("PORTAL_HOTLINE_HOURS", "全" * 41)
    with pytest.raises(ValueError, match="PORTAL_HOTLINE_HOURS"):
        load_settings()
