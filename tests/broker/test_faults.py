"""The adapter against a misbehaving local server: timeouts, retries, refusals, bad bodies."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pm.broker.alpaca import AlpacaBroker
from pm.domain.errors import BrokerRejected, BrokerUnavailable, CredentialsError, NotFound
from pm.domain.models import OrderRequest
from tests.broker.conftest import API_KEY, SECRET_KEY
from tests.support.fake_alpaca import FakeAlpaca, Reply, closed_port_url

MakeBroker = Callable[..., AlpacaBroker]


def _assert_recent(when: datetime) -> None:
    assert when.tzinfo is not None
    assert when.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - when) < timedelta(seconds=10)


def test_happy_path_reads(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    broker = make_broker(fake_alpaca.base_url)
    assert broker.get_account().equity == Decimal("100000")
    assert [p.symbol for p in broker.get_positions()] == ["AAPL", "TSLA", "BTCUSD"]
    headers = fake_alpaca.requests[0].headers
    assert headers["APCA-API-KEY-ID"] == API_KEY  # alpaca-py's auth headers are sent


def test_connection_refused_is_unavailable_fast(make_broker: MakeBroker) -> None:
    broker = make_broker(closed_port_url())
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    assert time.monotonic() - started < 1.5
    assert "connection refused" in err.value.message
    assert err.value.broker == "alpaca"
    _assert_recent(err.value.last_attempt)


def test_stopped_server_refuses(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    broker = make_broker(fake_alpaca.base_url)
    broker.get_account()
    fake_alpaca.stop()
    with pytest.raises(BrokerUnavailable):
        broker.get_account()


@pytest.mark.slow
def test_timeout_is_unavailable_within_deadline(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.fail_with(Reply.hang(10))
    broker = make_broker(fake_alpaca.base_url, timeout_s=0.3, deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    elapsed = time.monotonic() - started
    assert elapsed < 1.3
    assert "alpaca" in err.value.message
    assert fake_alpaca.count("GET", "/v2/account") >= 2  # timeouts are retried within the deadline


def test_single_slow_answer_is_retried(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.script(Reply.hang(5))
    broker = make_broker(fake_alpaca.base_url, timeout_s=0.3)
    assert broker.get_account().cash == Decimal("67295")
    assert fake_alpaca.count() == 2


def test_5xx_then_success(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.script(503, 503, 200)
    broker = make_broker(fake_alpaca.base_url)
    assert len(broker.get_positions()) == 3
    assert fake_alpaca.count("GET", "/v2/positions") == 3


@pytest.mark.parametrize("status", [429, 500, 502, 504])
def test_other_retryable_statuses(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker, status: int
) -> None:
    fake_alpaca.script(status)
    broker = make_broker(fake_alpaca.base_url)
    assert broker.get_account().equity == Decimal("100000")
    assert fake_alpaca.count() == 2


@pytest.mark.slow
def test_429_honours_retry_after(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.script(
        Reply(429, {"code": 42910000, "message": "rate limit exceeded"}, {"Retry-After": "1"})
    )
    broker = make_broker(fake_alpaca.base_url)
    assert broker.get_account().equity == Decimal("100000")
    first, second = fake_alpaca.requests
    assert 0.9 <= second.at - first.at < 1.8


def test_retry_after_beyond_the_limit_gives_up(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.script(
        Reply(429, {"code": 42910000, "message": "rate limit exceeded"}, {"Retry-After": "60"})
    )
    broker = make_broker(fake_alpaca.base_url)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    assert time.monotonic() - started < 1
    assert "rate limit" in err.value.message
    assert fake_alpaca.count() == 1


@pytest.mark.slow
def test_5xx_forever_is_bounded(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.fail_with(503)
    broker = make_broker(
        fake_alpaca.base_url, deadline_s=1.0, max_attempts=100, backoff_base_s=0.05
    )
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    assert time.monotonic() - started < 1.3
    assert "HTTP 503" in err.value.message
    assert "attempts" in err.value.message
    _assert_recent(err.value.last_attempt)


def test_attempts_are_bounded(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.fail_with(500)
    broker = make_broker(fake_alpaca.base_url, max_attempts=3)
    with pytest.raises(BrokerUnavailable):
        broker.get_account()
    assert fake_alpaca.count() == 3


def test_malformed_body(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.script(Reply.malformed())
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    assert "malformed response" in err.value.message
    assert "\n" not in err.value.message


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"id": "x"}, "missing field"),
        ([], "expected an object"),
        (
            {
                **dict.fromkeys(["id", "account_number", "status", "currency"], "x"),
                "equity": "lots",
            },
            "not a number",
        ),
    ],
)
def test_wrong_shape_is_malformed(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker, body: object, detail: str
) -> None:
    fake_alpaca.script(Reply(200, body))
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_account()
    assert "malformed response to GET /v2/account" in err.value.message
    assert detail in err.value.message


def test_non_numeric_position_money_is_malformed(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.positions[1] = {**fake_alpaca.positions[1], "market_value": "NaN"}
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerUnavailable) as err:
        broker.get_positions()
    assert "positions[1].market_value" in err.value.message


def test_json_numbers_are_decoded_without_float(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    raw = (
        b'{"id":"a","account_number":"n","status":"ACTIVE","currency":"USD",'
        b'"equity":100000.10,"last_equity":0.1,"cash":"1","buying_power":"2",'
        b'"long_market_value":"0","short_market_value":"0"}'
    )
    fake_alpaca.script(Reply(200, raw))
    account = make_broker(fake_alpaca.base_url).get_account()
    assert account.equity == Decimal("100000.10")
    assert account.last_equity == Decimal("0.1")


def test_401_is_credentials_error_without_secret(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.script(401)
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(CredentialsError) as err:
        broker.get_account()
    assert SECRET_KEY not in str(err.value)
    assert API_KEY not in str(err.value)
    assert fake_alpaca.count() == 1  # not retried


def test_403_business_refusal_is_rejected_not_credentials(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.script(Reply(403, {"code": 40310000, "message": "account is not allowed to short"}))
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerRejected) as err:
        broker.submit_order(OrderRequest("TSLA", "sell", "pm-t-1", qty=Decimal("1")))
    assert (err.value.status_code, err.value.code) == (403, 40310000)


def test_odd_error_bodies_are_guarded(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.script(Reply(422, b"not json at all"), Reply(422, {"message": "no code"}))
    broker = make_broker(fake_alpaca.base_url)
    order = OrderRequest("AAPL", "buy", "pm-odd-1", qty=Decimal("1"))
    with pytest.raises(BrokerRejected) as first:
        broker.submit_order(order)
    assert first.value.code is None
    assert "not json at all" in first.value.message
    with pytest.raises(BrokerRejected) as second:
        broker.submit_order(order)
    assert second.value.code is None
    assert "no code" in second.value.message


def test_not_found_messages(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(NotFound, match="no open position in NFLX"):
        broker.get_position("NFLX")
    with pytest.raises(NotFound, match="no open position in NFLX"):
        broker.close_position("NFLX")
    with pytest.raises(NotFound, match="ZZZZ"):
        broker.get_asset("ZZZZ")


# -- orders are never sent twice --------------------------------------------------------------


def test_submit_order_timeout_found_by_client_id(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    # the order arrives and is booked, but the answer comes too late
    fake_alpaca.script(Reply.hang(2), path="/v2/orders")
    broker = make_broker(fake_alpaca.base_url, timeout_s=0.3, deadline_s=5.0)
    order = broker.submit_order(OrderRequest("AAPL", "buy", "pm-ambig-1", qty=Decimal("3")))
    assert order.client_order_id == "pm-ambig-1"
    assert order.qty == Decimal("3")
    assert fake_alpaca.count("POST", "/v2/orders") == 1
    assert fake_alpaca.count("GET", "/v2/orders:by_client_order_id") == 1


def test_submit_order_5xx_not_booked_is_unavailable_and_not_resent(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    fake_alpaca.script(Reply(502, b"<html>bad gateway</html>"), path="/v2/orders")
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerUnavailable) as err:
        broker.submit_order(OrderRequest("AAPL", "buy", "pm-ambig-2", qty=Decimal("1")))
    assert "pm-ambig-2" in err.value.message
    assert "not resent" in err.value.message
    assert fake_alpaca.count("POST", "/v2/orders") == 1
    assert fake_alpaca.count("GET", "/v2/orders:by_client_order_id") == 1


def test_submit_order_5xx_but_booked_returns_the_order(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    broker = make_broker(fake_alpaca.base_url)
    request = OrderRequest("AAPL", "buy", "pm-ambig-3", qty=Decimal("2"))
    first = broker.submit_order(request)
    # a retry by the caller with the same client_order_id: the server says duplicate ...
    second = broker.submit_order(request)
    assert second.id == first.id
    assert fake_alpaca.count("POST", "/v2/orders") == 2  # the caller's two, none of ours


def test_submit_order_refused_is_unavailable(make_broker: MakeBroker) -> None:
    broker = make_broker(closed_port_url())
    with pytest.raises(BrokerUnavailable, match="connection refused"):
        broker.submit_order(OrderRequest("AAPL", "buy", "pm-x", qty=Decimal("1")))


def test_close_all_timeout_is_not_resent(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.script(Reply.hang(2))
    broker = make_broker(fake_alpaca.base_url, timeout_s=0.3)
    with pytest.raises(BrokerUnavailable, match="not resent"):
        broker.close_all_positions(cancel_orders=True)
    assert fake_alpaca.count("DELETE", "/v2/positions") == 1


def test_writes_are_not_retried_on_503(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.fail_with(503)
    broker = make_broker(fake_alpaca.base_url)
    with pytest.raises(BrokerUnavailable):
        broker.close_position("AAPL")
    assert fake_alpaca.count("DELETE") == 1


def test_latency_knob(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    fake_alpaca.latency_s = 0.2
    broker = make_broker(fake_alpaca.base_url)
    started = time.monotonic()
    broker.get_clock()
    assert time.monotonic() - started >= 0.2


def test_concurrent_reads_share_one_broker(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake_alpaca.latency_s = 0.2
    broker = make_broker(fake_alpaca.base_url)
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        account = pool.submit(broker.get_account)
        positions = pool.submit(broker.get_positions)
        assert account.result().equity == Decimal("100000")
        assert len(positions.result()) == 3
    assert time.monotonic() - started < 0.39


@pytest.mark.slow
def test_ten_thousand_positions_over_http(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    from tests.support.fake_alpaca import many_positions

    fake_alpaca.positions = many_positions(10_000)
    positions = make_broker(fake_alpaca.base_url).get_positions()
    assert len(positions) == 10_000
    assert len({p.symbol for p in positions}) == 10_000


def test_orders_are_listed_and_cancelled(fake_alpaca: FakeAlpaca, make_broker: MakeBroker) -> None:
    broker = make_broker(fake_alpaca.base_url)
    fake_alpaca.fill_orders = False  # they stay open
    first = broker.submit_order(
        OrderRequest(symbol="AAPL", side="buy", qty=Decimal(1), client_order_id="c-1")
    )
    broker.submit_order(
        OrderRequest(symbol="TSLA", side="buy", qty=Decimal(2), client_order_id="c-2")
    )
    assert [o.client_order_id for o in broker.list_orders(status="open")] == ["c-2", "c-1"]
    broker.cancel_order(first.id)
    assert fake_alpaca.requests[-1].query == {}
    with pytest.raises(BrokerRejected) as refused:
        broker.cancel_order(first.id)  # canceled already
    assert refused.value.status_code == 422
    with pytest.raises(NotFound):
        broker.cancel_order("no-such-order")
    (result,) = broker.cancel_all_orders()
    assert (result.status_code, result.ok) == (200, True)
    assert broker.list_orders(status="open") == []
    assert len(broker.list_orders(status="all")) == 2


def test_cancel_all_207_is_parsed_per_order(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    from tests.support.fake_alpaca import payload

    fake_alpaca.script(Reply(207, payload("trading/cancel_all_orders_207")), path="/v2/orders")
    ok, missing = make_broker(fake_alpaca.base_url).cancel_all_orders()
    assert (ok.order_id, ok.ok) == ("c7c1b0a5-44a4-4c57-8a0e-8f5f0d0c2b61", True)
    assert (missing.status_code, missing.ok, missing.error) == (404, False, "order not found")
