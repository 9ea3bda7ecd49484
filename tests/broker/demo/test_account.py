from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest

from pm.broker.demo.broker import DEMO_ACCOUNT_ID, DemoBroker
from pm.broker.demo.prices import price_on
from pm.broker.demo.seed import SEED_CASH, seed_state
from pm.broker.demo.universe import UNIVERSE
from pm.domain.errors import NotFound
from pm.domain.limits import RiskLimits
from pm.domain.models import OrderRequest
from pm.domain.portfolio import drop_dust, is_dust
from pm.domain.risk import RiskAssessment, assess, exposures, measure
from pm.domain.sectors import Sector
from pm.ports import Broker

from .fakes import FixedClock, MemoryStore, at

WED = at(2025, 3, 12)


def make(now: datetime = WED) -> tuple[DemoBroker, MemoryStore, FixedClock]:
    store = MemoryStore()
    clock = FixedClock(now)
    return DemoBroker(store, clock), store, clock


def test_implements_the_broker_port() -> None:
    broker: Broker = make()[0]
    assert broker.name == "demo"
    assert broker.identity == "demo"
    assert broker.simulated is True
    assert DEMO_ACCOUNT_ID == "demo-00000000-0000-4000-8000-000000000001"


def test_seed_shape() -> None:
    broker, _, _ = make()
    positions = broker.get_positions()
    assert 15 <= len(positions) <= 20
    shorts = [p for p in positions if p.side == "short"]
    crypto = [p for p in positions if p.asset_class == "crypto"]
    dust = [p for p in positions if is_dust(p)]
    assert [p.symbol for p in shorts] == ["TSLA"]
    assert [p.symbol for p in crypto] == ["BTCUSD"]
    assert crypto[0].qty != crypto[0].qty.to_integral_value()
    assert len(dust) == 1
    sectors = {UNIVERSE[p.symbol].sector for p in positions}
    assert len(sectors) >= 7


def test_seed_is_worth_100k_at_base_prices() -> None:
    state = seed_state()
    at_base = state.cash + sum(
        (h.qty * UNIVERSE[s].base_price for s, h in state.holdings.items()), Decimal(0)
    )
    assert at_base.quantize(Decimal("0.01")) == Decimal("100000.00")  # plus the dust
    assert state.cash == SEED_CASH


def test_first_read_seeds_and_saves_once() -> None:
    broker, store, _ = make()
    broker.get_account()
    assert len(store.saves) == 1
    assert store.saves[0][1] == []
    broker.get_account()
    broker.get_positions()
    assert len(store.saves) == 1


def test_account_arithmetic() -> None:
    broker, _, _ = make()
    account = broker.get_account()
    positions = broker.get_positions()
    values = [p.market_value for p in positions if not is_dust(p)]
    assert account.equity == account.cash + sum(values, Decimal(0))
    assert account.long_market_value == sum((v for v in values if v > 0), Decimal(0))
    assert account.short_market_value == sum((v for v in values if v < 0), Decimal(0))
    assert account.short_market_value < 0
    assert Decimal(90_000) < account.equity < Decimal(110_000)
    gross = account.long_market_value - account.short_market_value
    expected_bp = (2 * account.equity - gross).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert account.buying_power == expected_bp
    assert account.status == "ACTIVE"
    assert account.currency == "USD"
    assert account.account_number == "DEMO000001"
    assert account.account_id == DEMO_ACCOUNT_ID


def test_long_market_value_is_that_of_the_positions_shown() -> None:
    broker, _, _ = make()
    account = broker.get_account()
    shown = drop_dust(broker.get_positions())
    assert len(shown) == len(broker.get_positions()) - 1  # the NEE dust
    assert account.long_market_value == sum(
        (p.market_value for p in shown if p.side == "long"), Decimal(0)
    )
    assert account.equity == account.cash + sum((p.market_value for p in shown), Decimal(0))


def _assessed(broker: DemoBroker) -> RiskAssessment:
    account = broker.get_account()
    positions = drop_dust(broker.get_positions())
    sectors = {p.symbol: Sector(UNIVERSE[p.symbol].sector, "bundled") for p in positions}
    return assess(measure(account.equity, exposures(positions, sectors), None), RiskLimits())


def test_the_seed_respects_the_default_limits_but_two_positions() -> None:
    """AAPL breaches the 5 % position limit and NVDA warns, on purpose; nothing else alerts."""
    assessed = _assessed(make()[0])
    assert [(a.code, a.symbol) for a in assessed.alerts] == [
        ("concentration_breached", "AAPL"),
        ("concentration_warning", "NVDA"),
    ]
    assert assessed.concentration_breached
    assert not assessed.sector_breached
    assert max(assessed.metrics.sector_exposure.values()) < 20


@pytest.mark.parametrize("day", range(0, 366, 7))
def test_only_the_deliberate_positions_alert_on_any_day_of_a_year(day: int) -> None:
    assessed = _assessed(make(at(2026, 1, 1) + timedelta(days=day))[0])
    assert {a.symbol for a in assessed.alerts} <= {"AAPL", "NVDA"}
    assert [a.symbol for a in assessed.alerts if a.is_breach][:1] == ["AAPL"]


def test_last_equity_uses_previous_trading_day_prices() -> None:
    broker, store, _ = make(at(2025, 3, 17))  # a Monday: previous trading day is Friday
    account = broker.get_account()
    state = store.states[DEMO_ACCOUNT_ID]
    friday = at(2025, 3, 14).date()
    expected = state.cash + sum(
        (h.qty * price_on(UNIVERSE[s], friday) for s, h in state.holdings.items() if s != "NEE"),
        Decimal(0),
    )
    assert account.last_equity == expected
    assert account.last_equity != account.equity


def test_deterministic_for_the_same_date() -> None:
    a = make(at(2025, 3, 12, 14))[0].get_account()
    b = make(at(2025, 3, 12, 19))[0].get_account()
    assert a == b


def test_different_weekdays_differ() -> None:
    wed = make(at(2025, 3, 12))[0].get_account()
    thu = make(at(2025, 3, 13))[0].get_account()
    assert wed.equity != thu.equity


def test_weekend_equities_price_as_friday() -> None:
    friday = {p.symbol: p for p in make(at(2025, 3, 14))[0].get_positions()}
    saturday = {p.symbol: p for p in make(at(2025, 3, 15))[0].get_positions()}
    for symbol, position in saturday.items():
        if position.asset_class == "crypto":
            assert position.current_price != friday[symbol].current_price
        else:
            assert position.current_price == friday[symbol].current_price


def test_position_fields() -> None:
    broker, _, _ = make()
    for p in broker.get_positions():
        assert p.market_value == p.qty * p.current_price
        assert p.cost_basis == p.qty * p.avg_entry_price
        assert p.unrealized_pl == p.market_value - p.cost_basis
        expected_pct = (p.unrealized_pl / abs(p.cost_basis) * 100).quantize(Decimal("0.0001"))
        assert p.unrealized_pl_pct == expected_pct
        assert p.side == ("long" if p.qty > 0 else "short")
        assert p.asset_id == str(uuid.UUID(p.asset_id))
        assert p.asset_id == UNIVERSE[p.symbol].asset_id


def test_short_that_gained_has_positive_pl() -> None:
    broker, _, _ = make()
    tsla = broker.get_position("TSLA")
    assert tsla.qty < 0
    assert tsla.market_value < 0
    assert tsla.cost_basis < 0
    # entry 262.40 is above the demo price on this date: the short is in profit
    assert tsla.current_price < tsla.avg_entry_price
    assert tsla.unrealized_pl > 0
    assert tsla.unrealized_pl_pct > 0


def test_get_position_accepts_the_slash_alias() -> None:
    broker, _, _ = make()
    assert broker.get_position("BTC/USD") == broker.get_position("BTCUSD")


def test_get_position_not_found() -> None:
    broker, _, _ = make()
    with pytest.raises(NotFound, match="no open position in META"):
        broker.get_position("META")


def test_get_asset() -> None:
    broker, _, _ = make()
    aapl = broker.get_asset("AAPL")
    assert (aapl.symbol, aapl.asset_class, aapl.shortable, aapl.tradable) == (
        "AAPL",
        "us_equity",
        True,
        True,
    )
    btc = broker.get_asset("BTCUSD")
    assert (btc.symbol, btc.asset_class, btc.shortable, btc.fractionable) == (
        "BTC/USD",
        "crypto",
        False,
        True,
    )
    assert btc.id == broker.get_position("BTCUSD").asset_id
    with pytest.raises(NotFound, match="asset ZZZZ not found"):
        broker.get_asset("ZZZZ")


def _daily_pl(broker: DemoBroker) -> Decimal:
    account = broker.get_account()
    return account.equity - account.last_equity


@pytest.mark.parametrize("symbol", ["AAPL", "TSLA", "BTCUSD"])
def test_closing_a_position_leaves_last_equity_and_the_days_pl_alone(symbol: str) -> None:
    broker, _, clock = make(at(2025, 3, 12, 14))
    before = broker.get_account()
    broker.close_position(symbol)
    clock.set(at(2025, 3, 12, 19))
    after = broker.get_account()
    assert after.last_equity == before.last_equity
    # prices do not move within a demo day and fills move cash to the cent, so equity only
    # changes by that rounding
    assert abs(after.equity - before.equity) < Decimal("0.01")
    assert abs(_daily_pl(broker) - (before.equity - before.last_equity)) < Decimal("0.01")


def test_buying_and_selling_through_the_day_keeps_last_equity() -> None:
    broker, _, _ = make()
    last_equity = broker.get_account().last_equity
    broker.submit_order(OrderRequest("META", "buy", "order-1", qty=Decimal(3)))
    broker.submit_order(OrderRequest("BTC/USD", "sell", "order-2", qty=Decimal("0.01")))
    broker.close_position("NVDA", percentage=Decimal(50))
    assert broker.get_account().last_equity == last_equity


def test_the_next_day_last_equity_is_yesterdays_close_of_what_is_held() -> None:
    broker, store, clock = make(at(2025, 3, 12))
    broker.close_position("AAPL")
    clock.set(at(2025, 3, 13))
    state = store.states[DEMO_ACCOUNT_ID]
    wednesday = at(2025, 3, 12).date()
    expected = state.cash + sum(
        (h.qty * price_on(UNIVERSE[s], wednesday) for s, h in state.holdings.items() if s != "NEE"),
        Decimal(0),
    )
    assert broker.get_account().last_equity == expected
    assert "AAPL" not in state.holdings


def test_reset_restores_the_starting_account() -> None:
    broker, store, _ = make()
    start = broker.get_account()
    positions = broker.get_positions()
    broker.close_all_positions(cancel_orders=True)
    broker.submit_order(OrderRequest("META", "buy", "after-close", qty=Decimal(2)))
    assert broker.get_account() != start
    assert broker.reset() == start
    assert broker.get_positions() == positions
    assert broker.get_account() == start
    assert broker.get_order_by_client_id("after-close") is None
    assert store.states[DEMO_ACCOUNT_ID].cash == SEED_CASH
