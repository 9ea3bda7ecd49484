"""The performance service over a real SQLite database: the stored-snapshot fallback with the
ledger's flows and fills, when the broker cannot give its portfolio history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pm.db.engine import open_database
from pm.db.repository import SqlRepository
from pm.domain.errors import BadInput, BrokerUnavailable
from pm.domain.ledger import CashActivity, Fill
from pm.domain.models import Position
from pm.domain.performance import HistoryPoint
from pm.services import performance as service
from tests.db.test_repository import ACCOUNT, snapshot


class Offline:
    """A broker that cannot be reached (what the service falls back from)."""

    name = "alpaca"

    def get_portfolio_history(self, start: date, end: date) -> list[HistoryPoint]:
        raise BrokerUnavailable("alpaca did not answer", broker="alpaca", last_attempt=_at(5))

    def get_positions(self) -> list[Position]:
        raise BrokerUnavailable("alpaca did not answer", broker="alpaca", last_attempt=_at(5))


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SqlRepository]:
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db:
        yield db.repository()


def _at(day: int, hour: int = 21) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def _fill(fill_id: str, side: str, price: str, at: datetime) -> Fill:
    return Fill(fill_id, "AAPL", side, Decimal(10), Decimal(price), at, "activity")  # type: ignore[arg-type]


def from_snapshots(repo: SqlRepository, start: date, end: date) -> service.PerformanceReport:
    """The report with the broker offline: built from the stored snapshots."""
    return service.performance(
        Offline(),  # type: ignore[arg-type]
        repo,
        None,
        ACCOUNT,
        start=start,
        end=end,
    )


def test_stored_snapshots_and_the_ledger_stand_in(repo: SqlRepository) -> None:
    repo.snapshots.save(snapshot(_at(2), equity="1000"))
    repo.snapshots.save(snapshot(_at(3, 15), equity="5"))  # replaced by the day's last one
    repo.snapshots.save(snapshot(_at(3), equity="1600"))  # +500 deposited, +100 earned
    repo.snapshots.save(snapshot(_at(4), equity="1210"))  # -500 withdrawn, +110 earned
    deposit = CashActivity("d1", "CSD", date(2026, 3, 3), Decimal(500))
    withdrawal = CashActivity("w1", "CSW", date(2026, 3, 4), Decimal(-500))
    dividend = CashActivity("v1", "DIV", date(2026, 3, 4), Decimal(7))  # a return, not a flow
    repo.ledger.add_cash_activities(ACCOUNT, [deposit, withdrawal, dividend])
    repo.ledger.add_fills(
        ACCOUNT,
        [
            _fill("f0", "buy", "100", _at(1, 15) - timedelta(days=30)),
            _fill("f1", "sell", "90", _at(1, 15) - timedelta(days=20)),  # closed before
            _fill("f2", "buy", "100", _at(2, 15)),
            _fill("f3", "sell", "110", _at(4, 15)),
        ],
    )
    report = from_snapshots(repo, date(2026, 3, 1), date(2026, 3, 31))
    assert report.source == "snapshots"
    assert "using stored snapshots" in report.warnings[0]
    assert (report.start, report.end, report.days) == (date(2026, 3, 2), date(2026, 3, 4), 2)
    assert report.total_return == pytest.approx(1.1 * (1210 + 500) / 1600 - 1)
    assert report.net_deposits == 0
    assert report.annualization == 365  # the last snapshot holds BTCUSD
    assert report.trades.trades == 1  # the round trip closed before the window is left out
    assert report.trades.realized_pl == Decimal(100)
    assert report.trades.profit_factor is None  # no losses


def test_window_defaults_to_a_year_and_refuses_a_reversed_one() -> None:
    today = date(2026, 11, 29)
    assert service.window(None, today, today=today) == (date(2025, 11, 29), today)
    assert service.window(None, date(2027, 1, 1), today=today)[1] == today
    with pytest.raises(BadInput, match="`since`"):
        service.window(date(2026, 12, 1), date(2026, 11, 1), today=today)


def test_an_evening_snapshot_is_that_new_york_day(repo: SqlRepository) -> None:
    """A cron `pm snapshot` at 20:00 New York is already the next day in UTC; the cash
    activities are dated in New York. Bucketed by UTC day, the deposit of 3 March met the
    equity of 2 March and was counted as a 60 % gain."""
    repo.snapshots.save(snapshot(_at(3, 1), equity="1000"))  # Mon 2 March, 20:00 EST
    repo.snapshots.save(snapshot(_at(4, 1), equity="1600"))  # Tue 3 March, 20:00 EST
    repo.ledger.add_cash_activities(
        ACCOUNT, [CashActivity("d1", "CSD", date(2026, 3, 3), Decimal(500))]
    )
    report = from_snapshots(repo, date(2026, 3, 2), date(2026, 3, 3))
    assert (report.start, report.end) == (date(2026, 3, 2), date(2026, 3, 3))
    assert report.net_deposits == Decimal(500)
    assert report.total_return == pytest.approx((1600 - 500) / 1000 - 1)


def test_a_round_trip_closed_in_the_new_york_evening_counts_that_day(
    repo: SqlRepository,
) -> None:
    """Sold at 21:00 New York on the window's last day (a crypto sale): already the next day in
    UTC, but the trade's date, like the equity's days, is New York's."""
    repo.snapshots.save(snapshot(_at(2), equity="1000"))
    repo.snapshots.save(snapshot(_at(3), equity="1100"))
    repo.ledger.add_fills(
        ACCOUNT,
        [_fill("f1", "buy", "100", _at(2, 15)), _fill("f2", "sell", "110", _at(4, 2))],
    )
    report = from_snapshots(repo, date(2026, 3, 2), date(2026, 3, 3))
    assert report.end == date(2026, 3, 3)
    assert report.trades.trades == 1
    assert report.trades.realized_pl == Decimal(100)


def test_a_future_since_says_so() -> None:
    """Not "`since` (2026-12-01) is after `until` (2026-11-29)" when no until was given."""
    today = date(2026, 11, 29)
    with pytest.raises(BadInput, match=r"`since` \(2026-12-01\) is in the future"):
        service.window(date(2026, 12, 1), today, today=today)
