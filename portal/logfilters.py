"""Logging filters: keep query strings (phone numbers, search words) and bearer-link tokens
out of access logs (installed by deploy/uvicorn-log.json, the web server's `--log-config`)."""

from __future__ import annotations

import logging
import re

# Bearer links: whoever holds the URL sees the complaint or the sign-up (name, phone), so the
# token part never reaches a log file.
_BEARER = r"(/complaints/t/|/opendays/signup/|/opendays/feedback/)[^/?#\s]+"
BEARER_PATH = re.compile("^" + _BEARER)  # a request's path
BEARER_LINK = re.compile(_BEARER)  # a link anywhere in a text (a message's body)
REDACTED = "[token]"


def clean_path(path: str) -> str:
    """The path as logged: no query string, no bearer token."""
    return BEARER_PATH.sub(lambda m: m.group(1) + REDACTED, path.split("?", 1)[0])


class DropQueryString(logging.Filter):
    """uvicorn.access records carry the path as args[2]; cut it at '?' and redact the token of
    a bearer link."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], clean_path(args[2]), *args[3:])
        return True

