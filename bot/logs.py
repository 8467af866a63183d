"""Logging that never prints a secret, as text lines or one JSON object per line.

The job a line is about travels in a context variable, set while the engine works on the job
(`job_context`), so every line logged meanwhile carries it, the libraries' lines included.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType

current_job: ContextVar[str | None] = ContextVar("current_job", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(job_tag)s: %(message)s"
SHORT_ID = 8


@contextlib.contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Mark every line logged inside (and in tasks started inside) as about this job."""
    token = current_job.set(job_id[:SHORT_ID])
    try:
        yield
    finally:
        current_job.reset(token)


class RedactSecrets(logging.Filter):
    """Replaces every configured secret in a record's final message with `***`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = record.exc_text or ""
        for secret in self._secrets:
            message = message.replace(secret, "***")
            text = text.replace(secret, "***")
        record.msg, record.args = message, None
        record.exc_text = text or None
        return True


class TagJob(logging.Filter):
    """Stamps each record with the job of the context that logged it (`record.job`, `record.job_tag`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = current_job.get()
        record.job = job
        record.job_tag = f" [job {job}]" if job else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: `ts`, `level`, `logger`, `message`, and `job` and `exc` when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        job = getattr(record, "job", None)
        if job:
            line["job"] = job
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def configure_logging(
    secrets: Iterable[str], level: int = logging.INFO, quiet: Iterable[str] = (), fmt: str = "text"
) -> None:
    """Log to stderr, with secrets redacted from every record; `quiet` loggers only warn.

    With `fmt="json"` every line is a JSON object, and warnings and uncaught exceptions go
    through logging too, so nothing else reaches the terminal.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(TagJob())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", *quiet):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if fmt == "json":
        logging.captureWarnings(True)
        sys.excepthook = _log_uncaught
        threading.excepthook = lambda args: _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


def _log_uncaught(kind: type[BaseException], error: BaseException | None, trace: TracebackType | None) -> None:
    if error is None or isinstance(error, KeyboardInterrupt):
        return
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, error, trace))
