"""Domain errors are answered in one place (portal.app: domain_error), with their own status and
Chinese message, as a page, an htmx fragment or API JSON alike."""

from __future__ import annotations

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.app import DOMAIN_ERRORS, create_app, domain_error
from portal.backoffice.workflow import AlreadyDecided, DraftNotFound
from portal.institutions.records import RecordNotFound
from portal.opendays.errors import OpenDayNotFound, SignupRefused
from portal.opendays.months import MonthOutOfRange
from portal.reviews.services import ReviewNotFound

CASES = [
    (OpenDayNotFound("没有这个开放日"), 404, "没有这个开放日"),
    (SignupRefused("报名已截止"), 409, "报名已截止"),
    (MonthOutOfRange(), 400, MonthOutOfRange.message),
    (ReviewNotFound("没有这条评价"), 404, "没有这条评价"),
    (DraftNotFound("没有这份草稿"), 404, "没有这份草稿"),
    (AlreadyDecided(), 400, "这份信息不在待审核状态"),
    (RecordNotFound("没有这条记录"), 404, "没有这条记录"),
]


def _client(error: Exception) -> TestClient:
    """The real application with one more route that raises `error`, as a view would."""
    def raising(request):
        raise error

    app = create_app()
    app.router.routes[:0] = [Route("/test-raise", raising), Route("/api/v1/test-raise", raising)]
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("error", "status", "message"), CASES)
def test_a_domain_error_is_answered_with_its_status_and_message(error, status, message):
    client = _client(error)
    page = client.get("/test-raise")
    assert page.status_code == status and message in page.text
    api = client.get("/api/v1/test-raise")
    assert api.status_code == status
    assert api.json()["error"]["status"] == status and message in api.json()["error"]["message"]


def test_the_app_registers_the_domain_errors():
    handlers = create_app().exception_handlers
    assert all(handlers[kind] is domain_error for kind in DOMAIN_ERRORS)
