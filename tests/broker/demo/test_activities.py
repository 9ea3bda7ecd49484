"""The demo's activities: its seeded history and a FILL activity per own order, paged by id
oldest first as Alpaca pages them; a given history replaces the stand-in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pm.broker.demo import history
from pm.broker.demo.broker import DemoBroker
from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.domain.ledger import CashActivity, Fill
from pm.domain.lots import match_fifo

from .fakes import FixedClock, MemoryStore, at


def all_fills(broker: DemoBroker, page_size: int) -> list[Fill]:
    fills: list[Fill] = []
    token = None
    while True:
        page = broker.get_activities("fill", page_token=token, page_size=page_size)
        fills += page.fills
        if page.count < page_size:
            return fills
        token = page.last_id


def test_seeded_openings_then_own_orders_paged_oldest_first() -> None:
    broker = DemoBroker(MemoryStore(), FixedClock(at(2025, 3, 12)))
    order = broker.close_position("AAPL", qty=Decimal(5))
    fills = all_fills(broker, page_size=5)
    assert len(fills) == len(history.fills(DEMO_ACCOUNT_ID, date(2025, 3, 12))) + 1
    assert [f.fill_id for f in fills] == sorted(f.fill_id for f in fills)
    assert len({f.fill_id for f in fills}) == len(fills)
    (last,) = [f for f in fills if f.broker_order_id == order.id]
    assert (last.symbol, last.side, last.qty, last.price, last.broker_order_id) == (
        "AAPL",
        "sell",
        Decimal(5),
        order.filled_avg_price,
        order.id,
    )
    assert order.filled_avg_price is not None
    lots = match_fifo(fills)
    aapl = [lot for lot in lots.closed if lot.symbol == "AAPL"]
    assert sum(lot.realized_pl for lot in aapl) == (order.filled_avg_price - Decimal("198.40")) * 5
    # the seed's holdings are what the openings leave open
    open_qty = {lot.symbol: lot.qty for lot in lots.open}
    assert open_qty["AAPL"] == 22
    assert open_qty["TSLA"] == 12


def test_a_given_history_is_used() -> None:
    deposit = CashActivity("20240102000000000::d", "CSD", date(2024, 1, 2), Decimal(10))
    broker = DemoBroker(MemoryStore(), FixedClock(at(2025, 3, 12)), history=lambda: ([], [deposit]))
    assert broker.get_activities("fill", page_token=None).count == 0
    page = broker.get_activities("cash", page_token=None)
    assert page.cash == (deposit,)
    assert broker.get_activities("cash", page_token=page.last_id).count == 0
