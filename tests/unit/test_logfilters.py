"""Access-log lines never carry query strings (phone numbers in the operator's look-ups)."""

from __future__ import annotations

import json
import logging

import pytest

from portal.logfilters import DropQueryString
from portal.settings import PROJECT_ROOT


def test_query_string_is_cut_from_access_records():
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/operator/caller?phone=13812345678", "1.1", 200), None)
    DropQueryString().filter(record)
    assert "13812345678" not in record.getMessage()
    assert "/operator/caller" in record.getMessage()


def test_uvicorn_config_installs_the_filter():
    """deploy/uvicorn-log.json: the web server's --log-config (portal.devstack.web_command)."""
    config = json.loads((PROJECT_ROOT / "deploy" / "uvicorn-log.json").read_text())
    assert config["handlers"]["access"]["filters"] == ["no_query"]
    assert config["filters"]["no_query"]["()"] == "portal.logfilters.DropQueryString"


def _access(path: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5", "GET", path, "1.1", 200), None)


@pytest.mark.parametrize(("path", "logged"), [
    ("/complaints/t/MTI.abc.def", "/complaints/t/[token]"),
    ("/complaints/t/MTI.abc.def?new=1", "/complaints/t/[token]"),
    ("/complaints/t/MTI.abc.def/feedback", "/complaints/t/[token]/feedback"),
    ("/opendays/signup/Nw.xyz.uvw?new=1", "/opendays/signup/[token]"),
    ("/opendays/signup/Nw.xyz.uvw/cancel", "/opendays/signup/[token]/cancel"),
    ("/opendays/signup/Nw.xyz.uvw/confirm", "/opendays/signup/[token]/confirm"),
    ("/opendays/feedback/Nw.xyz.uvw", "/opendays/feedback/[token]"),
    ("/opendays/12/signup", "/opendays/12/signup"),
    ("/complaints/track", "/complaints/track"),
])
def test_bearer_link_tokens_are_redacted_from_access_records(path, logged):
    record = _access(path)
    DropQueryString().filter(record)
    assert record.args[2] == logged
    token = path.split("/")[3].split("?")[0] if path.count("/") >= 3 else ""
    if "." in token:
        assert token not in record.getMessage()

