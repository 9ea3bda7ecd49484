"""`audited()`: every audited action leaves a finished audit row, whatever happens.

Real stores on a SQLite file; a breaker store that fails on the write stands in for a
database or broker failure in the middle of the action.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from pm.db.engine import Database, open_database
from pm.domain.breaker import BreakerStatus
from pm.domain.errors import DatabaseError
from pm.domain.models import Actor
from pm.services import breaker as breaker_service
from pm.services.audited import audited
from tests.support.clocks import stepping

ACTOR = Actor(user="ops", host="desk")
ACCOUNT = "acct-1"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as database:
        database.repository().accounts.register_account(ACCOUNT, "key", stepping().now())
        yield database


class FailingBreakers:
    """A breaker store whose writes fail (the database went away mid-action)."""

    def get(self, account_id: str) -> BreakerStatus | None:
        return None

    def trip(self, account_id: str, reason: str, who: str, at: datetime) -> BreakerStatus:
        raise DatabaseError("database sqlite:///pm.db: disk I/O error")

    def reset(self, account_id: str, who: str, at: datetime) -> BreakerStatus:
        raise DatabaseError("database sqlite:///pm.db: disk I/O error")


def test_a_trip_that_fails_is_recorded_failed_not_left_pending(db: Database) -> None:
    audit = db.repository().audit
    with pytest.raises(DatabaseError, match="disk I/O"):
        breaker_service.trip(FailingBreakers(), audit, stepping(), ACCOUNT, "x", actor=ACTOR)
    with pytest.raises(DatabaseError, match="disk I/O"):
        breaker_service.reset(FailingBreakers(), audit, stepping(), ACCOUNT, actor=ACTOR)
    entries = audit.entries(ACCOUNT)
    assert [(e.action, e.outcome) for e in entries] == [
        ("breaker-reset", "failed"),
        ("breaker-trip", "failed"),
    ]
    for entry in entries:
        assert entry.finished_at is not None
        assert entry.outcome_details == {
            "error": "DatabaseError",
            "message": "database sqlite:///pm.db: disk I/O error",
        }


def test_a_trip_and_a_reset_that_succeed(db: Database) -> None:
    repo = db.repository()
    clock = stepping()
    tripped = breaker_service.trip(repo.breakers, repo.audit, clock, ACCOUNT, "vol", actor=ACTOR)
    reset = breaker_service.reset(repo.breakers, repo.audit, clock, ACCOUNT, actor=ACTOR)
    assert (tripped.changed, reset.changed) == (True, True)
    reset_row, trip_row = repo.audit.entries(ACCOUNT)
    assert (trip_row.outcome, trip_row.outcome_details) == (
        "succeeded",
        {"changed": True, "state": "HALTED", "reason": "vol"},
    )
    assert (trip_row.os_user, trip_row.host, trip_row.arguments) == (
        "ops",
        "desk",
        {"reason": "vol"},
    )
    assert (reset_row.outcome, reset_row.outcome_details) == ("succeeded", {"changed": True})


def test_the_block_sets_outcome_and_details(db: Database) -> None:
    audit = db.repository().audit
    with audited(
        audit, stepping(), ACTOR, account_id=ACCOUNT, action="close-all", arguments={"n": 2}
    ) as entry:
        [pending] = audit.entries(ACCOUNT)
        assert (pending.id, pending.outcome, pending.finished_at) == (entry.id, "pending", None)
        entry.outcome, entry.details = "partial", {"failed": ["TSLA"]}
    [done] = audit.entries(ACCOUNT)
    assert (done.outcome, done.outcome_details) == ("partial", {"failed": ["TSLA"]})


def test_an_interrupt_is_recorded_too(db: Database) -> None:
    audit = db.repository().audit
    with (
        pytest.raises(KeyboardInterrupt),
        audited(audit, stepping(), ACTOR, account_id=ACCOUNT, action="close", arguments={}),
    ):
        raise KeyboardInterrupt
    [row] = audit.entries(ACCOUNT)
    assert (row.outcome, row.outcome_details) == (
        "failed",
        {"error": "KeyboardInterrupt", "message": ""},
    )


def test_the_action_error_wins_when_its_outcome_cannot_be_written(db: Database) -> None:
    """The database goes away during the action: its error propagates, not the audit's."""
    audit = db.repository().audit

    def close_while_the_database_goes() -> None:
        with audited(audit, stepping(), ACTOR, account_id=ACCOUNT, action="close", arguments={}):
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE audit_log")
            raise RuntimeError("broker said no")

    with pytest.raises(RuntimeError, match="broker said no"):
        close_while_the_database_goes()
