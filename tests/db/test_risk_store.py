"""SqlRiskStore (and the snapshot store's peak equity) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pm.db.engine import Database
from pm.db.repository import SqlRepository
from pm.db.risk_store import SqlRiskStore
from pm.db.tables import alerts, universe_fundamentals
from pm.domain.risk import Alert
from pm.domain.sectors import SectorRecord
from pm.services.sectors import SectorResolver
from tests.db.test_repository import ACCOUNT, snapshot

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def store(database: Database) -> SqlRiskStore:
    return SqlRiskStore(database.engine)


def test_import_inserts_then_updates(store: SqlRiskStore, database: Database) -> None:
    first = [SectorRecord("AAPL", "Tech", "Hardware"), SectorRecord("XYZ", "Energy")]
    assert store.import_sectors(first, T0) == (2, 0)
    again = [SectorRecord("AAPL", "Communication Services"), SectorRecord("NEW", "Utilities")]
    assert store.import_sectors(again, T0 + timedelta(days=1)) == (1, 1)
    assert store.sectors_for(["AAPL", "XYZ", "NEW", "NONE"]) == {
        "AAPL": "Communication Services",
        "XYZ": "Energy",
        "NEW": "Utilities",
    }
    with database.engine.connect() as conn:
        row = conn.execute(
            select(universe_fundamentals).where(universe_fundamentals.c.symbol == "AAPL")
        ).one()
    assert row.industry is None
    assert row.updated_at == T0 + timedelta(days=1)


def test_many_symbols_in_one_import(store: SqlRiskStore) -> None:
    records = [SectorRecord(f"S{i:04d}", "Tech") for i in range(1200)]
    assert store.import_sectors(records, T0) == (1200, 0)
    assert len(store.sectors_for([r.symbol for r in records])) == 1200


def test_database_answer_beats_the_bundled_map(store: SqlRiskStore) -> None:
    store.import_sectors([SectorRecord("AAPL", "Custom")], T0)
    resolved = SectorResolver(store).resolve_many(["AAPL", "MSFT"])
    assert (resolved["AAPL"].name, resolved["AAPL"].source) == ("Custom", "database")
    assert resolved["MSFT"].source == "bundled"


def test_peak_equity_compares_numbers_not_text(database: Database) -> None:
    repo = database.repository()
    assert repo.snapshots.peak_equity(ACCOUNT) is None
    # as text "99999.99" > "100000.5"; as numbers 100000.5 is the peak
    for i, equity in enumerate(["99999.99", "100000.5", "100000.49", "9999.99"]):
        repo.snapshots.save(snapshot(at=T0 + timedelta(minutes=i), equity=equity))
    repo.snapshots.save(snapshot(at=T0, account_id="other", equity="500000"))
    assert repo.snapshots.peak_equity(ACCOUNT) == Decimal("100000.5")


def test_alerts_are_stored_newest_first(store: SqlRiskStore, database: Database) -> None:
    store.save_alerts(ACCOUNT, [Alert("warning", "sector_warning", "m1", sector="Tech")], T0)
    later = [
        Alert("critical", "concentration_breached", "AAPL is 9%", symbol="AAPL"),
        Alert("critical", "drawdown_breached", "dd"),
    ]
    store.save_alerts(ACCOUNT, later, T0 + timedelta(hours=1))
    store.save_alerts(ACCOUNT, [], T0 + timedelta(hours=2))  # nothing to store
    stored = store.alerts(ACCOUNT)
    assert [a.code for a in stored] == [
        "drawdown_breached",
        "concentration_breached",
        "sector_warning",
    ]
    assert stored[1].symbol == "AAPL"
    assert stored[2].sector == "Tech"
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alerts)).scalar() == 3


def test_alert_history_filters_by_time_level_and_account(
    store: SqlRiskStore, repo: SqlRepository
) -> None:
    repo.accounts.register_account("other", "other-identity", T0)
    store.save_alerts(ACCOUNT, [Alert("warning", "sector_warning", "m1", sector="Tech")], T0)
    store.save_alerts(
        ACCOUNT,
        [Alert("critical", "concentration_breached", "AAPL is 9%", symbol="AAPL")],
        T0 + timedelta(hours=1),
    )
    store.save_alerts("other", [Alert("critical", "drawdown_breached", "dd")], T0)

    history = store.alert_history(ACCOUNT)
    assert [(h.account_id, h.alert.code) for h in history] == [
        (ACCOUNT, "concentration_breached"),
        (ACCOUNT, "sector_warning"),
    ]
    assert history[0].created_at == T0 + timedelta(hours=1)
    assert history[0].alert.symbol == "AAPL"
    assert history[0].id > history[1].id
    since = store.alert_history(ACCOUNT, since=T0 + timedelta(minutes=30))
    assert [h.alert.code for h in since] == ["concentration_breached"]
    critical = store.alert_history(ACCOUNT, levels=["critical"])
    assert [h.alert.code for h in critical] == ["concentration_breached"]
    assert [h.alert.code for h in store.alert_history(ACCOUNT, limit=1)] == [
        "concentration_breached"
    ]
