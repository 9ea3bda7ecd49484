"""Properties of synced data: whatever round trips an account made, once its activities are
synced (wire dicts paged oldest first, parsed, committed page by page) the realized P/L of
the FIFO lots equals the cash the closed round trips brought in, and every fill is stored
once."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pm.broker.alpaca.activities import parse_activities
from pm.broker.demo.activities import fill_activity_id
from pm.db.engine import Database
from pm.domain.ledger import ActivityKind, ActivityPage
from pm.domain.lots import match_fifo
from pm.services import trades
from tests.support.clocks import FakeClock
from tests.support.fake_alpaca import activities_page

T0 = datetime(2024, 1, 2, 15, tzinfo=UTC)
_accounts = itertools.count()


class WireBroker:
    """Just the activities of a broker: wire dicts paged as Alpaca pages them."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def get_activities(
        self,
        kind: ActivityKind,
        *,
        page_token: str | None,
        after: date | None = None,
        page_size: int = 100,
    ) -> ActivityPage:
        query = {"direction": ["asc"], "page_size": [str(page_size)]}
        query["activity_types" if kind == "fill" else "category"] = (
            ["FILL"] if kind == "fill" else ["non_trade_activity"]
        )
        if page_token:
            query["page_token"] = [page_token]
        return parse_activities(activities_page(self.items, query))


@pytest.fixture(scope="module")
def db(module_database: Database) -> Database:
    return module_database


qtys = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@st.composite
def round_trip(draw: st.DrawFn) -> tuple[str, str, list[tuple[Decimal, Decimal]], list[Any]]:
    """One symbol opened in chunks (long or short) and closed in chunks to flat."""
    symbol = draw(st.sampled_from(["AAPL", "TSLA", "BTC/USD"]))
    side = draw(st.sampled_from(["buy", "sell_short"]))
    opens = draw(st.lists(st.tuples(qtys, prices), min_size=1, max_size=4))
    total = sum((q for q, _ in opens), Decimal(0))
    cuts = sorted(set(draw(st.lists(st.integers(1, 99), max_size=3))))
    parts = [total * c / 100 for c in cuts]
    edges = [Decimal(0), *(p.quantize(Decimal("0.0001")) for p in parts), total]
    closes = [(hi - lo, draw(prices)) for lo, hi in itertools.pairwise(edges) if hi - lo > 0]
    return symbol, side, opens, closes


def wire_fills(trips: list[Any]) -> tuple[list[dict[str, Any]], Decimal]:
    """Wire FILL activities of the round trips, and the cash they brought in."""
    items: list[dict[str, Any]] = []
    cash = Decimal(0)
    at = T0
    for symbol, side, opens, closes in trips:
        close_side = "sell" if side == "buy" else "buy"
        for chosen, chunks in ((side, opens), (close_side, closes)):
            for qty, price in chunks:
                at += timedelta(minutes=7, milliseconds=13)
                n = len(items)
                items.append(
                    {
                        "id": fill_activity_id(at, str(n)),
                        "activity_type": "FILL",
                        "transaction_time": at.isoformat().replace("+00:00", "Z"),
                        "type": "fill",
                        "price": str(price),
                        "qty": str(qty),
                        "side": chosen,
                        "symbol": symbol,
                        "order_id": f"o{n}",
                    }
                )
                cash += qty * price * (1 if chosen in ("sell", "sell_short") else -1)
    return items, cash


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trips=st.lists(round_trip(), min_size=1, max_size=6), page_size=st.integers(1, 7))
def test_realized_pl_is_the_cash_of_closed_round_trips(
    db: Database, trips: list[Any], page_size: int
) -> None:
    account = f"acct-prop-{next(_accounts)}"
    repo = db.repository()
    items, cash = wire_fills(trips)
    broker = WireBroker(items)
    clock = FakeClock(T0)
    done = trades.sync(broker, repo, account, clock, page_size=page_size)  # type: ignore[arg-type]
    again = trades.sync(broker, repo, account, clock, page_size=page_size)  # type: ignore[arg-type]
    assert done.new_fills == len(items)
    assert again.new_fills == 0
    lots = match_fifo(repo.ledger.fills(account))
    assert lots.open == ()
    assert lots.realized_pl == cash
    assert trades.realized(repo, account).pl == cash
