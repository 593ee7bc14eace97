"""Keeping personal data out of logs.

Request bodies are never logged. The one place an LMS's id for a person reaches a log is the
path of `/v1/subjects/{id}/...` in the access log, so it is replaced there before any handler
formats the record.
"""

from __future__ import annotations

import logging
import re

_SUBJECT_PATH = re.compile(r"(/v1/subjects/)[^/?#\s]+")
REDACTED = "<subject>"


class RedactSubjects(logging.Filter):
    """Rewrites subject ids in uvicorn's access-log arguments (and in plain messages)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SUBJECT_PATH.sub(rf"\g<1>{REDACTED}", a) if isinstance(a, str) else a
                for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _SUBJECT_PATH.sub(rf"\g<1>{REDACTED}", record.msg)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger, once per process."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSubjects) for f in logger.filters):
        logger.addFilter(RedactSubjects())
