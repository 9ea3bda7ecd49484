"""The demo's simulated past: consistent with the seed, deterministic, in Alpaca's id forms."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from pm.broker.demo import history
from pm.broker.demo.broker import DemoBroker
from pm.broker.demo.prices import price_on
from pm.broker.demo.seed import DEMO_ACCOUNT_ID, SEED_CASH, SEED_HOLDINGS
from pm.broker.demo.universe import UNIVERSE
from pm.domain import performance as perf
from pm.domain.lots import match_fifo
from pm.domain.market_calendar import MARKET_TZ
from pm.domain.portfolio import DUST_QTY
from tests.broker.demo.fakes import FixedClock, MemoryStore, at

UNTIL = date(2026, 11, 25)
FILL_ID = re.compile(r"\d{17}::[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_fifo_over_the_fills_gives_back_the_seed() -> None:
    lots = match_fifo(history.fills(DEMO_ACCOUNT_ID, UNTIL))
    held: dict[str, Decimal] = defaultdict(Decimal)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for lot in lots.open:
        held[lot.symbol] += lot.qty if lot.side == "long" else -lot.qty
        cost[lot.symbol] += lot.qty * lot.price
    assert dict(held) == {symbol: qty for symbol, qty, _ in SEED_HOLDINGS}
    for symbol, qty, avg in SEED_HOLDINGS:
        assert cost[symbol] / abs(qty) == avg


def test_round_trips_win_and_lose_and_trips_open_on_the_day_are_left_out() -> None:
    stats = perf.trade_stats(match_fifo(history.fills(DEMO_ACCOUNT_ID, UNTIL)).closed)
    assert stats.trades > 40
    assert stats.wins > 5
    assert stats.losses > 5
    assert stats.profit_factor is not None
    for day in (UNTIL - timedelta(days=n) for n in range(25)):
        lots = match_fifo(history.fills(DEMO_ACCOUNT_ID, day))
        assert {lot.symbol for lot in lots.open} == {s for s, _, _ in SEED_HOLDINGS}


def test_ids_are_alpacas_and_stable_across_asked_days() -> None:
    fills = history.fills(DEMO_ACCOUNT_ID, UNTIL)
    assert all(FILL_ID.fullmatch(f.fill_id) for f in fills)
    assert all(f.source == "activity" for f in fills)
    first = fills[0]
    # the prefix is the New York time of the fill to the millisecond
    local = first.transaction_time.astimezone(MARKET_TZ)
    assert first.fill_id.startswith(local.strftime("%Y%m%d%H%M%S"))
    later = {f.fill_id for f in history.fills(DEMO_ACCOUNT_ID, UNTIL + timedelta(days=40))}
    assert {f.fill_id for f in fills} <= later
    cash = history.cash_activities(DEMO_ACCOUNT_ID, UNTIL)
    assert all(re.fullmatch(r"\d{8}000000000::[0-9a-f-]{36}", a.activity_id) for a in cash)
    assert {a.activity_type for a in cash} == {"CSD", "CSW", "DIV", "FEE"}
    assert all(a.net_amount < 0 for a in cash if a.activity_type in ("CSW", "FEE"))
    assert history.fills("someone-else", UNTIL) == []


def test_equity_is_cash_plus_holdings_and_ends_at_the_seed() -> None:
    points = history.equity_series(DEMO_ACCOUNT_ID, UNTIL - timedelta(days=365), UNTIL)
    assert len(points) == 366  # every calendar day: the account holds bitcoin
    value = SEED_CASH + sum(
        (q * price_on(UNIVERSE[s], UNTIL) for s, q, _ in SEED_HOLDINGS if abs(q) >= DUST_QTY),
        Decimal(0),
    )
    assert points[-1].equity == value.quantize(Decimal("0.01"))
    # the flows of the window are the window's deposits and withdrawals
    window = {p.day for p in points}
    cash = history.cash_activities(DEMO_ACCOUNT_ID, UNTIL)
    expected = sum(
        (a.net_amount for a in cash if a.date in window and a.activity_type in ("CSD", "CSW")),
        Decimal(0),
    )
    assert sum((p.point().flow for p in points), Decimal(0)) == expected
    assert expected > 0


def test_demo_broker_history_ends_at_the_live_equity() -> None:
    broker = DemoBroker(MemoryStore(), FixedClock(at(2026, 11, 25)))
    points = broker.get_portfolio_history(date(2026, 10, 1), date(2026, 12, 31))
    assert points[0].day == date(2026, 10, 1)
    assert points[-1].day == date(2026, 11, 25)  # nothing after today
    assert points[-1].equity == broker.get_account().equity.quantize(Decimal("0.01"))
