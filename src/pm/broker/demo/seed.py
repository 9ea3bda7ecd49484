"""The demo account as it starts: $100k in 15 stocks, a short, some bitcoin and some dust.

Sized to the default risk limits (5 % a position, 25 % a sector), as a careful account
would be: most positions are about 3.2 % of equity and stay below the 4 % warning line as
demo prices move. Two are there to show the features: AAPL, at 6.2 %, breaches the position
limit (`pm risk` exits 1, `pm validate` refuses to buy more); NVDA, at 4.55 %, sits in the
warning zone. The seed is a constant, not a function of the date it is first used, so every
new demo account starts identical; at base prices equity is exactly $100,000.00.
"""

from __future__ import annotations

from decimal import Decimal

from pm.broker.demo.universe import UNIVERSE
from pm.ports import DemoHolding, DemoState

DEMO_ACCOUNT_ID = "demo-00000000-0000-4000-8000-000000000001"
DEMO_ACCOUNT_NUMBER = "DEMO000001"
DEMO_IDENTITY = "demo"  # the demo account is the same everywhere: no credentials to tell apart

SEED_CASH = Decimal("47415.00")

# symbol, qty, avg entry price. Base prices and sectors live in universe.UNIVERSE.
SEED_HOLDINGS: tuple[tuple[str, Decimal, Decimal], ...] = (
    ("AAPL", Decimal("27"), Decimal("198.40")),  # 6.2 %: breaches the 5 % position limit
    ("NVDA", Decimal("35"), Decimal("96.25")),  # 4.55 %: in the warning zone
    ("MSFT", Decimal("8"), Decimal("405.10")),
    ("GOOGL", Decimal("19"), Decimal("162.30")),
    ("AMZN", Decimal("16"), Decimal("185.70")),
    ("HD", Decimal("8"), Decimal("402.15")),
    ("JPM", Decimal("14"), Decimal("211.55")),
    ("V", Decimal("10"), Decimal("288.60")),
    ("JNJ", Decimal("21"), Decimal("161.20")),
    ("UNH", Decimal("6"), Decimal("548.90")),
    ("XOM", Decimal("28"), Decimal("119.80")),
    ("PG", Decimal("20"), Decimal("158.90")),
    ("CAT", Decimal("9"), Decimal("331.00")),
    ("LIN", Decimal("7"), Decimal("437.25")),
    ("AMT", Decimal("15"), Decimal("221.40")),
    ("BTCUSD", Decimal("0.045"), Decimal("58250.00")),
    ("TSLA", Decimal("-12"), Decimal("262.40")),
    ("NEE", Decimal("0.00004"), Decimal("70.15")),  # dust: below 0.0001, never shown
)


def seed_state(account_id: str = DEMO_ACCOUNT_ID) -> DemoState:
    """A fresh copy of the starting state (callers may mutate it)."""
    holdings: dict[str, DemoHolding] = {}
    for symbol, qty, avg in SEED_HOLDINGS:
        instrument = UNIVERSE[symbol]
        holdings[symbol] = DemoHolding(
            symbol=symbol,
            asset_id=instrument.asset_id,
            asset_class=instrument.asset_class,
            qty=qty,
            avg_entry_price=avg,
        )
    return DemoState(account_id=account_id, cash=SEED_CASH, holdings=holdings)
