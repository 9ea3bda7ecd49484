"""structlog to stderr: console at a terminal, JSON otherwise; secrets scrubbed from every event."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

REDACTED = "***"
_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "authorization")


class _Scrubber:
    """Replaces known secret values anywhere in an event, and values of secret-named keys."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def __call__(
        self, _logger: Any, _method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in event.items():
            if any(word in key.lower() for word in _SECRET_WORDS):
                event[key] = REDACTED
            elif isinstance(value, str):
                event[key] = self.text(value)
            elif not isinstance(value, int | float | bool) and value is not None:
                event[key] = self.text(str(value))
        return event


class _ScrubFilter(logging.Filter):
    """The same scrubbing for records from libraries that use stdlib logging (urllib3...)."""

    def __init__(self, scrub: _Scrubber) -> None:
        super().__init__()
        self._scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._scrub.text(record.getMessage())
        record.args = None
        return True


def configure(level: str, fmt: str | None, secrets: Iterable[str] = ()) -> None:
    """Set up logging for this process; `fmt` None picks console at a terminal, else JSON."""
    level_no = logging.getLevelNamesMapping()[level.upper()]
    as_json = fmt == "json" or (fmt is None and not sys.stderr.isatty())
    scrub = _Scrubber(secrets)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            scrub,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level_no),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ScrubFilter(scrub))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_no)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
