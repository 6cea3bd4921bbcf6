"""deploy/nginx/portal.conf lets the complaint form carry its photos (issue 21): a body of
several megabytes reaches the web processes at /complaints/new (here none listen, so nginx
answers 502 after passing it on), while anywhere else nginx still stops it with 413."""

from __future__ import annotations

import http.client
import time

import pytest

from servers import nginx_without_upstream

pytestmark = pytest.mark.browser

BODY = 6 * 1024 * 1024  # over the site's 3m, under the photo form's limit


def post(port: int, path: str, size: int, sent: int | None = None) -> int:
    """The status nginx gives a multipart POST of `size` bytes, of which `sent` are sent (all
    unless told; nginx judges the declared size); 0 when it was not listening yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=b"x" * (size if sent is None else sent), headers={
            "Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(size)})
        return connection.getresponse().status
    except (ConnectionError, OSError):
        return 0
    finally:
        connection.close()


def test_only_the_complaint_form_takes_a_body_of_photos(tmp_path):
    with nginx_without_upstream(tmp_path) as (nginx, port):
        for _ in range(150):  # until nginx listens (at most 30 s)
            if post(port, "/accounts/login", 10) or nginx.poll() is not None:
                break
            time.sleep(0.2)
        assert post(port, "/complaints/new", BODY) == 502  # passed on to the (absent) app
        assert post(port, "/accounts/login", BODY) == 413
        assert post(port, "/complaints/new", 111 * 1024 * 1024, sent=1024) == 413
