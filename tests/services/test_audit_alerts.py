"""`pm audit` and `pm alerts` as services, over the real SQLite stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pm.db.audit_store import SqlAuditLog
from pm.db.engine import Database, open_database
from pm.db.risk_store import SqlRiskStore
from pm.domain.risk import Alert, AlertLevel
from pm.services import alerts, audit

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db:
        repo = db.repository()
        repo.accounts.register_account("acct", "identity-a", T0)
        repo.accounts.register_account("other", "identity-b", T0)
        yield db


def test_audit_entries_are_the_accounts_newest_first(database: Database) -> None:
    log = SqlAuditLog(database.engine)
    for n, account in enumerate(["acct", "other", "acct", "acct"]):
        log.begin(
            account_id=account,
            action=f"action-{n}",
            arguments={"n": n},
            os_user="ann",
            host="desk",
            at=T0 + timedelta(hours=n),
        )
    rows = audit.entries(log, "acct", since=None, limit=None)
    assert [r.action for r in rows] == ["action-3", "action-2", "action-0"]
    assert {r.account_id for r in rows} == {"acct"}
    recent = audit.entries(log, "acct", since=T0 + timedelta(hours=2), limit=None)
    assert [r.action for r in recent] == ["action-3", "action-2"]
    assert [r.action for r in audit.entries(log, "acct", since=None, limit=1)] == ["action-3"]


def test_alerts_at_or_above_a_level(database: Database) -> None:
    store = SqlRiskStore(database.engine)
    store.save_alerts(
        "acct",
        [
            Alert("warning", "concentration_warning", "NVDA nears", symbol="NVDA"),
            Alert("critical", "concentration_breached", "AAPL exceeds", symbol="AAPL"),
        ],
        T0,
    )
    store.save_alerts("other", [Alert("critical", "drawdown_breached", "dd")], T0)

    def codes(level: AlertLevel | None, since: datetime | None = None) -> list[str]:
        found = alerts.stored(store, "acct", since=since, level=level, limit=None)
        return [s.alert.code for s in found]

    assert codes(level=None) == ["concentration_breached", "concentration_warning"]
    assert codes(level="warning") == ["concentration_breached", "concentration_warning"]
    assert codes(level="critical") == ["concentration_breached"]
    assert codes(None, since=T0 + timedelta(seconds=1)) == []
