"""SqlBreakerStore and SqlAuditLog, the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pm.db.audit_store import SqlAuditLog
from pm.db.breaker_store import SqlBreakerStore
from pm.db.engine import Database
from pm.domain.errors import NotFound

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def breakers(database: Database) -> SqlBreakerStore:
    return SqlBreakerStore(database.engine)


@pytest.fixture
def audit(database: Database) -> SqlAuditLog:
    return SqlAuditLog(database.engine)


def test_a_breaker_never_set_reads_as_none(breakers: SqlBreakerStore) -> None:
    assert breakers.get("acct-1") is None


def test_trip_persists_reason_author_and_time(breakers: SqlBreakerStore) -> None:
    status = breakers.trip("acct-1", "manual stop", "ann@desk", T0)
    assert status.halted
    assert (status.reason, status.changed_by, status.changed_at) == ("manual stop", "ann@desk", T0)
    assert breakers.get("acct-1") == status
    assert breakers.get("acct-2") is None  # per account


def test_a_second_trip_keeps_the_first(breakers: SqlBreakerStore) -> None:
    first = breakers.trip("acct-1", "first", "ann@desk", T0)
    again = breakers.trip("acct-1", "second", "bob@box", T0 + timedelta(minutes=1))
    assert again == first


def test_reset_then_trip_again(breakers: SqlBreakerStore) -> None:
    breakers.trip("acct-1", "first", "ann@desk", T0)
    reset = breakers.reset("acct-1", "bob@box", T0 + timedelta(minutes=1))
    assert not reset.halted
    stored = breakers.get("acct-1")
    assert stored is not None
    assert (stored.state, stored.reason, stored.changed_by) == ("ACTIVE", None, "bob@box")
    tripped = breakers.trip("acct-1", "again", "cy@host", T0 + timedelta(minutes=2))
    assert (tripped.state, tripped.reason, tripped.changed_by) == ("HALTED", "again", "cy@host")


def test_concurrent_trips_leave_exactly_one_winner(breakers: SqlBreakerStore) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda n: breakers.trip("acct-1", f"r{n}", f"u{n}@h", T0), range(6))
        )
    final = breakers.get("acct-1")
    assert final is not None
    assert final.halted
    assert all(r == final for r in results)  # every caller sees the one winning trip
    assert final.reason in {f"r{n}" for n in range(6)}


def test_audit_row_is_pending_until_finished(audit: SqlAuditLog) -> None:
    entry = audit.begin(
        account_id="acct-1",
        action="close",
        arguments={"symbol": "AAPL", "qty": Decimal("0.000000001"), "nested": [Decimal("1.50")]},
        os_user="ann",
        host="desk",
        at=T0,
    )
    (row,) = audit.entries("acct-1")
    assert row.id == entry
    assert row.outcome == "pending"
    assert row.finished_at is None
    assert row.arguments == {"symbol": "AAPL", "qty": "0.000000001", "nested": ["1.50"]}
    assert (row.os_user, row.host, row.created_at) == ("ann", "desk", T0)

    audit.finish(entry, outcome="partial", details={"failed": ["AAPL"]}, at=T0 + timedelta(1))
    (row,) = audit.entries("acct-1")
    assert row.outcome == "partial"
    assert row.outcome_details == {"failed": ["AAPL"]}
    assert row.finished_at == T0 + timedelta(1)


def test_audit_entries_newest_first_and_per_account(audit: SqlAuditLog) -> None:
    for n in range(3):
        audit.begin(
            account_id="acct-1" if n < 2 else None,
            action=f"a{n}",
            arguments={},
            os_user="u",
            host="h",
            at=T0 + timedelta(minutes=n),
        )
    assert [e.action for e in audit.entries()] == ["a2", "a1", "a0"]
    assert [e.action for e in audit.entries("acct-1")] == ["a1", "a0"]
    assert [e.action for e in audit.entries(limit=1)] == ["a2"]
    assert [e.action for e in audit.entries(since=T0 + timedelta(minutes=1))] == ["a2", "a1"]


def test_finishing_an_unknown_entry_is_not_found(audit: SqlAuditLog) -> None:
    with pytest.raises(NotFound):
        audit.finish(999, outcome="failed", details={}, at=T0)
