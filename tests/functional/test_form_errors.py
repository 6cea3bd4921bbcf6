"""A public form with mistakes (issue 21 item 11): one summary at the top of the form, focused,
each problem linked to its field; only the problems of fields the user chose to fill; every
typed field kept, the phone included."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from factories import department, district, institution
from factories.opendays import scheduled_open_day
from support import csrf_token

PHONE = "13912345678"


class Page(HTMLParser):
    """The error summary's links, and every element id of the page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.summary: dict[str, str] | None = None
        self.links: list[str] = []
        self._in_summary = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if attrs.get("id") == "form-errors":
            self.summary = {k: v or "" for k, v in attrs.items()}
            self._in_summary = 1
        elif self._in_summary:
            self._in_summary += tag not in ("input", "br", "img")
            if tag == "a":
                self.links.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if self._in_summary:
            self._in_summary -= 1


def summary_of(html: str) -> Page:
    page = Page(html)
    assert page.summary is not None, "no error summary"
    assert page.summary["role"] == "alert" and page.summary["tabindex"] == "-1"
    assert "autofocus" in page.summary
    assert "form-errors.js" in html  # focuses it where autofocus is not honoured
    for href in page.links:  # every link names a field of the page
        assert href.startswith("#") and href[1:] in page.ids, href
    return page


def first_form_child(html: str, action: str) -> str:
    """The markup right after the form's opening tag (the summary sits at its top)."""
    tag = re.search(rf'<form[^>]*action="[^"]*{re.escape(action)}"[^>]*>', html)
    assert tag, action
    return html[tag.end():][:200]


def complaint_city(db):
    d = district(db, name="东城区")
    department(db, "civil_affairs")
    department(db, "civil_affairs", d)
    institution(db, district_=d, name="东城幸福颐养院")
    db.commit()


def post_complaint(client, **fields):
    data = {"csrf_token": csrf_token(client, "/complaints/new"), "action": "submit", **fields}
    return client.post("/complaints/new", data=data, follow_redirects=False)


def test_the_empty_complaint_form_names_no_unregistered_place_fields(client, db):
    complaint_city(db)
    page = post_complaint(client, complainant_phone=PHONE)
    assert page.status_code == 400
    summary = summary_of(page.text)
    assert summary.links == ["#f-institution", "#f-category", "#f-description"]
    assert "未登记场所" not in page.text.split('id="form-errors"')[1].split("</div>")[0]
    assert 'id="form-errors"' in first_form_child(page.text, "/complaints/new")
    assert f'value="{PHONE}"' in page.text


def test_the_unregistered_place_names_its_fields_when_chosen(client, db):
    complaint_city(db)
    page = post_complaint(client, unregistered="1", category="service_quality",
                          description="无证经营的托老所，老人住在地下室里。")
    assert page.status_code == 400
    summary = summary_of(page.text)
    assert summary.links == ["#f-place_name", "#f-place_address", "#f-district"]
    assert "未登记场所请填写场所名称" in page.text
    assert re.search(r'<details class="unregistered" open', page.text)


def test_the_open_day_form_keeps_the_phone_and_sums_up_at_its_top(client, db):
    event = scheduled_open_day(db)
    token = csrf_token(client, f"/opendays/{event.id}")
    page = client.post(f"/opendays/{event.id}/signup", follow_redirects=False,
                       data={"csrf_token": token, "phone": PHONE, "party_size": "3"})
    assert page.status_code == 400
    summary = summary_of(page.text)
    assert summary.links == ["#f-name", "#f-identity"]
    assert 'id="form-errors"' in first_form_child(page.text, f"/opendays/{event.id}/signup")
    assert f'value="{PHONE}"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_review_form_sums_up_its_problems_with_links(client, db):
    inst = institution(db)
    db.commit()
    token = csrf_token(client, f"/reviews/new/{inst.id}")
    page = client.post(f"/reviews/new/{inst.id}", follow_redirects=False,
                       data={"csrf_token": token, "text": "太短", "phone": PHONE})
    assert page.status_code == 400
    summary = summary_of(page.text)
    assert "#f-text" in summary.links and "#f-rating_attitude" in summary.links
    assert f'value="{PHONE}"' in page.text


def test_a_page_without_mistakes_has_no_summary_nor_its_script(client, db):
    complaint_city(db)
    page = client.get("/complaints/new")
    assert 'id="form-errors"' not in page.text and "form-errors.js" not in page.text
