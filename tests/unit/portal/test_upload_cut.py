"""A multipart body cut at the upload limit (portal/core/security.py: whole_parts) keeps the
parts that arrived whole, the text before the files, and nothing of the part cut in two."""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from portal.core.security import whole_parts

BOUNDARY = b"----photo-form"


def body(*parts: tuple[str, bytes, str | None]) -> bytes:
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        out += (b"Content-Type: image/jpeg\r\n" if filename else b"") + b"\r\n" + value + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n"


SCOPE = {"type": "http", "method": "POST", "path": "/complaints/new", "headers": [
    (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY)]}


def parsed(data: bytes) -> dict[str, object]:
    async def receive():
        return {"type": "http.request", "body": data, "more_body": False}

    async def read():
        form = await Request(SCOPE, receive).form()
        items = {k: (v if isinstance(v, str) else ("file", await v.read()))
                 for k, v in form.multi_items()}
        await form.close()
        return items

    return asyncio.run(read())


FULL = body(("csrf_token", b"tok", None), ("description", "老人手臂有淤青".encode(), None),
            ("photos", b"\xff\xd8" + b"a" * 5000, "one.jpg"),
            ("photos", b"\xff\xd8" + b"b" * 5000, "two.jpg"))


def test_a_cut_in_the_second_file_keeps_the_text_and_the_first_file():
    kept = parsed(whole_parts(FULL[:len(FULL) - 2000], SCOPE))
    assert kept["csrf_token"] == "tok" and kept["description"] == "老人手臂有淤青"
    assert kept["photos"] == ("file", b"\xff\xd8" + b"a" * 5000)  # not the second, cut in two


def test_a_cut_in_the_first_file_keeps_the_text_only():
    cut_at = FULL.index(b"a" * 100)
    assert parsed(whole_parts(FULL[:cut_at], SCOPE)) == {
        "csrf_token": "tok", "description": "老人手臂有淤青"}


def test_a_cut_in_the_first_part_leaves_an_empty_form():
    assert parsed(whole_parts(FULL[:20], SCOPE)) == {}


def test_without_a_boundary_nothing_is_kept():
    assert whole_parts(FULL, {"type": "http", "headers": []}) == b""
