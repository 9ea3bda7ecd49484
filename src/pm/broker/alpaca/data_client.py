"""What the market data adapters share: credentials, the data URL, and a lazy `Transport`.

`transport` imports alpaca-py, requests and tenacity; a data adapter is built for every command
that might need it, so it keeps what a `Transport` needs and builds one only when the first
request is about to be sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pm.ports import Clock

if TYPE_CHECKING:
    from pm.broker.alpaca.transport import Transport


class AlpacaDataClient:
    """Base of the adapters over ``ALPACA_DATA_URL``; a subclass sets its retry defaults."""

    DEADLINE_S: ClassVar[float] = 30.0
    MAX_ATTEMPTS: ClassVar[int] = 4

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        data_url: str,
        clock: Clock,
        deadline_s: float | None = None,
        feed: str = "iex",
        max_attempts: int | None = None,
        backoff_base_s: float = 0.25,
    ) -> None:
        self._api_key = api_key
        self._secret_key = secret_key
        self._base_url = data_url.rstrip("/")
        self._clock = clock
        self._deadline_s = self.DEADLINE_S if deadline_s is None else deadline_s
        self._max_attempts = self.MAX_ATTEMPTS if max_attempts is None else max_attempts
        self._backoff_base_s = backoff_base_s
        self._feed = feed
        self._transport: Transport | None = None

    def _client(self) -> Transport:
        if self._transport is None:
            from pm.broker.alpaca.transport import RetryPolicy, Transport

            policy = RetryPolicy(
                deadline_s=self._deadline_s,
                max_attempts=self._max_attempts,
                backoff_base_s=self._backoff_base_s,
            )
            self._transport = Transport(
                api_key=self._api_key,
                secret_key=self._secret_key,
                base_url=self._base_url,
                clock=self._clock,
                policy=policy,
            )
        return self._transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
