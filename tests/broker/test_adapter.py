"""Construction, identity, secrecy and import cost of the Alpaca adapter."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from pm.broker.alpaca import AlpacaBroker
from pm.broker.alpaca.adapter import broker_identity, normalize_base_url, order_body
from pm.domain.errors import BadInput, CredentialsError
from pm.domain.models import OrderRequest
from pm.ports import Broker
from tests.broker.conftest import API_KEY, SECRET_KEY, UtcClock

PAPER = "https://paper-api.alpaca.markets"


def make(base_url: str = PAPER, **kw: object) -> AlpacaBroker:
    return AlpacaBroker(
        api_key=API_KEY, secret_key=SECRET_KEY, base_url=base_url, clock=UtcClock(), **kw
    )


def test_implements_the_port() -> None:
    broker: Broker = make()
    assert broker.name == "alpaca"
    assert broker.simulated is False


def test_identity_is_stable_and_secret_free() -> None:
    a, b = make(), make(PAPER + "/")
    assert a.identity == b.identity == broker_identity(PAPER, API_KEY)
    assert a.identity.startswith("alpaca:")
    assert len(a.identity) == len("alpaca:") + 16
    assert make("https://api.alpaca.markets").identity != a.identity
    assert SECRET_KEY not in a.identity


def test_repr_hides_keys() -> None:
    broker = make()
    text = repr(broker) + str(broker) + repr(vars(broker) if hasattr(broker, "__dict__") else "")
    assert SECRET_KEY not in text
    assert API_KEY not in text
    assert SECRET_KEY not in repr(broker._transport)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (PAPER, PAPER),
        (PAPER + "/", PAPER),
        ("  https://api.alpaca.markets/ ", "https://api.alpaca.markets"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_base_url_normalized(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize("bad", [PAPER + "/v2", PAPER + "/v2/", "paper-api.alpaca.markets"])
def test_base_url_rejected(bad: str) -> None:
    with pytest.raises(BadInput, match="ALPACA_BASE_URL"):
        make(bad)


def test_v2_error_says_what_to_use() -> None:
    with pytest.raises(
        BadInput, match=r"must not end in /v2.*'https://paper-api\.alpaca\.markets'"
    ):
        normalize_base_url(PAPER + "/v2")


def test_missing_credentials() -> None:
    with pytest.raises(CredentialsError):
        AlpacaBroker(api_key="", secret_key="", base_url=PAPER, clock=UtcClock())


def test_is_live() -> None:
    assert make("https://api.alpaca.markets").is_live
    assert not make().is_live


def test_order_body_uses_decimal_strings() -> None:
    body = order_body(
        OrderRequest(
            "AAPL",
            "buy",
            "cid",
            qty=Decimal("0.1"),
            type="limit",
            limit_price=Decimal("190.10"),
        )
    )
    assert body == {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "day",
        "client_order_id": "cid",
        "qty": "0.1",
        "limit_price": "190.10",
    }
    assert order_body(OrderRequest("AAPL", "buy", "c", notional=Decimal("1E+3")))["notional"] == (
        "1000"
    )


def test_order_needs_exactly_one_of_qty_and_notional() -> None:
    with pytest.raises(BadInput):
        order_body(OrderRequest("AAPL", "buy", "cid"))
    with pytest.raises(BadInput):
        order_body(OrderRequest("AAPL", "buy", "cid", qty=Decimal(1), notional=Decimal(1)))


@pytest.mark.slow
def test_importing_the_adapter_does_not_import_alpaca_or_requests() -> None:
    code = (
        "import sys, pm.broker.alpaca, pm.broker.alpaca.adapter, pm.broker.alpaca.parse\n"
        "bad = [m for m in ('alpaca', 'requests', 'tenacity', 'pandas') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_building_the_adapter_does_not_import_the_trading_client() -> None:
    code = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from pm.broker.alpaca import AlpacaBroker\n"
        "class C:\n"
        "    def now(self): return datetime.now(UTC)\n"
        "AlpacaBroker(api_key='k', secret_key='s', base_url='https://x.example', clock=C())\n"
        "bad = [m for m in ('alpaca.trading.client', 'pandas') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_alpaca_retry_is_disabled() -> None:
    broker = make()
    client = broker._transport._client
    assert client._retry == 0


@pytest.mark.parametrize(
    "bad", ["", "AAPL?qty=1", "../account", "A/../../account", "A B", "AAPL#x"]
)
def test_symbols_cannot_reshape_the_url(bad: str) -> None:
    broker = make()
    with pytest.raises(BadInput):
        broker.get_position(bad)
    with pytest.raises(BadInput):
        broker.close_position(bad)
