from __future__ import annotations

from decimal import Decimal

import pytest

from pm.broker.demo.broker import DEMO_ACCOUNT_ID, DemoBroker
from pm.broker.demo.prices import price_on
from pm.broker.demo.universe import UNIVERSE
from pm.domain.errors import BrokerRejected, NotFound
from pm.domain.models import OrderRequest

from .fakes import FixedClock, MemoryStore, at

WED = at(2025, 3, 12)
TODAY = WED.date()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def broker(store: MemoryStore) -> DemoBroker:
    b = DemoBroker(store, FixedClock(WED))
    b.get_account()  # seed
    store.saves.clear()
    return b


def price(symbol: str) -> Decimal:
    return price_on(UNIVERSE[symbol], TODAY)


def buy(symbol: str, qty: str, coid: str) -> OrderRequest:
    return OrderRequest(symbol=symbol, side="buy", qty=Decimal(qty), client_order_id=coid)


def sell(symbol: str, qty: str, coid: str) -> OrderRequest:
    return OrderRequest(symbol=symbol, side="sell", qty=Decimal(qty), client_order_id=coid)


def test_buy_then_sell_round_trip(broker: DemoBroker, store: MemoryStore) -> None:
    cash0 = broker.get_account().cash
    p = price("META")
    order = broker.submit_order(buy("META", "3", "b1"))
    assert order.status == "filled"
    assert order.filled_qty == Decimal(3)
    assert order.filled_avg_price == p
    assert order.filled_at == WED
    assert order.symbol == "META"
    position = broker.get_position("META")
    assert position.qty == Decimal(3)
    assert position.avg_entry_price == p
    assert broker.get_account().cash == cash0 - 3 * p

    broker.submit_order(sell("META", "3", "s1"))
    assert broker.get_account().cash == cash0
    with pytest.raises(NotFound):
        broker.get_position("META")
    assert len(store.saves) == 2
    assert [o.client_order_id for _, orders in store.saves for o in orders] == ["b1", "s1"]


def test_adding_recomputes_average_entry(broker: DemoBroker) -> None:
    before = broker.get_position("AAPL")
    broker.submit_order(buy("AAPL", "5", "b1"))
    after = broker.get_position("AAPL")
    assert after.qty == before.qty + 5
    expected = (before.qty * before.avg_entry_price + 5 * price("AAPL")) / after.qty
    assert abs(after.avg_entry_price - expected) < Decimal("0.000000001")


def test_reducing_keeps_average_entry(broker: DemoBroker) -> None:
    before = broker.get_position("AAPL")
    broker.submit_order(sell("AAPL", "5", "s1"))
    after = broker.get_position("AAPL")
    assert after.qty == before.qty - 5
    assert after.avg_entry_price == before.avg_entry_price


def test_selling_through_zero_flips_to_short(broker: DemoBroker) -> None:
    held = broker.get_position("XOM").qty
    broker.submit_order(sell("XOM", str(held + 10), "s1"))
    xom = broker.get_position("XOM")
    assert xom.qty == Decimal(-10)
    assert xom.side == "short"
    assert xom.avg_entry_price == price("XOM")


def test_buying_to_cover_a_short(broker: DemoBroker) -> None:
    cash0 = broker.get_account().cash
    broker.submit_order(buy("TSLA", "12", "c1"))
    with pytest.raises(NotFound):
        broker.get_position("TSLA")
    assert broker.get_account().cash == cash0 - 12 * price("TSLA")


def test_notional_order(broker: DemoBroker) -> None:
    request = OrderRequest(symbol="KO", side="buy", notional=Decimal(500), client_order_id="n1")
    order = broker.submit_order(request)
    p = price("KO")
    expected_qty = (Decimal(500) / p).quantize(Decimal("0.000000001"), rounding="ROUND_DOWN")
    assert order.qty is None
    assert order.notional == Decimal(500)
    assert order.filled_qty == expected_qty
    assert broker.get_position("KO").qty == expected_qty


def test_crypto_by_slash_symbol(broker: DemoBroker) -> None:
    before = broker.get_position("BTCUSD").qty
    order = broker.submit_order(buy("BTC/USD", "0.01", "c1"))
    assert order.symbol == "BTC/USD"
    assert broker.get_position("BTCUSD").qty == before + Decimal("0.01")


def test_crypto_cannot_be_sold_short(broker: DemoBroker, store: MemoryStore) -> None:
    with pytest.raises(BrokerRejected, match="insufficient balance for BTC") as info:
        broker.submit_order(sell("BTCUSD", "1", "x"))
    assert info.value.status_code == 403
    assert store.saves == []


def test_insufficient_buying_power_writes_nothing(broker: DemoBroker, store: MemoryStore) -> None:
    before = store.states[DEMO_ACCOUNT_ID]
    with pytest.raises(BrokerRejected, match="insufficient buying power") as info:
        broker.submit_order(buy("NVDA", "10000", "big"))
    assert info.value.status_code == 403
    assert store.saves == []
    assert store.states[DEMO_ACCOUNT_ID] == before
    assert broker.get_order_by_client_id("big") is None


def test_buying_power_limit_is_the_documented_rule(broker: DemoBroker) -> None:
    bp = broker.get_account().buying_power
    p = price("KO")
    affordable = int(bp / p)
    with pytest.raises(BrokerRejected):
        broker.submit_order(buy("KO", str(affordable + 1), "too-much"))
    broker.submit_order(buy("KO", str(affordable), "just-enough"))


def test_idempotent_by_client_order_id(broker: DemoBroker, store: MemoryStore) -> None:
    first = broker.submit_order(buy("AAPL", "1", "same"))
    qty = broker.get_position("AAPL").qty
    again = broker.submit_order(buy("AAPL", "1", "same"))
    assert again == first
    assert broker.get_position("AAPL").qty == qty
    assert len(store.saves) == 1
    assert broker.get_order_by_client_id("same") == first
    assert broker.get_order_by_client_id("other") is None


def test_unknown_symbol(broker: DemoBroker, store: MemoryStore) -> None:
    with pytest.raises(NotFound, match="asset ZZZZ not found"):
        broker.submit_order(buy("ZZZZ", "1", "z"))
    assert store.saves == []


def test_orders_it_cannot_fill_at_once_are_rejected(broker: DemoBroker) -> None:
    """A limit the day's price has not reached, or another order type: the demo keeps no
    resting orders."""
    for coid, side, kind, limit in (
        ("l1", "buy", "limit", price("AAPL") - Decimal("0.01")),
        ("l2", "sell", "limit", price("AAPL") + Decimal("0.01")),
        ("l3", "buy", "stop", price("AAPL")),
    ):
        request = OrderRequest(
            symbol="AAPL",
            side=side,  # type: ignore[arg-type]
            qty=Decimal(1),
            client_order_id=coid,
            type=kind,
            limit_price=limit,
        )
        with pytest.raises(BrokerRejected, match="limit orders at or beyond") as info:
            broker.submit_order(request)
        assert info.value.status_code == 422


@pytest.mark.parametrize(("side", "beyond"), [("buy", "0.50"), ("sell", "-0.50"), ("buy", "0")])
def test_a_marketable_limit_order_fills_at_the_days_price(
    broker: DemoBroker, side: str, beyond: str
) -> None:
    request = OrderRequest(
        symbol="AAPL",
        side=side,  # type: ignore[arg-type]
        qty=Decimal(2),
        client_order_id=f"m-{side}-{beyond}",
        type="limit",
        limit_price=price("AAPL") + Decimal(beyond),
    )
    order = broker.submit_order(request)
    assert (order.type, order.status) == ("limit", "filled")
    assert (order.filled_qty, order.filled_avg_price) == (Decimal(2), price("AAPL"))


@pytest.mark.parametrize(
    ("qty", "notional", "message"),
    [
        (None, None, "qty or notional is required"),
        (Decimal(1), Decimal(100), "only one of qty or notional"),
        (Decimal(0), None, "qty must be > 0"),
        (None, Decimal(-5), "notional must be > 0"),
    ],
)
def test_malformed_orders_rejected(
    broker: DemoBroker, qty: Decimal | None, notional: Decimal | None, message: str
) -> None:
    request = OrderRequest(
        symbol="AAPL", side="buy", qty=qty, notional=notional, client_order_id="m"
    )
    with pytest.raises(BrokerRejected, match=message) as info:
        broker.submit_order(request)
    assert info.value.status_code == 422


def test_first_order_on_an_empty_store_seeds_and_fills_in_one_save() -> None:
    store = MemoryStore()
    broker = DemoBroker(store, FixedClock(WED))
    broker.submit_order(buy("AAPL", "1", "first"))
    assert len(store.saves) == 1
    assert store.states[DEMO_ACCOUNT_ID].holdings["AAPL"].qty == Decimal(28)  # seed 27, +1


def test_close_position_partial_by_qty(broker: DemoBroker, store: MemoryStore) -> None:
    cash0 = broker.get_account().cash
    order = broker.close_position("AAPL", qty=Decimal(5))
    assert order.side == "sell"
    assert order.filled_qty == Decimal(5)
    assert order.status == "filled"
    assert broker.get_position("AAPL").qty == Decimal(22)
    assert broker.get_account().cash == cash0 + 5 * price("AAPL")
    assert len(store.saves) == 1
    assert broker.get_order_by_client_id(order.client_order_id) == order


def test_close_position_partial_by_percentage(broker: DemoBroker) -> None:
    order = broker.close_position("AAPL", percentage=Decimal(20))
    assert order.filled_qty == Decimal("5.4")  # 20 % of 27, fractional as Alpaca's
    assert broker.get_position("AAPL").qty == Decimal("21.6")


def test_close_short_buys_to_cover(broker: DemoBroker) -> None:
    order = broker.close_position("TSLA", percentage=Decimal(50))
    assert order.side == "buy"
    assert broker.get_position("TSLA").qty == Decimal(-6)
    broker.close_position("TSLA")
    with pytest.raises(NotFound):
        broker.get_position("TSLA")


def test_close_crypto_by_alias(broker: DemoBroker) -> None:
    order = broker.close_position("BTC/USD")
    assert order.symbol == "BTC/USD"
    with pytest.raises(NotFound):
        broker.get_position("BTCUSD")


def test_repeated_closes_get_distinct_client_ids(broker: DemoBroker) -> None:
    first = broker.close_position("AAPL", qty=Decimal(1))
    broker.submit_order(buy("AAPL", "1", "rebuy"))  # back to the same cash and qty
    second = broker.close_position("AAPL", qty=Decimal(1))
    assert first.client_order_id != second.client_order_id
    assert broker.get_position("AAPL").qty == Decimal(26)


def test_close_position_errors(broker: DemoBroker, store: MemoryStore) -> None:
    with pytest.raises(NotFound, match="no open position in META"):
        broker.close_position("META")
    with pytest.raises(BrokerRejected, match="insufficient qty") as info:
        broker.close_position("AAPL", qty=Decimal(1000))
    assert info.value.status_code == 403
    with pytest.raises(BrokerRejected):
        broker.close_position("AAPL", percentage=Decimal(150))
    with pytest.raises(BrokerRejected):
        broker.close_position("AAPL", qty=Decimal(1), percentage=Decimal(10))
    assert store.saves == []


def test_close_all_empties_the_book(broker: DemoBroker, store: MemoryStore) -> None:
    account0 = broker.get_account()
    symbols = {p.symbol for p in broker.get_positions()}
    results = broker.close_all_positions(cancel_orders=True)
    assert {r.symbol for r in results} == symbols
    assert all(r.ok and r.status_code == 200 and r.order is not None for r in results)
    assert len({r.order.client_order_id for r in results if r.order}) == len(results)
    assert broker.get_positions() == []
    account = broker.get_account()
    assert account.long_market_value == 0
    assert account.short_market_value == 0
    assert account.equity == account.cash
    # only cent rounding of each fill separates cash from the equity before closing
    assert abs(account.cash - account0.equity) < Decimal("0.01") * len(results)
    assert len(store.saves) == 1
    assert broker.close_all_positions(cancel_orders=False) == []
    assert len(store.saves) == 1


def test_orders_are_listed_and_none_is_ever_open(broker: DemoBroker) -> None:
    assert broker.list_orders(status="all") == []
    first = broker.submit_order(buy("AAPL", "1", "pm-close-1-0-aa"))
    second = broker.close_position("AAPL", qty=Decimal(1))
    assert broker.list_orders(status="open") == []  # demo orders fill at once
    assert [o.id for o in broker.list_orders(status="all")] == [second.id, first.id]
    assert broker.cancel_all_orders() == []
    with pytest.raises(BrokerRejected) as refused:
        broker.cancel_order(first.id)
    assert refused.value.status_code == 422
    with pytest.raises(NotFound):
        broker.cancel_order("no-such-order")
