"""The error vocabulary shared by every layer; the CLI maps each class to one exit code."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class PmError(Exception):
    """Base of every error `pm` expects and explains in one line."""

    kind = "PmError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, Any]:
        """Extra machine-readable fields for the JSON error object."""
        return {}


class CheckFailed(PmError):
    """A check found something: a limit breached, an order rejected, part of a batch failed."""

    kind = "CheckFailed"


class BadInput(PmError):
    """The user asked for something malformed or inconsistent."""

    kind = "BadInput"


class BrokerUnavailable(PmError):
    """The broker could not be reached or kept failing after bounded retries."""

    kind = "BrokerUnavailable"

    def __init__(self, message: str, *, broker: str, last_attempt: datetime) -> None:
        super().__init__(message)
        self.broker = broker
        self.last_attempt = last_attempt

    def details(self) -> dict[str, Any]:
        return {
            "source": {
                "type": "unavailable",
                "broker": self.broker,
                "last_attempt": self.last_attempt,
            }
        }


class BrokerRejected(PmError):
    """The broker understood the request and refused it (4xx other than auth and not-found)."""

    kind = "BrokerRejected"

    def __init__(self, message: str, *, status_code: int, code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code

    def details(self) -> dict[str, Any]:
        return {"broker_status": self.status_code, "broker_code": self.code}


class NotFound(PmError):
    """A position, policy, run or order that does not exist."""

    kind = "NotFound"


class CredentialsError(PmError):
    """Broker credentials are missing or were rejected."""

    kind = "CredentialsError"


class DatabaseError(PmError):
    """The database could not be opened, migrated, read or written."""

    kind = "DatabaseError"
