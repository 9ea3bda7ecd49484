"""Tax-aware rebalance plans: properties over the random accounts of the plain planner's
tests, with random lots behind each holding, and an example of a trim cut for taxes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pm.domain.lots import OpenLot
from pm.domain.rebalance import Holding, PlanInput, PlanLimits, Tradability, plan
from pm.domain.tax_plan import annotate, realized, tax_aware_plan
from tests.domain.test_rebalance_plan import inputs, money

TODAY = date(2026, 6, 15)
D = Decimal


@st.composite
def with_lots(draw: st.DrawFn) -> tuple[PlanInput, list[OpenLot]]:
    v = draw(inputs())
    lots: list[OpenLot] = []
    for h in v.holdings:
        if h.qty <= 0:
            continue
        parts = draw(st.integers(1, 3))
        left = h.qty
        for n in range(parts):
            share = left if n == parts - 1 else (left / 2).quantize(D("0.001"))
            if share <= 0:
                continue
            left -= share
            age = draw(st.integers(1, 900))
            price = h.price * draw(st.sampled_from([D("0.5"), D("0.9"), D(1), D("1.2"), D(2)]))
            opened = datetime.combine(TODAY - timedelta(days=age), datetime.min.time(), UTC)
            lots.append(
                OpenLot(h.symbol, "long", share, price, opened + timedelta(hours=15), f"{n}")
            )
        if draw(st.integers(0, 9)) == 0 and lots:
            lots.pop()  # now and then the ledger misses a lot
    return v, lots


@given(with_lots(), money("0", "5", 1))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_tax_aware_plans_stay_within_the_plain_plans_tolerance(
    case: tuple[PlanInput, list[OpenLot]], tolerance: Decimal
) -> None:
    v, lots = case
    plain = plan(v)
    done = tax_aware_plan(v, lots, TODAY, tolerance)
    taxed = done.plan
    # never more drift than the plain plan's plus the tolerance
    assert taxed.drift_after_pct <= plain.drift_after_pct + tolerance
    # trims only get smaller, exits and the other sells stay as they were
    plain_sells = {i.symbol: i for i in plain.sells}
    for i in taxed.sells:
        assert i.qty <= plain_sells[i.symbol].qty
        if i.reason == "exit_not_in_targets":
            assert i.qty == plain_sells[i.symbol].qty
    for symbol, cap in done.caps.items():
        target = plain_sells[symbol].target_pct
        h = next(h for h in v.holdings if h.symbol == symbol)
        sold = next((i.qty for i in taxed.sells if i.symbol == symbol), D(0))
        after = (h.qty - sold) * h.price / v.equity * 100
        step = v.tradability.get(symbol, Tradability()).step
        # a cut trim leaves the position at most the tolerance (and one step, and a cent of
        # rounding: equities of a few dollars are generated too) above target
        slack = (step * h.price + D("0.01")) / v.equity * 100
        assert after <= target + tolerance + slack
        assert cap < plain_sells[symbol].qty
    # and never realizes more short-term gain than the plain plan
    assert realized(taxed.intents, lots, TODAY) <= realized(plain.intents, lots, TODAY)
    # no sell ever opens a short
    held = {h.symbol: h.qty for h in v.holdings}
    assert all(i.qty <= held[i.symbol] for i in taxed.sells)


def _lot(qty: str, price: str, days: int, n: int) -> OpenLot:
    opened = datetime.combine(TODAY - timedelta(days=days), datetime.min.time(), UTC)
    return OpenLot("AAA", "long", D(qty), D(price), opened + timedelta(hours=15), f"l{n}")


def test_a_trim_into_short_term_gains_is_cut_to_the_tolerance() -> None:
    # AAA is 20 % of 10,000 (20 shares at 100); the target is 10 %: the plain plan sells 10
    v = PlanInput(
        equity=D(10_000),
        cash=D(8_000),
        buying_power=D(8_000),
        holdings=[Holding("AAA", D(20), D(100), D(2_000))],
        targets={"AAA": D(10)},
        prices={},
        sectors={"AAA": "Tech"},
        tradability={"AAA": Tradability(fractionable=False)},
        limits=PlanLimits(D(50), D(100), D(50), D(100)),
    )
    lots = [_lot("6", "40", 800, 1), _lot("14", "90", 30, 2)]  # long-term, then short-term gain
    plain = plan(v)
    assert [(i.symbol, i.qty) for i in plain.sells] == [("AAA", D(10))]
    done = tax_aware_plan(v, lots, TODAY, D(2))
    # at most 2 points above target means at most 12 % = 12 shares kept: sell 8, not 10
    assert [(i.symbol, i.qty) for i in done.plan.sells] == [("AAA", D(8))]
    assert done.caps == {"AAA": D(8)}
    tax = annotate(done.plan, lots, (), TODAY, tolerance_pct=D(2), tax_aware=done)
    (it,) = tax.intents
    assert it.estimate is not None
    # 6 long-term at +60 each, 2 short-term at +10 each
    assert (it.estimate.long_term, it.estimate.short_term) == (D(360), D(20))
    assert it.plain_qty == D(10)
    assert tax.plain_short_term_gain == D(40)
    assert any("cut to 8" in w for w in tax.warnings)
    # with no tolerance the trim is the plain plan's
    assert tax_aware_plan(v, lots, TODAY, D(0)).plan.sells == plain.sells
    # losses are sold whatever their term
    losing = [_lot("6", "40", 800, 1), _lot("14", "130", 30, 2)]
    assert tax_aware_plan(v, losing, TODAY, D(2)).plan.sells == plain.sells
    # a ledger that does not account for every share leaves the trim alone
    assert tax_aware_plan(v, lots[1:], TODAY, D(2)).plan.sells == plain.sells


def test_buys_of_symbols_sold_at_a_loss_are_flagged() -> None:
    from pm.domain.lots import ClosedLot

    v = PlanInput(
        equity=D(10_000),
        cash=D(10_000),
        buying_power=D(10_000),
        holdings=[],
        targets={"BBB": D(10)},
        prices={"BBB": D(50)},
        sectors={"BBB": "Tech"},
        tradability={},
        limits=PlanLimits(D(50), D(100), D(50), D(100)),
    )
    sold = datetime(2026, 5, 16, 15, tzinfo=UTC)  # 30 days before TODAY
    closed = [
        ClosedLot("BBB", "long", D(5), D(60), D(50), sold - timedelta(days=90), sold, "a", "b")
    ]
    result = plan(v)
    tax = annotate(result, [], closed, TODAY, tolerance_pct=D(1))
    assert [i.symbol for i in tax.wash_sales] == ["BBB"]
    assert tax.wash_sales[0].wash_sale is not None
    later = annotate(result, [], closed, TODAY + timedelta(days=1), tolerance_pct=D(1))
    assert later.wash_sales == ()  # day 31: outside the window
    assert replace(tax, intents=()).total == D(0)
