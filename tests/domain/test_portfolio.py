"""The snapshot arithmetic and the dust filter, by example and by property."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pm.domain.models import Account, Position, Source
from pm.domain.money import pct
from pm.domain.portfolio import DUST_QTY, build_snapshot, drop_dust, is_dust
from tests.support.positions import position as build

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LIVE = Source(type="live", broker="alpaca", fetched_at=NOW)


def account(equity: str = "100000", last_equity: str = "99450") -> Account:
    return Account(
        account_id="acct",
        account_number="PA1",
        status="ACTIVE",
        currency="USD",
        equity=Decimal(equity),
        last_equity=Decimal(last_equity),
        cash=Decimal("67295"),
        buying_power=Decimal("132895"),
        long_market_value=Decimal("33905"),
        short_market_value=Decimal("-1200"),
    )


def position(symbol: str, qty: str, unrealized: str = "0") -> Position:
    return build(symbol, qty, "11", "10", unrealized_pl=Decimal(unrealized))


def test_daily_and_total_pl_by_hand() -> None:
    held = [
        position("AAPL", "10", "105.00"),
        position("TSLA", "-5", "50"),
        position("X", "1", "-0.01"),
    ]
    snap = build_snapshot(account(), held, realized_pl=Decimal("12.34"), source=LIVE)
    assert snap.daily_pl == Decimal("550")
    assert snap.daily_pl_pct == Decimal("0.5530")  # 550 / 99450 = 0.0055304...
    assert snap.unrealized_pl == Decimal("154.99")
    assert snap.realized_pl == Decimal("12.34")
    assert snap.realized_pl_available is True
    assert snap.total_pl == Decimal("167.33")
    assert (snap.positions_count, snap.long_count, snap.short_count) == (3, 2, 1)
    assert snap.timestamp == NOW


def test_no_trade_history_means_zero_realized_and_says_so() -> None:
    snap = build_snapshot(account(), [position("A", "1", "5")], realized_pl=None, source=LIVE)
    assert snap.realized_pl == 0
    assert snap.realized_pl_available is False
    assert snap.total_pl == Decimal("5")


def test_a_loss_day_and_a_zero_last_equity() -> None:
    assert build_snapshot(
        account("99000", "100000"), [], realized_pl=None, source=LIVE
    ).daily_pl_pct == Decimal("-1.0000")
    assert build_snapshot(account("5", "0"), [], realized_pl=None, source=LIVE).daily_pl_pct is None


def test_dust_is_below_a_ten_thousandth_either_side() -> None:
    assert is_dust(position("D", "0.00009999"))
    assert is_dust(position("D", "-0.00005"))
    assert not is_dust(position("D", "0.0001"))
    assert not is_dust(position("D", "-0.0001"))
    snap = build_snapshot(
        account(),
        [position("A", "1", "5"), position("D", "0.00001", "1000")],
        realized_pl=None,
        source=LIVE,
    )
    assert snap.positions_count == 1
    assert snap.unrealized_pl == Decimal("5")  # dust's P/L is not counted


quantities = st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False)
money = st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False)


@given(st.lists(st.tuples(quantities, money), max_size=30), money, money)
def test_snapshot_invariants(
    rows: list[tuple[Decimal, Decimal]], equity: Decimal, last: Decimal
) -> None:
    held = [position(f"S{i}", str(q), str(u)) for i, (q, u) in enumerate(rows) if q != 0]
    snap = build_snapshot(account(str(equity), str(last)), held, realized_pl=None, source=LIVE)
    kept = [p for p in held if abs(p.qty) >= DUST_QTY]
    assert snap.positions_count == len(kept) == snap.long_count + snap.short_count
    assert snap.unrealized_pl == sum((p.unrealized_pl for p in kept), Decimal(0))
    assert snap.daily_pl == equity - last
    assert snap.total_pl == snap.realized_pl + snap.unrealized_pl
    assert drop_dust(held) == kept


@given(money, st.decimals(min_value=Decimal("0.01"), max_value=10**7, places=2))
def test_pct_is_the_ratio_in_percent_to_four_places(part: Decimal, whole: Decimal) -> None:
    result = pct(part, whole)
    assert result is not None
    assert result.as_tuple().exponent == -4
    assert abs(result - part / whole * 100) <= Decimal("0.00005")
