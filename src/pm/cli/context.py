"""Builds the object graph for one command, lazily, so each command pays only for what it uses."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import unquote, urlsplit

from pm.domain.errors import CredentialsError

if TYPE_CHECKING:
    from pm.config import Settings
    from pm.db.engine import Database
    from pm.domain.models import Actor
    from pm.ports import (
        AuditLog,
        BookStore,
        BreakerStore,
        Broker,
        Clock,
        JobStore,
        LatestPrices,
        MarketData,
        ReconcileStore,
        Repository,
        RiskStore,
    )


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AlpacaAccess(TypedDict):
    """What every Alpaca client (trading, market data, latest trades) is built with."""

    api_key: str
    secret_key: str
    clock: Clock
    deadline_s: float


@dataclass
class Options:
    """Global command-line options (before the command name)."""

    demo: bool = False
    timeout: float | None = None
    verbose: int = 0
    debug: bool = False


@dataclass
class DeferredWrites:
    """Writes that run after the output is printed, before the process exits (WriteBehind)."""

    pending: list[Callable[[], object]] = field(default_factory=list)

    def submit(self, write: Callable[[], object]) -> None:
        self.pending.append(write)

    def run(self) -> None:
        while self.pending:
            self.pending.pop(0)()


class AppContext:
    """What a command needs: settings, clock, broker, repository; each made on first use."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self.clock = SystemClock()
        self.writes = DeferredWrites()
        self.json_output = False

    @cached_property
    def actor(self) -> Actor:
        """The OS user and host running this process, for audit and breaker rows."""
        import getpass
        import socket

        from pm.domain.models import Actor

        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
            user = "unknown"
        return Actor(user=user, host=socket.gethostname() or "unknown")

    @cached_property
    def settings(self) -> Settings:
        from pm import logging as pm_logging
        from pm.config import load_settings

        settings = load_settings(
            pm_broker="demo" if self.options.demo else None,
            pm_timeout=self.options.timeout,
        )
        level = settings.pm_log_level
        if self.options.debug:
            level = "debug"
        elif self.options.verbose and level in ("warning", "error", "critical"):
            level = "info" if self.options.verbose == 1 else "debug"
        pm_logging.configure(level, settings.pm_log_format, self.secrets(settings))
        return settings

    @staticmethod
    def secrets(settings: Settings) -> list[str]:
        values = [settings.alpaca_api_key, settings.alpaca_secret_key, settings.fred_api_key]
        found = [v.get_secret_value() for v in values if v is not None]
        password = urlsplit(settings.pm_database_url).password
        return [*found, unquote(password)] if password else found

    def scrub(self, text: str) -> str:
        """Remove every configured secret from text bound for the terminal."""
        if "settings" not in self.__dict__:
            return text
        from pm.logging import Scrubber

        return Scrubber(self.secrets(self.settings)).text(text)

    @cached_property
    def database(self) -> Database:
        from pm.db.engine import open_database

        settings = self.settings
        return open_database(settings.pm_database_url, auto_migrate=settings.pm_auto_migrate)

    def repo(self) -> Repository:
        """The database's stores, one per concern (opening the database on first use)."""
        return self.database.repository()

    def reconcile_store(self) -> ReconcileStore:
        return self.repo().reconcile

    def job_store(self) -> JobStore:
        return self.repo().jobs

    def book_store(self) -> BookStore:
        return self.repo().book

    @cached_property
    def _broker(self) -> Broker:
        settings = self.settings
        if settings.pm_broker == "demo":
            from pm.broker.demo.broker import DemoBroker
            from pm.cli.output import stderr_console

            stderr_console().print(
                "[bold magenta]SIMULATED[/] demo account: no real money, no broker.",
                markup=True,
            )
            return DemoBroker(self.database.demo_store(), self.clock)
        access = self.alpaca_access()
        from pm.broker.alpaca.adapter import AlpacaBroker

        return AlpacaBroker(base_url=settings.alpaca_base_url, **access)

    def broker(self) -> Broker:
        return self._broker

    def broker_identity(self) -> str:
        """Which account the settings point at, without building the broker client."""
        if self.settings.pm_broker == "demo":
            from pm.broker.demo.seed import DEMO_IDENTITY

            return DEMO_IDENTITY
        from pm.broker.alpaca.identity import identity

        return identity(self.settings.alpaca_base_url, self._credentials()[0])

    def alpaca_access(self) -> AlpacaAccess:
        """The keyword arguments every Alpaca client takes besides its URL (credentials are
        required: CredentialsError without them)."""
        api_key, secret_key = self._credentials()
        return AlpacaAccess(
            api_key=api_key,
            secret_key=secret_key,
            clock=self.clock,
            deadline_s=self.settings.pm_timeout,
        )

    def _credentials(self) -> tuple[str, str]:
        key, secret = self.settings.alpaca_api_key, self.settings.alpaca_secret_key
        if key is None or secret is None:
            raise CredentialsError(
                "no Alpaca credentials: set ALPACA_API_KEY and ALPACA_SECRET_KEY "
                "(and ALPACA_BASE_URL for live), or try the simulated account with --demo"
            )
        return key.get_secret_value(), secret.get_secret_value()

    # -- risk (issue 4): market data and the risk / sector tables --------------------------

    @cached_property
    def _market_data(self) -> MarketData:
        settings = self.settings
        if settings.pm_broker == "demo":
            from pm.broker.demo.market_data import DemoMarketData

            return DemoMarketData()
        access = self.alpaca_access()
        from pm.broker.alpaca.market_data import AlpacaMarketData

        return AlpacaMarketData(data_url=settings.alpaca_data_url, **access)

    def market_data(self) -> MarketData:
        """Daily bars: the demo's prices with --demo, else Alpaca's data API (ALPACA_DATA_URL)."""
        return self._market_data

    def risk_store(self) -> RiskStore:
        """`universe_fundamentals` and `alerts`."""
        return self.repo().risk

    def breaker_store(self) -> BreakerStore:
        return self.repo().breakers

    def audit_log(self) -> AuditLog:
        return self.repo().audit

    def latest_prices(self) -> LatestPrices | None:
        """Prices of symbols the account does not hold: demo prices, or Alpaca's data API."""
        settings = self.settings
        if settings.pm_broker == "demo":
            from pm.broker.demo.quotes import DemoPrices

            return DemoPrices(self.clock)
        if not settings.has_credentials:
            return None
        from pm.broker.alpaca.latest_trade import AlpacaLatestTrades

        return AlpacaLatestTrades(data_url=settings.alpaca_data_url, **self.alpaca_access())

    def finish(self) -> None:
        """Flush the data already printed, then run the deferred writes."""
        sys.stdout.flush()
        self.writes.run()
