"""The demo's activities: its seeded history and a FILL activity per own order, paged by id
oldest first as Alpaca pages them; a given history replaces the stand-in."""

from __future__ import annotations

from decimal import Decimal

from pm.broker.demo.activities import SEED_OPENED, seed_openings
from pm.broker.demo.broker import DemoBroker
from pm.broker.demo.seed import SEED_CASH, SEED_HOLDINGS
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
    assert len(fills) == len(SEED_HOLDINGS) + 1
    assert [f.fill_id for f in fills] == sorted(f.fill_id for f in fills)
    assert len({f.fill_id for f in fills}) == len(fills)
    last = fills[-1]
    assert (last.symbol, last.side, last.qty, last.price, last.broker_order_id) == (
        "AAPL",
        "sell",
        Decimal(5),
        order.filled_avg_price,
        order.id,
    )
    assert order.filled_avg_price is not None
    lots = match_fifo(fills)
    assert lots.realized_pl == (order.filled_avg_price - Decimal("198.40")) * 5
    # the seed's holdings are what the openings leave open
    open_qty = {lot.symbol: lot.qty for lot in lots.open}
    assert open_qty["AAPL"] == 22
    assert open_qty["TSLA"] == 12


def test_the_stand_in_history_deposits_what_the_seed_holds() -> None:
    fills, (deposit,) = seed_openings()
    cost = sum((f.qty * f.price * (1 if f.side == "buy" else -1) for f in fills), Decimal(0))
    assert deposit.net_amount == SEED_CASH + cost
    assert deposit.date == SEED_OPENED.date()
    assert all(f.transaction_time == SEED_OPENED for f in fills)


def test_a_given_history_is_used() -> None:
    deposit = CashActivity("20240102000000000::d", "CSD", SEED_OPENED.date(), Decimal(10))
    broker = DemoBroker(MemoryStore(), FixedClock(at(2025, 3, 12)), history=lambda: ([], [deposit]))
    assert broker.get_activities("fill", page_token=None).count == 0
    page = broker.get_activities("cash", page_token=None)
    assert page.cash == (deposit,)
    assert broker.get_activities("cash", page_token=page.last_id).count == 0
