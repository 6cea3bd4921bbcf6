"""Pages every visitor sees: home, errors, security headers, health check, large text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from factories import institution
from support import csrf_token


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    return parser


def test_home_page_is_chinese_with_the_hotline(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text
    assert "监督电话" in response.text and "12349" in response.text


def test_pages_carry_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_no_inline_scripts_or_styles(client, db):
    inst = institution(db)
    db.commit()
    for path in ["/", "/institutions/", f"/institutions/{inst.id}", "/accounts/login", "/nope"]:
        tags = parse(client.get(path).text).tags
        for tag, attrs in tags:
            assert "style" not in attrs, (path, tag)
            assert not any(a.startswith("on") for a in attrs), (path, tag)
            if tag == "script":
                assert attrs.get("src"), f"inline script on {path}"


def test_unknown_page_gets_a_friendly_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert "Traceback" not in response.text


def test_unknown_institution_is_404(client):
    assert client.get("/institutions/999999").status_code == 404


def test_large_text_toggle_is_remembered_without_javascript(client):
    token = csrf_token(client)
    response = client.post(
        "/prefs/text-size",
        data={"csrf_token": token, "large": "1", "next": "/institutions/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/institutions/"
    page = client.get("/")
    assert '<html lang="zh-CN" class="large-text">' in page.text


def test_large_text_toggle_refuses_offsite_redirects(client):
    token = csrf_token(client)
    response = client.post(
        "/prefs/text-size",
        data={"csrf_token": token, "large": "1", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_high_contrast_toggle_is_remembered_beside_large_text_without_javascript(client):
    token = csrf_token(client)
    for path, field in [("/prefs/text-size", "large"), ("/prefs/contrast", "high")]:
        response = client.post(path, data={"csrf_token": token, field: "1", "next": "/search"},
                               follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/search"
    page = client.get("/")
    assert '<html lang="zh-CN" class="large-text high-contrast">' in page.text
    assert 'id="contrast-toggle" aria-pressed="true"' in page.text
    client.post("/prefs/contrast", data={"csrf_token": token, "high": "0", "next": "/"})
    page = client.get("/")
    assert '<html lang="zh-CN" class="large-text">' in page.text
    assert 'id="contrast-toggle" aria-pressed="false"' in page.text


def test_high_contrast_toggle_posted_by_htmx_reloads_the_whole_page(client):
    token = csrf_token(client)
    response = client.post("/prefs/contrast", data={"csrf_token": token, "high": "1",
                                                    "next": "//evil.example/"},
                           headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"
    assert "portal_high_contrast=1" in response.headers["set-cookie"]


def test_the_read_aloud_buttons_are_hidden_until_the_browser_shows_it_can_speak(client):
    page = client.get("/")
    assert '<div class="read-aloud" id="read-aloud" hidden>' in page.text
    assert "/static/read-aloud.js" in page.text
    assert client.get("/static/read-aloud.js").status_code == 200
    assert client.get("/static/css/elder.css").status_code == 200


def test_healthz_reports_database_and_redis(client):
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["redis"] == "ok"
    assert "workers" in body


def test_directory_lists_and_filters(client, db):
    a = institution(db, name="幸福里颐养院")
    institution(db, name="康乐老年公寓")
    db.commit()
    page = client.get("/institutions/", params={"q": "幸福"})
    assert "幸福里颐养院" in page.text and "康乐老年公寓" not in page.text
    fragment = client.get(
        "/institutions/", params={"district": a.district_id}, headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<section id="results"')


def test_a_reading_aid_pressed_after_the_form_cookie_went_asks_again_kindly(client):
    """The tab stood open overnight (the form cookie ended with the browser): not the bare
    refusal, but a page that says to press again, whose header's button then works."""
    token = csrf_token(client)
    client.cookies.clear()
    stale = client.post("/prefs/text-size", data={"csrf_token": token, "large": "1",
                                                  "next": "/institutions/"},
                        follow_redirects=False)
    assert stale.status_code == 403 and 'id="aid-again"' in stale.text
    assert "请再按一次“大字模式”" in stale.text and 'href="/institutions/"' in stale.text
    assert "portal_large_text" not in stale.headers.get("set-cookie", "")
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', stale.text).group(1)
    again = client.post("/prefs/text-size", data={"csrf_token": fresh, "large": "1",
                                                  "next": "/institutions/"},
                        follow_redirects=False)
    assert again.status_code == 303 and "portal_large_text=1" in again.headers["set-cookie"]
    other = client.post("/prefs/contrast", data={"csrf_token": "stale", "high": "1"},
                        follow_redirects=False)
    assert other.status_code == 403 and "请再按一次“高对比度”" in other.text
