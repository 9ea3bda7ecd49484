"""FIFO lots: the reference story (Alpaca's activities pages) and the conservation laws."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pm.domain.ledger import Fill
from pm.domain.lots import ClosedLot, OpenLot, long_term_from, match_fifo

T0 = datetime(2024, 11, 5, 15, tzinfo=UTC)


def fill(n: int, symbol: str, side: str, qty: str, price: str, days: float = 0) -> Fill:
    return Fill(
        fill_id=f"f{n:04d}",
        symbol=symbol,
        side="buy" if side == "buy" else "sell",
        qty=Decimal(qty),
        price=Decimal(price),
        transaction_time=T0 + timedelta(days=days, seconds=n),
        source="activity",
    )


def test_the_reference_story() -> None:
    """alpaca-reference/trading/activities_fill_page*.json: AAPL 20 @ 222.62, then 12 @ 225.95
    and 18 @ 226, then 15 sold @ 229.02 closes 15 of the first lot (+96.00); TSLA shorted 5 @
    330.10 and covered @ 345.20 (-75.50)."""
    lots = match_fifo(
        [
            fill(1, "AAPL", "buy", "20", "222.62"),
            fill(2, "AAPL", "buy", "12", "225.95", 2),
            fill(3, "AAPL", "buy", "18", "226", 2),
            fill(4, "TSLA", "sell", "5", "330.10", 8),
            fill(5, "AAPL", "sell", "15", "229.02", 13),
            fill(6, "TSLA", "buy", "5", "345.20", 15),
        ]
    )
    aapl = [lot for lot in lots.closed if lot.symbol == "AAPL"]
    assert [(lot.qty, lot.realized_pl) for lot in aapl] == [(Decimal(15), Decimal("96.00"))]
    (tsla,) = [lot for lot in lots.closed if lot.symbol == "TSLA"]
    assert (tsla.side, tsla.realized_pl, tsla.holding_days) == ("short", Decimal("-75.50"), 7)
    assert lots.realized_pl == Decimal("20.50")
    assert [(lot.qty, lot.price) for lot in lots.open] == [
        (Decimal(5), Decimal("222.62")),
        (Decimal(12), Decimal("225.95")),
        (Decimal(18), Decimal("226")),
    ]


def test_a_sell_past_the_long_opens_a_short_with_the_rest() -> None:
    lots = match_fifo([fill(1, "X", "buy", "10", "5"), fill(2, "X", "sell", "15", "6", 1)])
    assert [(lot.qty, lot.realized_pl) for lot in lots.closed] == [(Decimal(10), Decimal(10))]
    assert [(lot.side, lot.qty, lot.price) for lot in lots.open] == [
        ("short", Decimal(5), Decimal(6))
    ]


def test_long_term_starts_the_day_after_the_anniversary() -> None:
    assert long_term_from(datetime(2024, 3, 5).date()) == datetime(2025, 3, 6).date()
    assert long_term_from(datetime(2024, 2, 29).date()) == datetime(2025, 3, 1).date()
    held = match_fifo([fill(1, "X", "buy", "1", "1"), fill(2, "X", "sell", "1", "2", 366)])
    brief = match_fifo([fill(1, "X", "buy", "1", "1"), fill(2, "X", "sell", "1", "2", 365)])
    assert (held.closed[0].term, brief.closed[0].term) == ("long", "short")


def test_a_short_lots_gain_is_short_term_however_long_it_was_held() -> None:
    """US rules as `pm tax` applies them: a short sale's gain is short term."""
    covered = match_fifo([fill(1, "X", "sell", "1", "2"), fill(2, "X", "buy", "1", "1", 800)])
    assert (covered.closed[0].side, covered.closed[0].holding_days) == ("short", 800)
    assert covered.closed[0].term == "short"


trades = st.lists(
    st.tuples(
        st.sampled_from(["AAPL", "BTCUSD"]),
        st.sampled_from(["buy", "sell"]),
        st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal(500), places=9),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2),
    ),
    max_size=40,
)


@given(trades)
def test_lots_conserve_quantity_and_cash(rows: list[tuple[str, str, Decimal, Decimal]]) -> None:
    fills = [fill(n, s, side, str(q), str(p), n) for n, (s, side, q, p) in enumerate(rows)]
    lots = match_fifo(fills)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for f in fills:
        net[f.symbol] += f.qty if f.side == "buy" else -f.qty
    held: dict[str, Decimal] = defaultdict(Decimal)
    for lot in lots.open:
        held[lot.symbol] += lot.qty if lot.side == "long" else -lot.qty
    assert {s: q for s, q in held.items() if q} == {s: q for s, q in net.items() if q}
    assert all(len({lot.side for lot in lots.open if lot.symbol == s}) <= 1 for s in net)
    # The cash of every fill, less the cost of what is still open, is the realized P/L.
    cash = sum(((f.price if f.side == "sell" else -f.price) * f.qty for f in fills), Decimal(0))
    still_open = sum(
        ((-1 if lot.side == "long" else 1) * lot.qty * lot.price for lot in lots.open), Decimal(0)
    )
    assert cash - still_open == lots.realized_pl


def test_terms_and_holding_days_count_new_york_trade_dates() -> None:
    """Bought at 21:00 New York time (02:00 UTC the next day), sold a year later at 10:00: by
    New York trade dates, as `pm tax lots` counts them, the lot is held 366 days and long term
    (by UTC dates it would be 365 days and short term)."""
    bought_at = datetime(2024, 3, 6, 2, 0, tzinfo=UTC)  # 2024-03-05 21:00 in New York
    sold_at = datetime(2025, 3, 6, 15, 0, tzinfo=UTC)  # 2025-03-06 10:00 in New York
    bought = Fill("b", "BTCUSD", "buy", Decimal(1), Decimal(1), bought_at, "activity")
    sold = Fill("s", "BTCUSD", "sell", Decimal(1), Decimal(2), sold_at, "activity")
    (lot,) = match_fifo([bought, sold]).closed
    assert lot.holding_days == 366
    assert lot.term == "long"


def reference_fifo(fills: list[Fill]) -> tuple[list[ClosedLot], list[OpenLot]]:
    """FIFO spelled out plainly: each lot keeps its own side, every lot is checked."""
    queues: dict[str, list[list[Any]]] = {}
    closed: list[ClosedLot] = []
    for f in sorted(fills, key=lambda f: (f.transaction_time, f.fill_id)):
        queue = queues.setdefault(f.symbol, [])
        side = "long" if f.side == "buy" else "short"
        left = f.qty
        while left > 0 and queue and queue[0][2] != side:
            opening, lot_left, lot_side = queue[0]
            taken = min(lot_left, left)
            if taken == lot_left:
                queue.pop(0)
            else:
                queue[0][1] = lot_left - taken
            closed.append(
                ClosedLot(
                    f.symbol,
                    lot_side,
                    taken,
                    opening.price,
                    f.price,
                    opening.transaction_time,
                    f.transaction_time,
                    opening.fill_id,
                    f.fill_id,
                )
            )
            left -= taken
        if left > 0:
            queue.append([f, left, side])
    still_open = [
        OpenLot(o.symbol, side, left, o.price, o.transaction_time, o.fill_id)
        for queue in queues.values()
        for o, left, side in queue
    ]
    return closed, still_open


@given(trades, st.randoms(use_true_random=False))
def test_matching_equals_the_plain_fifo_in_any_input_order(
    rows: list[tuple[str, str, Decimal, Decimal]], rng: Random
) -> None:
    # a few fills share a time (ties go by fill id); the input order is shuffled
    fills = [fill(n, s, side, str(q), str(p), n // 3) for n, (s, side, q, p) in enumerate(rows)]
    fills = [replace(f, transaction_time=T0 + timedelta(days=n // 3)) for n, f in enumerate(fills)]
    closed, still_open = reference_fifo(fills)
    shuffled = fills[:]
    rng.shuffle(shuffled)
    lots = match_fifo(shuffled)
    assert list(lots.closed) == closed
    assert list(lots.open) == still_open
