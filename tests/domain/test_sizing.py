"""Kelly sizing: the product's formula, negative Kelly, the caps, stats from closed lots."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.domain.errors import BadInput
from pm.domain.lots import ClosedLot
from pm.domain.sizing import TradeStats, raw_kelly, size, stats_of

D = Decimal
T = datetime(2024, 11, 5, tzinfo=UTC)


def stats(p: str, w: str, loss: str) -> TradeStats:
    return TradeStats(win_rate=D(p), avg_win=D(w), avg_loss=D(loss), trades=None)


def sized(s: TradeStats, **kw: Decimal) -> object:
    args = {
        "fraction": D("0.25"),
        "multiplier": D("0.75"),
        "equity": D(100_000),
        "buying_power": D(200_000),
        "held_value": D(0),
        "max_position_pct": D(5),
    }
    args.update(kw)
    return size(s, **args)


def test_the_products_formula() -> None:
    # (0.55 x 300 - 0.45 x 200) / 300 = (165 - 90) / 300 = 0.25
    assert raw_kelly(stats("0.55", "300", "200")) == D("0.25")
    z = sized(stats("0.55", "300", "200"))
    assert z.kelly_pct == D("4.6875")  # 0.25 x 0.25 x 0.75 x 100
    assert z.suggested_value == D("4687.5")
    assert z.capped_by is None
    assert z.reasons == ()


def test_negative_kelly_is_zero_with_the_reason() -> None:
    z = sized(stats("0.3", "100", "100"))
    assert z.raw_kelly == D("-0.4")
    assert z.suggested_value == 0
    assert "no edge" in z.reasons[0]


def test_no_wins_is_zero() -> None:
    z = sized(stats("0", "0", "50"))
    assert z.suggested_value == 0
    assert "no winning trades" in z.reasons[0]


def test_capped_by_the_room_under_the_position_limit() -> None:
    z = sized(stats("0.7", "200", "100"), multiplier=D("1.25"), held_value=D(2000))
    # raw 0.55 x 0.25 x 1.25 = 17.1875 % > 5 %; room = 5000 - 2000
    assert z.suggested_value == D(3000)
    assert z.capped_by == "position_limit"
    assert z.suggested_pct == D(3)


def test_capped_by_buying_power() -> None:
    z = sized(stats("0.55", "300", "200"), buying_power=D(1000))
    assert z.suggested_value == D(1000)
    assert z.capped_by == "buying_power"


@pytest.mark.parametrize(
    ("p", "w", "loss"), [("1.1", "1", "1"), ("-0.1", "1", "1"), ("0.5", "-1", "1")]
)
def test_bad_stats(p: str, w: str, loss: str) -> None:
    with pytest.raises(BadInput):
        stats(p, w, loss)


def lot(pl: str) -> ClosedLot:
    return ClosedLot(
        symbol="AAPL",
        side="long",
        qty=D(1),
        open_price=D(100),
        close_price=D(100) + D(pl),
        opened_at=T,
        closed_at=T,
        open_fill_id="a",
        close_fill_id="b",
    )


def test_stats_of_closed_lots() -> None:
    s = stats_of([lot("30"), lot("10"), lot("-20"), lot("0")])
    assert s is not None
    assert s.trades == 4
    assert s.win_rate == D("0.5")
    assert s.avg_win == D(20)
    assert s.avg_loss == D(10)  # (20 + 0) / 2: a flat trade counts as a loss of 0
    assert stats_of([]) is None


@given(
    p=st.decimals(min_value=0, max_value=1, places=3),
    w=st.decimals(min_value="0.01", max_value=10_000, places=2),
    loss=st.decimals(min_value=0, max_value=10_000, places=2),
    bp=st.decimals(min_value=0, max_value=1_000_000, places=2),
)
def test_never_above_the_caps_never_negative(p: D, w: D, loss: D, bp: D) -> None:
    z = sized(TradeStats(p, w, loss, None), multiplier=D("1.25"), buying_power=bp)
    assert D(0) <= z.suggested_value <= min(D(5000), bp)
