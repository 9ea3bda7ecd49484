"""Tax rules as pure functions: the wash-sale window at its 30-day boundaries, terms, the
realized gain of a FIFO sell, the harvest of the oldest losing lots, the trim for taxes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from pm.domain.ledger import Fill
from pm.domain.lots import OpenLot, match_fifo
from pm.domain.market_calendar import trade_date
from pm.domain.tax import (
    best_trim,
    buys_in_window,
    estimate_sell,
    fifo_long_lots,
    harvest,
    in_wash_window,
    value_lots,
    wash_sale_of_buy,
    window,
)

SALE = date(2026, 6, 15)
D = Decimal


def _at(day: date, hour: int = 15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def fill(n: int, side: str, qty: str, price: str, day: date, symbol: str = "XYZ") -> Fill:
    return Fill(f"f{n:03d}", symbol, side, D(qty), D(price), _at(day), "activity")  # type: ignore[arg-type]


def lot(qty: str, price: str, day: date, n: int = 0) -> OpenLot:
    return OpenLot("XYZ", "long", D(qty), D(price), _at(day), f"l{n}")


@pytest.mark.parametrize(
    ("offset", "inside"),
    [(-31, False), (-30, True), (-1, True), (0, True), (1, True), (30, True), (31, False)],
)
def test_wash_window_day_30_in_day_31_out(offset: int, inside: bool) -> None:
    assert in_wash_window(SALE + timedelta(days=offset), SALE) is inside
    start, end = window(SALE)
    assert (start <= SALE + timedelta(days=offset) <= end) is inside


@pytest.mark.parametrize(("days_after", "washes"), [(0, True), (30, True), (31, False)])
def test_a_buy_after_a_loss_sale_washes_it_through_day_30(days_after: int, washes: bool) -> None:
    sold = SALE
    fills = [fill(1, "buy", "10", "100", date(2026, 1, 5)), fill(2, "sell", "10", "80", sold)]
    closed = match_fifo(fills).closed
    found = wash_sale_of_buy(closed, "xyz", sold + timedelta(days=days_after))
    assert (found is not None) is washes
    if found is not None:
        assert found.loss == D(-200)
        assert found.days == days_after
        assert "sold at a loss of 200.00" in found.sentence()


def test_a_gain_or_a_buy_before_the_sale_is_no_wash_sale() -> None:
    fills = [fill(1, "buy", "10", "100", date(2026, 1, 5)), fill(2, "sell", "10", "120", SALE)]
    closed = match_fifo(fills).closed
    assert wash_sale_of_buy(closed, "XYZ", SALE + timedelta(days=3)) is None  # a gain
    losing = [fill(1, "buy", "10", "100", date(2026, 1, 5)), fill(2, "sell", "10", "90", SALE)]
    assert wash_sale_of_buy(match_fifo(losing).closed, "XYZ", SALE - timedelta(days=1)) is None
    assert wash_sale_of_buy(match_fifo(losing).closed, "ABC", SALE) is None  # another symbol


def test_trade_dates_are_new_york_dates() -> None:
    # 02:00 UTC on the 16th is still the 15th in New York
    assert trade_date(datetime(2026, 6, 16, 2, tzinfo=UTC)) == date(2026, 6, 15)
    late = Fill("a", "XYZ", "buy", D(1), D(1), datetime(2026, 7, 16, 2, tzinfo=UTC), "activity")
    # 31 UTC days after the sale but day 30 in New York: inside
    assert [f.fill_id for f in buys_in_window([late], "XYZ", SALE)] == ["a"]


def test_buys_in_window_count_the_lot_itself_and_not_older_buys() -> None:
    fills = [
        fill(1, "buy", "5", "100", SALE - timedelta(days=31)),
        fill(2, "buy", "5", "90", SALE - timedelta(days=30)),
        fill(3, "sell", "1", "90", SALE - timedelta(days=2)),
        fill(4, "buy", "1", "90", SALE, symbol="ABC"),
    ]
    assert [f.fill_id for f in buys_in_window(fills, "XYZ", SALE)] == ["f002"]


def test_terms_and_the_day_a_lot_becomes_long_term() -> None:
    today = date(2026, 6, 15)
    lots = [lot("1", "10", date(2025, 6, 15)), lot("1", "10", date(2025, 6, 14), 1)]
    valued = value_lots(lots, {"XYZ": D(12)}, today)
    by_day = {t.lot.opened_at.date(): t for t in valued}
    year_ago = by_day[date(2025, 6, 15)]
    # held exactly one year: still short term, long term from the next day
    assert (year_ago.term, year_ago.long_term_from, year_ago.days_to_long_term) == (
        "short",
        date(2026, 6, 16),
        1,
    )
    assert year_ago.holding_days == 365
    older = by_day[date(2025, 6, 14)]
    assert older.term == "long"
    assert older.days_to_long_term == 0
    assert older.unrealized_gain == D(2)
    assert value_lots(lots, {}, today)[0].unrealized_gain is None  # no price, no gain


def test_a_sell_relieves_the_oldest_lots_first_by_term() -> None:
    today = date(2026, 6, 15)
    lots = [lot("10", "50", date(2024, 1, 2)), lot("10", "120", date(2026, 5, 1), 1)]
    e = estimate_sell(lots, D(15), D(100), today)
    assert (e.long_term, e.short_term, e.total) == (D(500), D(-100), D(400))
    assert e.complete
    partial = estimate_sell(lots, D(25), D(100), today)
    assert (partial.covered, partial.complete) == (D(20), False)


def test_harvest_takes_the_oldest_lots_with_the_most_negative_running_loss() -> None:
    today = SALE
    lots = [
        lot("10", "120", date(2024, 1, 2)),  # -200 at 100
        lot("10", "90", date(2025, 1, 2), 1),  # +100: -100 so far
        lot("10", "130", date(2025, 3, 2), 2),  # -300: -400 so far (the best)
        lot("10", "80", date(2025, 4, 2), 3),  # +200: -200
    ]
    h = harvest(lots, D(100), today, [])
    assert h is not None
    assert h.qty == D(30)
    assert h.estimate.total == D(-400)
    assert h.cost == D(3400)
    assert (h.wash_sale, h.buy_again_from) == (False, SALE + timedelta(days=31))
    capped = harvest(lots, D(100), today, [], held_qty=D(15))
    assert capped is not None
    assert capped.qty == D(10)
    assert harvest([lot("5", "90", date(2024, 1, 2))], D(100), today, []) is None  # a gain


def test_a_harvest_of_a_lot_bought_within_30_days_is_a_wash_sale() -> None:
    bought = SALE - timedelta(days=30)
    fills = [fill(1, "buy", "10", "120", bought)]
    lots = fifo_long_lots(match_fifo(fills).open, "XYZ")
    h = harvest(lots, D(100), SALE, fills)
    assert h is not None
    assert h.wash_sale
    assert "30 days before the sale" in (h.why_wash() or "")
    later = [fill(1, "buy", "10", "120", SALE - timedelta(days=31))]
    h2 = harvest(fifo_long_lots(match_fifo(later).open, "XYZ"), D(100), SALE, later)
    assert h2 is not None
    assert not h2.wash_sale
    older = fifo_long_lots(match_fifo(later).open, "XYZ")
    pending = harvest(older, D(100), SALE, later, open_buy_orders=1)
    assert pending is not None
    assert pending.wash_sale


def test_best_trim_leaves_short_term_gains_and_sells_losses_and_long_term_gains() -> None:
    today = SALE
    old_gain = lot("10", "50", date(2024, 1, 2))
    new_gain = lot("10", "80", date(2026, 5, 1), 1)
    new_loss = lot("10", "150", date(2026, 5, 2), 2)
    step = D(1)
    # the long-term gain is sold, the short-term gain after it is not
    assert best_trim([old_gain, new_gain], D(5), D(20), D(100), today, step) == D(10)
    # unless a short-term loss behind it more than makes up for it
    assert best_trim([old_gain, new_gain, new_loss], D(5), D(30), D(100), today, step) == D(30)
    # what must be sold is sold whatever it realizes
    assert best_trim([new_gain], D(7), D(10), D(100), today, step) == D(7)
    # nothing short term in the way: the whole trim
    assert best_trim([old_gain, new_loss], D(0), D(20), D(100), today, step) == D(20)


def test_the_gate_notes_a_wash_sale_and_rejects_it_when_told_to_block() -> None:
    from dataclasses import replace

    from pm.domain.validation import decide
    from tests.domain.test_validation import BASE

    why = "wash sale: XYZ was sold at a loss of 10.00 on 2026-06-01 (14 days before)"
    buy = replace(BASE, side="buy", wash_sale=why)
    noted = decide(buy)
    assert noted.approved
    assert [(n.code, n.text) for n in noted.notes] == [("wash_sale", why)]
    blocked = decide(replace(buy, wash_sale_block=True))
    assert not blocked.approved
    assert blocked.codes == ("wash_sale",)
    assert blocked.notes == ()
    # covering a short is never blocked (closing must stay possible): a note instead
    cover = decide(replace(buy, wash_sale_block=True, current_qty=-buy.qty))
    assert cover.approved
    assert [n.code for n in cover.notes] == ["wash_sale"]
    # a sell never carries it
    assert decide(replace(buy, side="sell", current_qty=buy.qty * 2)).notes == ()
