"""Logging filters: keep query strings (phone numbers, search words) out of access logs."""

from __future__ import annotations

import logging


class DropQueryString(logging.Filter):
    """uvicorn.access records carry the path as args[2]; cut it at '?'."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def uvicorn_log_config() -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "filters": {"no_query": {"()": DropQueryString}}}
    config["handlers"] = {name: dict(h) for name, h in LOGGING_CONFIG["handlers"].items()}
    config["handlers"]["access"]["filters"] = ["no_query"]
    return config
