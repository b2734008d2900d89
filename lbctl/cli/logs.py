"""Structured logs: JSON lines in a cluster (or when not on a terminal), readable lines on a terminal.
Fields passed with `extra=` (e.g. `key` = the Ingress group) appear on the line."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(
            {
                k: v if isinstance(v, str | int | float | bool | None) else str(v)
                for k, v in _fields(record).items()
            }
        )
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(line)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return f"{self.formatTime(record, '%H:%M:%S')} {record.levelname[0]} {record.getMessage()}" + (
            f"  {extra}" if extra else ""
        )


def configure(level: str = "info", fmt: str = "auto") -> None:
    """Set up the root logger once: fmt is json, text, or auto (text on a terminal)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("urllib3", "kubernetes", "botocore", "google", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
