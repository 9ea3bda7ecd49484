"""A broker that answers 200 and then sends its body one byte every 0.25 s: `--timeout`
bounds the whole response, so every command gives up (exit 3, one error line) soon after it
instead of trickling on for minutes. The bound asserted is generous (timeout + 3 s) for a
loaded machine: a drip of the smallest answer here (the clock) takes over a minute."""

from __future__ import annotations

import time

import pytest

from pm.broker.alpaca import market_data, transport
from tests.cli.conftest import PmRunner
from tests.cli.safety import calm
from tests.support.fake_alpaca import FakeAlpaca, Reply

TIMEOUT_S = 2.0
MARGIN_S = 3.0
DRIP = Reply.drip(0.25)

COMMANDS = [
    ("snapshot",),
    ("positions",),
    ("reconcile",),
    ("risk",),
    ("validate", "AAPL", "--side", "buy", "--qty", "1"),
    ("close", "AAPL", "--yes"),
    ("close-all", "--emergency", "--yes"),
    ("watch", "--once"),
    ("doctor",),
]


# imported up front, so what is timed is the broker, not a cold import on a busy machine
WARM = (transport.Transport, market_data.AlpacaMarketData)


def timed(pm: PmRunner, *args: str) -> tuple[int, float, str]:
    started = time.monotonic()
    done = pm("--timeout", str(TIMEOUT_S), *args)
    return done.code, time.monotonic() - started, done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_dripping_answer_ends_every_command(
    pm: PmRunner, alpaca: FakeAlpaca, command: tuple[str, ...]
) -> None:
    alpaca.fail_with(DRIP)
    code, elapsed, stderr = timed(pm, *command)
    assert code == 3, stderr
    assert elapsed < TIMEOUT_S + MARGIN_S, elapsed
    assert "within the 2 s deadline" in stderr or "check failed" in stderr  # doctor: a check


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "command", "exit_code"),
    [
        # a dripping write: not confirmed, never resent
        ("/v2/orders", ("close", "AAPL", "--yes"), 3),
        # market data: risk falls back to flat VaR and says so
        ("/v2/stocks/bars", ("risk", "--json"), 0),
        # the latest trade of a symbol not held: no price, ask for --price
        ("/v2/stocks/trades/latest", ("validate", "MSFT", "--side", "buy", "--qty", "1"), 2),
        # the clock: validation goes on without the market-hours note
        ("/v2/clock", ("validate", "AAPL", "--side", "buy", "--qty", "1"), 0),
    ],
)
def test_one_dripping_endpoint_is_bounded_too(
    pm: PmRunner, alpaca: FakeAlpaca, path: str, command: tuple[str, ...], exit_code: int
) -> None:
    calm(alpaca)
    alpaca.script(*[DRIP] * 8, path=path)
    code, elapsed, stderr = timed(pm, *command)
    assert code == exit_code, stderr
    assert elapsed < TIMEOUT_S + MARGIN_S, elapsed
    assert alpaca.count(path=path) >= 1
    assert alpaca.count("POST", "/v2/orders") <= 1  # an order is never sent twice
