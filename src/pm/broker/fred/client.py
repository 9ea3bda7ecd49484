"""A small FRED client: `GET /fred/series/observations`, with the Alpaca transport's manners.

- Every request has a (connect, read) timeout capped by what is left of the call's deadline.
- Connection errors, timeouts, 429 and 5xx are retried with bounded exponential backoff until
  the attempts or the deadline run out; a 400 (bad key, unknown series) is not retried.
- At most one request per second per process (`RateLimiter`, shared by every client).
- ``value`` arrives as a string; "." means missing and is skipped. Values become `Decimal`.
- The API key never appears in an error message (FRED's messages do not repeat it, and every
  message is scrubbed anyway).

Errors: `BrokerUnavailable` (down, timed out, 5xx, 429, a body that is not FRED's JSON),
`CredentialsError` (FRED refuses the key), `BrokerRejected` (any other 4xx, e.g. an unknown
series). `requests` is imported when the first request is made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pm.domain.errors import BrokerRejected, BrokerUnavailable, CredentialsError
from pm.domain.regime import Observation

SOURCE = "fred"
DEFAULT_URL = "https://api.stlouisfed.org"
#: How many of the newest observations to ask for (enough to step over missing days).
RECENT = 30
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_MESSAGE = 200


class RateLimiter:
    """At most one request per `min_interval_s`, across every thread of the process."""

    def __init__(
        self,
        min_interval_s: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval_s = min_interval_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    def wait(self) -> None:
        """Block until a request may go, and count it as sent."""
        with self._lock:
            now = self._monotonic()
            if self._last is not None:
                wait = self._last + self.min_interval_s - now
                if wait > 0:
                    self._sleep(wait)
                    now = self._monotonic()
            self._last = now


#: The process's one limiter: FRED is asked at most once per second per process.
PROCESS_LIMITER = RateLimiter(1.0)


@dataclass(frozen=True, slots=True)
class FredPolicy:
    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    deadline_s: float = 30.0
    max_attempts: int = 3
    backoff_base_s: float = 0.5


class FredClient:
    """Implements `pm.ports.MacroSource` over FRED's HTTP API."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_URL,
        policy: FredPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._key = api_key
        self._base = base_url.rstrip("/")
        self._policy = policy or FredPolicy()
        self._limiter = limiter or PROCESS_LIMITER
        self._session: Any = None

    @property
    def name(self) -> str:
        return SOURCE

    def observations(self, series_id: str) -> list[Observation]:
        body = self._get(
            "/fred/series/observations",
            {
                "series_id": series_id,
                "api_key": self._key,
                "file_type": "json",
                "sort_order": "desc",
                "limit": str(RECENT),
            },
        )
        return parse_observations(series_id, body)

    # -- HTTP ----------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        text = " ".join(text.replace(self._key, "***").split()) if self._key else text
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"

    def _unavailable(self, detail: str) -> BrokerUnavailable:
        return BrokerUnavailable(
            f"FRED unavailable: {self._scrub(detail)}",
            broker=SOURCE,
            last_attempt=datetime.now(UTC),
        )

    def _get(self, path: str, params: dict[str, str]) -> Any:
        import requests

        if self._session is None:
            self._session = requests.Session()
        policy = self._policy
        deadline = time.monotonic() + policy.deadline_s
        last = "no attempt"
        attempts = 0
        for attempt in range(policy.max_attempts):
            if attempt:
                pause = min(policy.backoff_base_s * 2 ** (attempt - 1), deadline - time.monotonic())
                if pause <= 0:
                    break
                time.sleep(pause)
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                break
            self._limiter.wait()
            attempts += 1
            timeout = (min(policy.connect_timeout_s, remaining), min(policy.timeout_s, remaining))
            try:
                response = self._session.get(self._base + path, params=params, timeout=timeout)
            except requests.exceptions.Timeout:
                last = f"cannot reach {self._base} (timed out)"
                continue
            except requests.exceptions.ConnectionError:
                last = f"cannot reach {self._base} (connection failed)"
                continue
            if response.status_code in RETRYABLE_STATUS:
                last = f"HTTP {response.status_code} {_message(response)}"
                continue
            if response.status_code >= 400:
                raise self._refused(response)
            try:
                return response.json(parse_float=Decimal)
            except ValueError:
                raise self._unavailable("the reply is not JSON") from None
        tries = f" after {attempts} attempt{'s' if attempts > 1 else ''}" if attempts else ""
        raise self._unavailable(last + tries)

    def _refused(self, response: Any) -> Exception:
        message = self._scrub(_message(response))
        if "api_key" in message or response.status_code in (401, 403):
            return CredentialsError(f"FRED refused the API key (FRED_API_KEY): {message}")
        return BrokerRejected(f"FRED: {message}", status_code=response.status_code)


def _message(response: Any) -> str:
    """FRED's ``error_message`` (``{"error_code": 400, "error_message": "..."}``), or the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error_message"), str):
        return str(body["error_message"])
    text = response.text or ""
    return "no details" if text.lstrip().startswith("<") or not text.strip() else text


def parse_observations(series_id: str, body: Any) -> list[Observation]:
    """The observations of a FRED reply, oldest first; "." (missing) values are skipped."""
    if not isinstance(body, dict) or not isinstance(body.get("observations"), list):
        raise BrokerUnavailable(
            f"FRED's reply for {series_id} has no observations list",
            broker=SOURCE,
            last_attempt=datetime.now(UTC),
        )
    found: dict[date, Observation] = {}
    for item in body["observations"]:
        if not isinstance(item, dict):
            continue
        raw, day = item.get("value"), item.get("date")
        if not isinstance(raw, str) or not isinstance(day, str) or raw.strip() == ".":
            continue
        try:
            value = Decimal(raw.strip())
            when = date.fromisoformat(day)
        except (InvalidOperation, ValueError):
            continue
        if value.is_finite():
            found[when] = Observation(series_id, when, value)
    return [found[d] for d in sorted(found)]
