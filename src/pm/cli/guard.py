"""Builds the pre-trade validation `Guard` (and the stores around it) for a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.db.audit_store import SqlAuditLog
    from pm.db.breaker_store import SqlBreakerStore
    from pm.ports import LatestPrices
    from pm.services.validate import Guard


def breaker_store(app_: AppContext) -> SqlBreakerStore:
    from pm.db.breaker_store import SqlBreakerStore

    return SqlBreakerStore(app_.database.engine)


def audit_log(app_: AppContext) -> SqlAuditLog:
    from pm.db.audit_store import SqlAuditLog

    return SqlAuditLog(app_.database.engine)


def latest_prices(app_: AppContext) -> LatestPrices | None:
    """Market prices for symbols the account does not hold: demo prices, or Alpaca's data API."""
    settings = app_.settings
    if settings.pm_broker == "demo":
        from pm.broker.demo.quotes import DemoPrices

        return DemoPrices(app_.clock)
    if not settings.has_credentials:
        return None
    from pm.broker.alpaca.latest_trade import AlpacaLatestTrades

    return AlpacaLatestTrades(data_url=settings.alpaca_data_url, **app_.alpaca_access())


def build_guard(app_: AppContext) -> Guard:
    """Validation for this command: limits from settings, the account's breaker, sectors."""
    from pm.services.sectors import SectorResolver
    from pm.services.validate import Guard

    broker = app_.broker()
    stores = app_.risk_store()  # universe_fundamentals and the stored peak equity
    return Guard(
        broker=broker,
        breakers=breaker_store(app_),
        sectors=SectorResolver(stores),
        limits=app_.settings.risk_limits,
        clock=app_.clock,
        prices=latest_prices(app_),
        peak_equity=stores.peak_equity,
    )
