"""structlog to stderr: console at a terminal, JSON otherwise; secrets scrubbed from every event.

structlog costs about 0.2 s to import, so it is loaded only when an event passes the level:
a command that logs nothing at the default level never pays for it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter "secrets" are not credentials, and scrubbing them mangles text
_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "authorization")


class Scrubber:
    """Replaces known secret values anywhere in an event, and values of secret-named keys."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(
            {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

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

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self._scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._scrub.text(record.getMessage())
        record.args = None
        return True


@dataclass
class _Setup:
    level: int = logging.WARNING
    as_json: bool = False
    scrub: Scrubber = field(default_factory=lambda: Scrubber(()))
    structlog_ready: bool = False


_setup = _Setup()


def configure(level: str, fmt: str | None, secrets: Iterable[str] = ()) -> None:
    """Set up logging for this process; `fmt` None picks console at a terminal, else JSON."""
    _setup.level = logging.getLevelNamesMapping()[level.upper()]
    _setup.as_json = fmt == "json" or (fmt is None and not sys.stderr.isatty())
    _setup.scrub = Scrubber(secrets)
    _setup.structlog_ready = False
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ScrubFilter(_setup.scrub))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_setup.level)


def _structlog() -> Any:
    import structlog

    if not _setup.structlog_ready:
        renderer: Any = (
            structlog.processors.JSONRenderer()
            if _setup.as_json
            else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        )
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                _setup.scrub,
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(_setup.level),
            logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
            cache_logger_on_first_use=False,
        )
        _setup.structlog_ready = True
    return structlog


class Logger:
    """A named structlog logger that imports structlog only for events that pass the level."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if level >= _setup.level:
            _structlog().get_logger(self._name).log(level, event, **fields)

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        """An error with the traceback of the exception being handled."""
        self._log(logging.ERROR, event, {**fields, "exc_info": True})


def get_logger(name: str) -> Logger:
    return Logger(name)
