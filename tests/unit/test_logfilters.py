"""Access-log lines never carry query strings (phone numbers in the operator's look-ups)."""

from __future__ import annotations

import logging

from portal.logfilters import DropQueryString, uvicorn_log_config


def test_query_string_is_cut_from_access_records():
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/operator/caller?phone=13812345678", "1.1", 200), None)
    DropQueryString().filter(record)
    assert "13812345678" not in record.getMessage()
    assert "/operator/caller" in record.getMessage()


def test_uvicorn_config_installs_the_filter():
    config = uvicorn_log_config()
    assert config["handlers"]["access"]["filters"] == ["no_query"]
