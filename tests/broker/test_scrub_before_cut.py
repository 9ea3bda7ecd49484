"""A broker message cut for display is scrubbed first: no prefix of a credential survives."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from pm.broker.alpaca import AlpacaBroker
from pm.domain.errors import BrokerRejected, BrokerUnavailable
from pm.domain.models import OrderRequest
from tests.broker.conftest import API_KEY, SECRET_KEY
from tests.support.fake_alpaca import FakeAlpaca, Reply

MakeBroker = Callable[..., AlpacaBroker]


def leaks(text: str) -> bool:
    """True when any 5-character prefix of a credential is in `text`."""
    return SECRET_KEY[:5] in text or API_KEY[:5] in text


@pytest.mark.parametrize("secret", [SECRET_KEY, API_KEY])
def test_a_rejection_message_cut_inside_a_secret(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker, secret: str
) -> None:
    message = "x" * 190 + secret + " was not accepted"  # the 200-character cut falls inside
    fake_alpaca.script(Reply(422, {"code": 42210000, "message": message}))
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerRejected) as err:
        broker.submit_order(OrderRequest("AAPL", "buy", "pm-s-1", qty=Decimal("1")))
    assert not leaks(err.value.message)
    assert "***" in err.value.message


def test_a_malformed_body_preview_cut_inside_a_secret(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.script(Reply.malformed(body=b"<p>" + b"y" * 50 + SECRET_KEY.encode() + b"</p>"))
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    assert "malformed response" in err.value.message
    assert not leaks(err.value.message)


def test_a_plain_text_error_body_cut_inside_a_secret(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.script(Reply(400, ("z " * 95 + SECRET_KEY).encode()))
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerRejected) as err:
        broker.submit_order(OrderRequest("AAPL", "buy", "pm-s-2", qty=Decimal("1")))
    assert not leaks(err.value.message)


def test_an_unavailable_message_cut_inside_a_secret(make_broker: MakeBroker) -> None:
    transport = make_broker("http://127.0.0.1:9")._transport
    error = transport.unavailable("w" * 390 + SECRET_KEY, last=None)  # type: ignore[arg-type]
    assert len(error.message) <= 400
    assert not leaks(error.message)
