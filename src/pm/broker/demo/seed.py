"""The demo account as it starts: about $100k across sectors, a short, crypto and some dust.

The seed is a constant, not a function of the date it is first used, so every new demo
account starts identical; at base prices equity is exactly $100,000.00.
"""

from __future__ import annotations

from decimal import Decimal

from pm.broker.demo.book import DemoBook, Holding
from pm.broker.demo.universe import UNIVERSE

DEMO_ACCOUNT_ID = "demo-00000000-0000-4000-8000-000000000001"
DEMO_ACCOUNT_NUMBER = "DEMO000001"
DEMO_IDENTITY = "demo"  # the demo account is the same everywhere: no credentials to tell apart

SEED_CASH = Decimal("26945.00")

# symbol, qty, avg entry price. Base prices and sectors live in universe.UNIVERSE.
SEED_HOLDINGS: tuple[tuple[str, Decimal, Decimal], ...] = (
    ("AAPL", Decimal("45"), Decimal("198.40")),
    ("MSFT", Decimal("18"), Decimal("405.10")),
    ("NVDA", Decimal("60"), Decimal("96.25")),
    ("GOOGL", Decimal("40"), Decimal("162.30")),
    ("AMZN", Decimal("35"), Decimal("185.70")),
    ("JPM", Decimal("28"), Decimal("211.55")),
    ("JNJ", Decimal("40"), Decimal("161.20")),
    ("XOM", Decimal("50"), Decimal("119.80")),
    ("PG", Decimal("35"), Decimal("158.90")),
    ("CAT", Decimal("15"), Decimal("331.00")),
    ("BTCUSD", Decimal("0.1"), Decimal("58250.00")),
    ("TSLA", Decimal("-12"), Decimal("262.40")),
    ("NEE", Decimal("0.00004"), Decimal("70.15")),
)


def seed_book(account_id: str = DEMO_ACCOUNT_ID) -> DemoBook:
    """A fresh copy of the starting book (callers may mutate it)."""
    holdings: dict[str, Holding] = {}
    for symbol, qty, avg in SEED_HOLDINGS:
        instrument = UNIVERSE[symbol]
        holdings[symbol] = Holding(
            symbol=symbol,
            asset_id=instrument.asset_id,
            asset_class=instrument.asset_class,
            qty=qty,
            avg_entry_price=avg,
        )
    return DemoBook(account_id=account_id, cash=SEED_CASH, holdings=holdings)
