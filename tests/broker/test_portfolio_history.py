"""Alpaca's portfolio history (GET /v2/account/portfolio/history, 1D with cash flows): the
parser over the reference payloads and the adapter against the local fake Alpaca."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from pm.broker.alpaca import parse
from pm.broker.alpaca.adapter import AlpacaBroker
from pm.domain.errors import BrokerUnavailable
from tests.support.clocks import FakeClock
from tests.support.fake_alpaca import REFERENCE, FakeAlpaca, payload


def _raw(name: str, *, floats: bool) -> object:
    text = (REFERENCE / "trading" / name).read_text()
    return json.loads(text) if floats else json.loads(text, parse_float=Decimal)


@pytest.mark.parametrize("floats", [True, False])
def test_parses_days_equity_and_cash_flows(floats: bool) -> None:
    points = parse.parse_portfolio_history(
        _raw("portfolio_history_1D_cashflow.json", floats=floats)
    )
    assert len(points) == 21
    # 1730160000 is 2024-10-29T00:00Z, 20:00 on 2024-10-28 in New York: that trading day.
    assert points[0].day == date(2024, 10, 28)
    assert points[0].equity == Decimal("94512.4")  # via str: never 94512.399999...
    assert points[-1].day == date(2024, 11, 25)  # 01:00 UTC after the switch to EST
    assert points[-1].equity == Decimal("100000.0")
    by_day = {p.day: p for p in points}
    assert by_day[date(2024, 11, 4)].cashflow == {"CSD": Decimal("5000.0")}
    assert by_day[date(2024, 11, 15)].cashflow == {"CSW": Decimal("-1500.0")}
    assert by_day[date(2024, 11, 14)].cashflow == {"DIV": Decimal("12.5")}
    assert by_day[date(2024, 11, 12)].cashflow == {"JNLC": Decimal("250.0")}
    # the flows of a day are deposits, withdrawals and journals; dividends and fees are returns
    assert by_day[date(2024, 11, 14)].point().flow == 0
    assert by_day[date(2024, 11, 12)].point().flow == Decimal("250.0")


def test_without_cashflow_there_are_no_flows() -> None:
    points = parse.parse_portfolio_history(_raw("portfolio_history_1D.json", floats=False))
    assert len(points) == 21
    assert all(p.cashflow == {} for p in points)


def test_null_equity_days_are_skipped_and_bad_shapes_refused() -> None:
    raw = {"timestamp": [1730160000, 1730246400], "equity": [None, 5], "timeframe": "1D"}
    assert [p.equity for p in parse.parse_portfolio_history(raw)] == [Decimal(5)]
    with pytest.raises(parse.MalformedResponse, match="differ in length"):
        parse.parse_portfolio_history({"timestamp": [1], "equity": []})
    with pytest.raises(parse.MalformedResponse, match="not one per point"):
        parse.parse_portfolio_history({"timestamp": [1], "equity": [1], "cashflow": {"CSD": []}})
    with pytest.raises(parse.MalformedResponse, match="epoch seconds"):
        parse.parse_portfolio_history({"timestamp": ["2024-10-28"], "equity": [1]})


def test_adapter_asks_for_daily_history_with_every_flow() -> None:
    with FakeAlpaca() as fake:
        broker = AlpacaBroker(
            api_key="PKTEST", secret_key="secret", base_url=fake.base_url, clock=FakeClock()
        )
        points = broker.get_portfolio_history(date(2024, 11, 1), date(2024, 11, 22))
        (request,) = [r for r in fake.requests if r.path == "/v2/account/portfolio/history"]
    assert request.query["timeframe"] == ["1D"]
    assert request.query["cashflow_types"] == ["ALL"]
    assert request.query["start"] == ["2024-11-01T00:00:00-04:00"]
    assert request.query["end"] == ["2024-11-22T23:59:59-05:00"]
    assert points[0].day == date(2024, 11, 1)
    assert points[-1].day == date(2024, 11, 22)  # days outside the window are dropped
    assert points[-1].equity == Decimal("99450.0")


def test_adapter_reports_a_malformed_history_as_unavailable() -> None:
    with FakeAlpaca() as fake:
        fake.portfolio_history = {**payload("trading/portfolio_history_1D"), "equity": "x"}
        broker = AlpacaBroker(
            api_key="PKTEST", secret_key="secret", base_url=fake.base_url, clock=FakeClock()
        )
        with pytest.raises(BrokerUnavailable, match="portfolio/history"):
            broker.get_portfolio_history(date(2024, 11, 1), date(2024, 11, 22))
