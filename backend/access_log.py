"""The access log without query strings: members search (``?q=``) carries what analysts look for, often a
customer's name or email, and uvicorn's access log wrote it to the server's log (a privacy review found
``GET …/members?q=Ndlovu``). ``log_config()`` is uvicorn's own logging configuration with ``DropQuery`` on the
access handler: paths stay, queries become ``?…``."""

from __future__ import annotations

import copy
import logging
from typing import Any


class DropQuery(logging.Filter):
    """Cuts the query string from uvicorn's access records (``args``: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with ``DropQuery`` on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["drop_query"] = {"()": "backend.access_log.DropQuery"}
    config["handlers"]["access"]["filters"] = ["drop_query"]
    return config
