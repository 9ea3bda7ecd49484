"""HTTP to Alpaca's trading API: timeouts, one retry policy for reads, error mapping.

Built on alpaca-py's own `RESTClient` (same auth headers, URL scheme and `APIError` as its
`TradingClient`) without importing `alpaca.trading.client`, which drags in pandas. This module
imports alpaca-py, requests and tenacity at the top, so `adapter` imports it lazily.

- Every request carries a (connect, read) timeout, capped by what is left of the call's
  overall deadline, and its body is read as it arrives, so the deadline holds however slowly
  the answer comes; alpaca-py's own 429/504 retry loop is switched off.
- Reads (GET) are retried on connection errors, timeouts, 429 and 500/502/503/504 with bounded
  exponential backoff, honouring ``Retry-After``, until the attempts or the deadline run out.
- Writes are sent once; `send` reports an ambiguous outcome as `AmbiguousWrite` so the adapter
  can look the order up instead of resending it.
- JSON is decoded with ``parse_float=Decimal``: no number ever becomes a float.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import requests.adapters
from alpaca.common.exceptions import APIError
from alpaca.common.rest import RESTClient
from requests.exceptions import HTTPError
from tenacity import RetryCallState, Retrying, retry_if_exception

from pm.broker.alpaca.json_array import parse_array
from pm.broker.alpaca.parse import MalformedResponse
from pm.domain.errors import (
    BrokerRejected,
    BrokerUnavailable,
    CredentialsError,
    NotFound,
    PmError,
)
from pm.logging import Scrubber
from pm.ports import Clock

BROKER = "alpaca"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
POOL_SIZE = 40  # kept-alive connections per host
MAX_ERROR_BODY = 4096
MAX_MESSAGE = 200
STREAM_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds for one call: per-request timeout, whole-call deadline, read retries."""

    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    deadline_s: float = 30.0
    max_attempts: int = 4
    backoff_base_s: float = 0.25
    max_retry_wait_s: float = 5.0


class DeadlineExceeded(requests.exceptions.Timeout):
    """The call's overall deadline passed before (another) request could be sent."""


class AmbiguousWrite(Exception):
    """A write may or may not have reached the broker (timeout, reset connection, 5xx)."""

    def __init__(self, detail: str, last_attempt: datetime) -> None:
        super().__init__(detail)
        self.detail = detail
        self.last_attempt = last_attempt


@dataclass(frozen=True, slots=True)
class _ErrorBody:
    status: int
    code: int | None
    message: str


Scrub = Callable[[str], str]


def _one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` on one line and at most `limit` characters; scrub it first (cutting first could
    leave a prefix of a secret that the scrubber no longer recognises)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_body(exc: APIError, scrub: Scrub) -> _ErrorBody:
    """Status, Alpaca error code and message of an APIError, whatever its body looks like;
    the message is scrubbed of secrets before it is cut to length.

    (`APIError.code` itself raises KeyError or JSONDecodeError on odd bodies.)
    """
    status = exc.status_code if isinstance(exc.status_code, int) else 0
    raw = str(exc._error) if exc._error is not None else ""
    code: int | None = None
    message = ""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict):
        value = body.get("code")
        if isinstance(value, int) and not isinstance(value, bool):
            code = value
        text = body.get("message")
        if isinstance(text, str):
            message = text
    elif raw.strip() and not raw.lstrip().startswith("<"):
        message = raw
    return _ErrorBody(status, code, _one_line(scrub(message)) if message else "no details")


def _retry_after_s(exc: BaseException, now: datetime) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``: seconds or an HTTP date)."""
    if not isinstance(exc, APIError) or exc.status_code not in (429, 503):
        return None
    response = exc.response
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, DeadlineExceeded):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    return isinstance(exc, APIError) and exc.status_code in RETRYABLE_STATUS


class _Client(RESTClient):
    """alpaca-py's REST client with timeouts, no retries of its own, and Decimal JSON."""

    def __init__(
        self, *, api_key: str, secret_key: str, base_url: str, policy: RetryPolicy, scrub: Scrub
    ):
        super().__init__(base_url=base_url, api_key=api_key, secret_key=secret_key, raw_data=True)
        self._retry = 0  # alpaca-py's own 429/504 loop: off; `Transport` owns retries
        # room for the connections of concurrent requests (a rebalance sends up to 40 at once)
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._policy = policy
        self._scrub = scrub
        self._local = threading.local()

    @contextmanager
    def deadline(self, at: float, each: Callable[[Any, int], Any] | None = None) -> Iterator[None]:
        """Requests made by this thread inside the block end by `at` (time.monotonic); with
        `each`, a JSON array body is parsed element by element as it arrives (`parse_array`)."""
        previous = getattr(self._local, "deadline", None), getattr(self._local, "each", None)
        self._local.deadline, self._local.each = at, each
        try:
            yield
        finally:
            self._local.deadline, self._local.each = previous

    def _timeout(self) -> tuple[float, float]:
        connect, read = self._policy.connect_timeout_s, self._policy.timeout_s
        at: float | None = getattr(self._local, "deadline", None)
        if at is None:
            return connect, read
        remaining = at - time.monotonic()
        if remaining <= 0.01:
            raise DeadlineExceeded("the call's deadline passed")
        return min(connect, remaining), min(read, remaining)

    def _one_request(self, method: str, url: str, opts: dict[str, Any], retry: int) -> Any:
        each = getattr(self._local, "each", None)
        timeout = self._timeout()
        with self._session.request(method, url, timeout=timeout, stream=True, **opts) as response:
            if response.status_code >= 400:
                # Read past the cut and scrub before cutting, so no prefix of a secret survives.
                body = self._body(response, 2 * MAX_ERROR_BODY).decode("utf-8", "replace")
                text = self._scrub(body)[:MAX_ERROR_BODY]
                raise APIError(text, HTTPError(response=response))  # type: ignore[no-untyped-call]
            if each is not None:
                return parse_array(self._chunks(response), each, url.rsplit("/", 1)[-1])
            content = self._body(response)
        if not content:
            return None  # 204 and friends
        try:
            return json.loads(content, parse_float=Decimal)
        except ValueError:
            start = self._scrub(content[: 2 * MAX_ERROR_BODY].decode("utf-8", "replace"))
            raise MalformedResponse(
                f"HTTP {response.status_code} body is not JSON ({_one_line(start, 60)!r})"
            ) from None

    def _body(self, response: requests.Response, limit: int | None = None) -> bytes:
        """The whole body (or its first `limit` bytes), read within the call's deadline."""
        parts: list[bytes] = []
        size = 0
        for chunk in self._chunks(response):
            parts.append(chunk)
            size += len(chunk)
            if limit is not None and size >= limit:
                break
        return b"".join(parts)[:limit]

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        """The body as it arrives (whatever has come, up to a chunk at a time), within the
        call's deadline however slowly it comes."""
        from urllib3.exceptions import HTTPError as TransportError
        from urllib3.exceptions import ReadTimeoutError

        at: float | None = getattr(self._local, "deadline", None)
        while True:
            if at is not None and time.monotonic() > at:
                raise DeadlineExceeded("the call's deadline passed while reading the body")
            try:
                chunk = response.raw.read1(STREAM_CHUNK)
            except ReadTimeoutError as exc:
                raise requests.exceptions.ReadTimeout(exc) from None
            except TransportError as exc:
                raise requests.exceptions.ConnectionError(exc) from None
            if not chunk:
                return
            yield chunk


class Transport:
    """One Alpaca trading endpoint with the retry policy and the error vocabulary of `pm`."""

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        base_url: str,
        clock: Clock,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._scrub: Scrub = Scrubber((api_key, secret_key)).text
        self._client = _Client(
            api_key=api_key,
            secret_key=secret_key,
            base_url=base_url,
            policy=policy,
            scrub=self._scrub,
        )
        self._base_url = base_url
        self._clock = clock
        self._policy = policy
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Transport(base_url={self._base_url!r})"

    def new_deadline(self) -> float:
        return time.monotonic() + self._policy.deadline_s

    def close(self) -> None:
        self._client._session.close()

    # -- reads ------------------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        not_found: str | None = None,
        deadline: float | None = None,
        each: Callable[[Any, int], Any] | None = None,
        api_version: str | None = None,
    ) -> Any:
        """GET with retries; raises only `pm.domain.errors` types.

        `api_version` replaces the client's ``v2`` in the URL (the crypto data is ``v1beta3``).

        With `each`, the body must be a JSON array: it is read as it arrives and the result is
        the list of `each(element, index)` (MalformedResponse from `each` is reported as a
        malformed answer), so a large list is never held as text and dicts at once.
        """
        at = deadline if deadline is not None else self.new_deadline()
        attempts: list[datetime] = []
        policy = self._policy

        def once() -> Any:
            attempts.append(self._clock.now())
            with self._client.deadline(at, each):
                if api_version is None:
                    return self._client.get(path, params)
                return self._client.get(path, params, api_version=api_version)

        decided: dict[int, float | None] = {}  # one decision per attempt, whatever the order
        # in which tenacity asks `wait` and `stop`

        def next_wait(state: RetryCallState) -> float | None:
            n = state.attempt_number
            if n not in decided:
                decided[n] = self._next_wait(state, at)
            return decided[n]

        def wait(state: RetryCallState) -> float:
            return next_wait(state) or 0.0

        def stop(state: RetryCallState) -> bool:
            return state.attempt_number >= policy.max_attempts or next_wait(state) is None

        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            wait=wait,
            stop=stop,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(once)
        except Exception as exc:
            raise self._to_error(
                exc,
                "GET",
                path,
                attempts=len(attempts),
                last=attempts[-1] if attempts else self._clock.now(),
                not_found=not_found,
            ) from None

    def _next_wait(self, state: RetryCallState, at: float) -> float | None:
        """Seconds before the next attempt, or None when it would not fit the deadline."""
        policy = self._policy
        exc = state.outcome.exception() if state.outcome is not None else None
        asked = _retry_after_s(exc, self._clock.now()) if exc is not None else None
        if asked is not None:
            if asked > policy.max_retry_wait_s:
                return None
            pause = asked
        else:
            pause = min(
                policy.max_retry_wait_s, policy.backoff_base_s * 2 ** (state.attempt_number - 1)
            )
            pause *= 1 + random.random() * 0.1  # a little jitter against synchronized crons
        remaining = at - time.monotonic()
        # leave room for the next attempt to do something useful
        if pause + min(0.05, policy.timeout_s) >= remaining:
            return None
        return pause

    # -- writes -----------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        not_found: str | None = None,
        deadline: float | None = None,
    ) -> Any:
        """One POST/DELETE, never repeated.

        Raises `AmbiguousWrite` when the request may have been carried out (read timeout,
        broken connection, 5xx); otherwise only `pm.domain.errors` types.
        """
        at = deadline if deadline is not None else self.new_deadline()
        last = self._clock.now()
        try:
            with self._client.deadline(at):
                if method == "POST":
                    return self._client.post(path, data)
                if method == "DELETE":
                    return self._client.delete(path, data)
                raise ValueError(f"not a write method: {method}")
        except (requests.exceptions.ConnectTimeout, DeadlineExceeded) as exc:
            raise self._to_error(exc, method, path, attempts=1, last=last) from None
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise self._to_error(exc, method, path, attempts=1, last=last) from None
            raise AmbiguousWrite(f"{_transport_text(exc)} during {method} {path}", last) from None
        except requests.exceptions.Timeout:
            raise AmbiguousWrite(f"no answer in time to {method} {path}", last) from None
        except APIError as exc:
            if isinstance(exc.status_code, int) and exc.status_code >= 500:
                body = error_body(exc, self._scrub)
                raise AmbiguousWrite(
                    f"HTTP {body.status} ({body.message}) to {method} {path}", last
                ) from None
            raise self._to_error(
                exc, method, path, attempts=1, last=last, not_found=not_found
            ) from None
        except Exception as exc:
            raise self._to_error(exc, method, path, attempts=1, last=last) from None

    # -- errors -----------------------------------------------------------------------------

    def unavailable(self, message: str, last: datetime) -> BrokerUnavailable:
        message = _one_line(self._scrub(message), 400)
        return BrokerUnavailable(message, broker=BROKER, last_attempt=last)

    def _to_error(
        self,
        exc: BaseException,
        method: str,
        path: str,
        *,
        attempts: int,
        last: datetime,
        not_found: str | None = None,
    ) -> PmError:
        where = f"{method} /v2{path}"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if isinstance(exc, PmError):
            return exc
        if isinstance(exc, MalformedResponse):
            return self.unavailable(f"alpaca sent a malformed response to {where}: {exc}", last)
        if isinstance(exc, DeadlineExceeded):
            return self.unavailable(
                f"alpaca did not answer {where} within the {self._policy.deadline_s:g} s "
                f"deadline{tries}",
                last,
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return self.unavailable(f"alpaca timed out on {where}{tries}", last)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return self.unavailable(
                f"cannot reach alpaca at {self._base_url} ({_transport_text(exc)}){tries}", last
            )
        if isinstance(exc, requests.exceptions.RequestException):
            return self.unavailable(
                f"request to alpaca failed on {where}: {type(exc).__name__}", last
            )
        if isinstance(exc, APIError):
            return self._status_error(exc, where, tries, last, not_found)
        return self.unavailable(
            f"unexpected failure talking to alpaca on {where}: {type(exc).__name__}", last
        )

    def _status_error(
        self, exc: APIError, where: str, tries: str, last: datetime, not_found: str | None
    ) -> PmError:
        body = error_body(exc, self._scrub)
        status = body.status
        if status == 401 or (status == 403 and _is_auth_refusal(body)):
            return CredentialsError(
                f"alpaca rejected the credentials (HTTP {status}: {body.message}); check "
                "ALPACA_API_KEY and ALPACA_SECRET_KEY, and that ALPACA_BASE_URL is the "
                "endpoint (paper or live) the key belongs to"
            )
        if status == 404:
            return NotFound(not_found or f"alpaca has no such resource ({where}: {body.message})")
        if status == 429:
            return self.unavailable(f"alpaca rate limit exceeded on {where}{tries}", last)
        if status >= 500 or status == 0:
            return self.unavailable(
                f"alpaca failed on {where}: HTTP {status} ({body.message}){tries}", last
            )
        if 300 <= status < 400:
            return self.unavailable(
                f"alpaca redirected {where} (HTTP {status}); check ALPACA_BASE_URL", last
            )
        return BrokerRejected(
            f"alpaca rejected {where}: {body.message}", status_code=status, code=body.code
        )


def _is_auth_refusal(body: _ErrorBody) -> bool:
    """A 403 from the gateway about the key (no `code`), not a business refusal (403xxxxx)."""
    if body.code == 40110000:
        return True
    text = body.message.lower()
    return body.code is None and ("forbidden" in text or "not authorized" in text)


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection was never made (refused, DNS), so nothing was sent."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError  # DNS failures subclass it

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


def _transport_text(exc: BaseException) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "reset" in text or "aborted" in text or "remotedisconnected" in text:
        return "connection dropped"
    if "name or service" in text or "resolve" in text or "nodename" in text:
        return "host name not found"
    return type(exc).__name__
