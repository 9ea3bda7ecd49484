"""The ledger store on a real database: fills and cash activities round-trip exactly, oldest
first, and storing the same ones twice adds nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pm.db.repository import SqlRepository
from pm.domain.ledger import CashActivity, Fill

ACCOUNT = "acct-ledger"


def _fill(fill_id: str, hour: int, side: str = "buy", qty: str = "1.5") -> Fill:
    return Fill(
        fill_id=fill_id,
        symbol="AAPL",
        side="buy" if side == "buy" else "sell",
        qty=Decimal(qty),
        price=Decimal("222.62"),
        transaction_time=datetime(2024, 11, 5, hour, tzinfo=UTC),
        source="activity",
        broker_order_id="o-1",
    )


def test_fills_and_cash_round_trip_oldest_first_and_only_once(repo: SqlRepository) -> None:
    repo.accounts.register_account(ACCOUNT, "demo:ledger", datetime.now(UTC))
    ledger = repo.ledger
    later, earlier = _fill("b", 15, "sell", "0.000000001"), _fill("a", 14)
    assert ledger.add_fills(ACCOUNT, [later, earlier]) == 2
    assert ledger.add_fills(ACCOUNT, [earlier, _fill("c", 16)]) == 1
    assert ledger.fills(ACCOUNT) == [earlier, later, _fill("c", 16)]
    assert ledger.fills(ACCOUNT, since=datetime(2024, 11, 5, 15, tzinfo=UTC))[0] == later
    deposit = CashActivity("20241104000000000::x", "CSD", date(2024, 11, 4), Decimal("5000"))
    fee = CashActivity("20241106000000000::y", "FEE", date(2024, 11, 6), Decimal("-0.01"), "REG")
    assert ledger.add_cash_activities(ACCOUNT, [fee, deposit]) == 2
    assert ledger.add_cash_activities(ACCOUNT, [fee]) == 0
    assert ledger.cash_activities(ACCOUNT) == [deposit, fee]
    assert ledger.cash_activities(ACCOUNT, since=date(2024, 11, 5)) == [fee]
