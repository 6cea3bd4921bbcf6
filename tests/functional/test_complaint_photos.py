"""Photos with a complaint (issue 21): filed with the public form, stored re-encoded, seen only by
staff who handle the complaint; a refused photo never costs the complainant what they typed."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import select
from starlette.testclient import TestClient

from complaints.models import Complaint, ComplaintPhoto
from complaints.rules.intake import ComplaintInput
from complaints.rules.photos import MB, Photo
from complaints.services.filing import build_services
from complaints.services.photos import PhotoService
from complaints.tasks import delete_expired_photos
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.settings import get_settings, reset_settings

from factories import PASSWORD, department, district, institution, user
from factories.photos import GPS_IFD, MODEL, phone_jpeg
from support import csrf_token, login

DESCRIPTION = "护工推搡老人，老人手臂有淤青，照片是昨天下午探望时拍的"


def city(db):
    d = district(db)
    office = department(db, "civil_affairs", d)
    department(db, "civil_affairs")
    department(db, "public_security")
    inst = institution(db, district_=d, name="滨江和乐养老院")
    db.commit()
    return office, inst


def fields(inst, **extra):
    return {"institution_id": str(inst.id), "institution_q": inst.name, "category": "service_quality",
            "description": DESCRIPTION, "complainant_name": "李四",
            "complainant_phone": "13912345678", "action": "submit", **extra}


def post(client, inst, photos, *, token=None, **extra):
    token = token or csrf_token(client, "/complaints/new")
    return client.post("/complaints/new", data={"csrf_token": token, **fields(inst, **extra)},
                       files=[("photos", photo) for photo in photos], follow_redirects=False)


def jpeg(name="IMG_0001.jpg", **options):
    return (name, phone_jpeg(**options), "image/jpeg")


class Page(HTMLParser):
    """The form's fields as shown again, and the images of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.textareas: dict[str, str] = {}
        self.images: list[dict[str, str]] = []
        self.errors: list[str] = []
        self._in: tuple[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") not in ("checkbox", "radio", "file"):
            self.inputs[a.get("name", "")] = a.get("value", "")
        elif tag == "textarea":
            self._in = ("textarea", a.get("name", ""))
        elif tag == "img":
            self.images.append(a)
        elif tag == "p" and "field-error" in a.get("class", ""):
            self._in = ("error", a.get("id", ""))

    def handle_data(self, data):
        if self._in and self._in[0] == "textarea":
            self.textareas[self._in[1]] = self.textareas.get(self._in[1], "") + data
        elif self._in and self._in[0] == "error":
            self.errors.append(data)

    def handle_endtag(self, tag):
        if tag in ("textarea", "p"):
            self._in = None


def assert_text_kept(response):
    page = Page(response.text)
    assert page.textareas["description"] == DESCRIPTION
    assert page.inputs["complainant_phone"] == "13912345678"
    assert page.inputs["complainant_name"] == "李四"
    return page


def test_two_photos_are_filed_reencoded_and_shown_to_the_responsible_office(client, db):
    office, inst = city(db)
    response = post(client, inst, [jpeg(orientation=6), jpeg("IMG_0002.jpg", size=(3000, 1000))])
    assert response.status_code == 303, response.text[:2000]
    complaint = db.scalars(select(Complaint)).one()
    stored = db.scalars(select(ComplaintPhoto).order_by(ComplaintPhoto.position)).all()
    assert [(p.position, p.width, p.height) for p in stored] == [(1, 32, 64), (2, 2048, 683)]
    for photo in stored:
        image = Image.open(io.BytesIO(photo.data))
        assert image.format == "JPEG" and photo.size == len(photo.data)
        assert dict(image.getexif()) == {} and image.getexif().get_ifd(GPS_IFD) == {}
        assert MODEL.encode() not in photo.data and b"Exif" not in photo.data

    handler = user(db, Role.DEPARTMENT, department_id=office.id)
    db.commit()
    login(client, handler.username, PASSWORD)
    page = client.get(f"/staff/complaints/{complaint.id}")
    urls = [urlsplit(i["src"]).path for i in Page(page.text).images]
    assert urls == [f"/staff/complaints/{complaint.id}/photos/{n}.jpg" for n in (1, 2)]
    assert "投诉人上传的照片（2 张，仅工作人员可见）" in page.text
    for url, photo in zip(urls, stored, strict=True):
        got = client.get(url)
        assert got.status_code == 200
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["cache-control"] == "private, no-store"
        assert got.content == photo.data


def test_the_same_posting_sent_twice_files_its_photos_once(client, db):
    _, inst = city(db)
    token = csrf_token(client, "/complaints/new")
    nonce = Page(client.get("/complaints/new").text).inputs["form_nonce"]
    for _ in range(2):
        assert post(client, inst, [jpeg(), jpeg("b.jpg")], token=token,
                    form_nonce=nonce).status_code == 303
    assert len(db.scalars(select(Complaint)).all()) == 1
    assert len(db.scalars(select(ComplaintPhoto)).all()) == 2


def filed_with_photos(db, actor=None):
    """A complaint with two photos, filed through the service (as an operator when `actor`)."""
    office, inst = city(db)
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="phone" if actor else "web", category_code="elder_abuse", institution_id=inst.id,
        description=DESCRIPTION, complainant_phone="13912345678"), actor=actor)
    PhotoService(db).attach(complaint, [Photo(b"\xff\xd8jpeg-one", 10, 10),
                                        Photo(b"\xff\xd8jpeg-two", 10, 10)])
    db.commit()
    return complaint, office


def as_(client, account):
    client.cookies.clear()
    login(client, account.username, PASSWORD)


def test_who_may_see_a_complaints_photos(client, db):
    taker = user(db, Role.OPERATOR)
    complaint, office = filed_with_photos(db, actor=taker)
    co_office = next(h.department for h in complaint.co_handlings)  # public_security
    accounts = {
        "handler": (user(db, Role.DEPARTMENT, department_id=office.id), 200),
        "operator who took the call": (taker, 200),
        "supervisor": (user(db, Role.SUPERVISOR), 200),
        "admin": (user(db, Role.ADMIN), 200),
        "co-handling office": (user(db, Role.DEPARTMENT, department_id=co_office.id), 403),
        "unrelated office": (user(db, Role.DEPARTMENT, department_id=department(db).id), 404),
        "another operator": (user(db, Role.OPERATOR), 404),
        "institution": (user(db, Role.INSTITUTION, institution_id=complaint.institution_id), 403),
    }
    db.commit()
    url = f"/staff/complaints/{complaint.id}/photos/2.jpg"
    seen = {}
    for who, (account, _) in accounts.items():
        as_(client, account)
        response = client.get(url, follow_redirects=False)
        seen[who] = response.status_code
        assert (response.content == b"\xff\xd8jpeg-two") is (response.status_code == 200)
    assert seen == {who: status for who, (_, status) in accounts.items()}
    # The co-handling office opens the complaint, and is told the photos are not for it.
    as_(client, accounts["co-handling office"][0])
    page = client.get(f"/staff/complaints/{complaint.id}")
    assert page.status_code == 200 and not Page(page.text).images
    assert "照片仅承办部门、热线坐席和督办人员可查看" in page.text
    # A photo that is not there.
    as_(client, accounts["handler"][0])
    assert client.get(f"/staff/complaints/{complaint.id}/photos/3.jpg").status_code == 404


def test_the_public_tracking_page_and_the_apis_never_show_photos(client, db):
    _, inst = city(db)
    response = post(client, inst, [jpeg()])
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    url = f"/staff/complaints/{complaint.id}/photos/1.jpg"
    client.cookies.clear()
    anonymous = client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and "/accounts/login" in anonymous.headers["location"]
    tracked = client.get(response.headers["location"])
    assert tracked.status_code == 200 and "photos" not in tracked.text
    assert not Page(tracked.text).images
    # Open311, with no key and with the responsible office's key: no media_url.
    handler = user(db, Role.DEPARTMENT, department_id=complaint.responsible_department_id)
    key = AccountService(db).create_api_key(handler, "handler").secret
    db.commit()
    for params in ({}, {"api_key": key}):
        [body] = client.get(f"/open311/v2/requests/{complaint.tracking_no}.json",
                            params=params).json()
        assert body.get("media_url") is None and "photo" not in str(body)
    # The API's bearer key is not a session: the staff view answers it as a stranger.
    assert client.get(url, headers={"Authorization": f"Bearer {key}"},
                      follow_redirects=False).status_code == 303


def test_a_file_that_is_not_a_photo_gives_the_form_back_with_the_text(client, db):
    _, inst = city(db)
    response = post(client, inst, [jpeg(), ("合同.pdf", b"%PDF-1.4 not a photo", "application/pdf")])
    assert response.status_code == 400
    page = assert_text_kept(response)
    [message] = page.errors
    assert "文件“合同.pdf”不是可识别的照片" in message and "请重新选择" in message
    assert 'id="form-errors"' in response.text
    assert db.scalars(select(Complaint)).all() == [] and db.scalars(select(ComplaintPhoto)).all() == []


def test_more_than_three_photos_are_refused_with_every_other_problem_at_once(client, db):
    _, inst = city(db)
    response = post(client, inst, [jpeg(f"p{n}.jpg") for n in range(4)], category="")
    assert response.status_code == 400
    page = assert_text_kept(response)
    assert any("最多可上传 3 张照片，您选择了 4 张" in e for e in page.errors)
    assert "请选择问题类别" in response.text or "category" in response.text
    assert db.scalars(select(Complaint)).all() == []


def test_a_photo_over_the_size_limit_is_refused_naming_it(client, db, monkeypatch):
    _, inst = city(db)
    monkeypatch.setenv("PORTAL_PHOTO_MAX_MB", "1")
    reset_settings()
    big = ("DSC_1234.jpg", b"\xff\xd8" + os.urandom(MB + MB // 2), "image/jpeg")
    response = post(client, inst, [jpeg(), big])
    assert response.status_code == 400
    page = assert_text_kept(response)
    assert any("照片“DSC_1234.jpg”有 1.5 MB，每张照片不能超过 1 MB" in e for e in page.errors)
    assert "每张不超过 1 MB" in response.text  # the hint shows the setting
    assert db.scalars(select(Complaint)).all() == []


def test_a_form_with_a_valid_photo_and_a_text_problem_asks_for_the_photo_again(client, db):
    _, inst = city(db)
    response = post(client, inst, [jpeg(), jpeg("b.jpg")], description="")
    assert response.status_code == 400
    assert "网页无法保留已选择的 2 张照片，请在第 4 项重新选择照片后再提交" in response.text
    assert Page(response.text).inputs["complainant_phone"] == "13912345678"
    assert db.scalars(select(ComplaintPhoto)).all() == []


def test_a_body_over_the_upload_limit_is_cut_and_the_text_comes_back(env, db, monkeypatch):
    monkeypatch.setenv("PORTAL_PHOTO_MAX_MB", "1")
    monkeypatch.setenv("PORTAL_PHOTO_TOTAL_MB", "1")
    monkeypatch.setenv("PORTAL_IMPORT_MAX_MB", "1")  # the other upload form's limit, smaller
    reset_settings()  # the app below takes photos of 3 × 1 MB: a body of 3 + 2 MB
    from portal.app import create_app

    _, inst = city(db)
    huge = ("VID_0001.jpg", os.urandom(7 * MB), "image/jpeg")
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        response = post(client, inst, [huge])
        assert response.status_code == 400
        page = assert_text_kept(response)
        assert any("所选照片合计太大" in e for e in page.errors)
        # Far beyond it (over 4 × the limit): refused outright, as any body too large.
        beyond = post(client, inst, [("x.jpg", os.urandom(21 * MB), "image/jpeg")])
        assert beyond.status_code == 413
    assert db.scalars(select(Complaint)).all() == []


def test_an_expired_form_with_photos_comes_back_asking_for_them_again(client, db):
    _, inst = city(db)
    csrf_token(client, "/complaints/new")
    response = post(client, inst, [jpeg()], token="stale-token-from-yesterday")
    assert response.status_code == 403
    assert_text_kept(response)
    assert "请再次点击提交" in response.text
    assert "网页无法保留已选择的 1 张照片" in response.text
    assert db.scalars(select(Complaint)).all() == []


def test_photos_are_deleted_after_the_retention_period_with_an_audit_record(db, env):
    complaint, _ = filed_with_photos(db)
    recent, _ = filed_with_photos(db)
    still_open, _ = filed_with_photos(db)
    now = utcnow()
    days = get_settings().photo_retention_days
    complaint.status, complaint.closed_at = "closed", now - timedelta(days=days + 1)
    recent.status, recent.closed_at = "closed", now - timedelta(days=days - 1)
    still_open.received_at = now - timedelta(days=days * 2)
    db.commit()
    assert delete_expired_photos() == 2
    db.expire_all()
    left = {p.complaint_id for p in db.scalars(select(ComplaintPhoto))}
    assert left == {recent.id, still_open.id}
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "delete_expired_photos"))
    assert event.detail["complaint_ids"] == [complaint.id] and event.detail["photos"] == 2
    assert delete_expired_photos() == 0  # idempotent
