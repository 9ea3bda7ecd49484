"""Builds the object graph for one command, lazily, so each command pays only for what it uses."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from pm.cli.terminal import Terminal
from pm.domain.errors import CredentialsError

if TYPE_CHECKING:
    from pm.broker.demo.broker import DemoBroker
    from pm.config import Settings
    from pm.db.engine import Database
    from pm.domain.models import Actor
    from pm.ports import (
        Adapters,
        AuditLog,
        BookStore,
        BreakerStore,
        Broker,
        BrokerIdentity,
        DemoStore,
        JobStore,
        LatestPrices,
        MacroSource,
        MarketData,
        ReconcileStore,
        Repository,
        RiskStore,
    )


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


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
        self._account_id: str | None = None
        self.terminal = Terminal()

    @property
    def json_output(self) -> bool:
        """--json or --jsonl was given: errors are written as a JSON object too."""
        return self.terminal.machine

    @json_output.setter
    def json_output(self, value: bool) -> None:
        if value and not self.terminal.machine:
            self.terminal.format = "json"

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

    @property
    def overrides(self) -> dict[str, object]:
        """The settings given as command-line options (they beat the environment)."""
        given: dict[str, object] = {
            "pm_broker": "demo" if self.options.demo else None,
            "pm_timeout": self.options.timeout,
        }
        return {name: value for name, value in given.items() if value is not None}

    @cached_property
    def settings(self) -> Settings:
        from pm.config import load_settings

        return load_settings(**self.overrides)

    @staticmethod
    def secrets(settings: Settings) -> list[str]:
        from pm.db.urls import url_passwords

        values = [settings.alpaca_api_key, settings.alpaca_secret_key, settings.fred_api_key]
        found = [v.get_secret_value() for v in values if v is not None]
        return [*found, *url_passwords(settings.pm_database_url)]

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

    # -- the broker's adapters and the account (decided once, here) ------------------------

    @cached_property
    def adapters(self) -> Adapters:
        """The configured broker's ports: the demo with --demo, else Alpaca (credentials
        required: CredentialsError without them)."""
        if self.settings.pm_broker == "demo":
            from pm.broker.demo.build import build as build_demo

            return build_demo(self._open_demo_store, self.clock)  # the database opens on use
        from pm.broker.alpaca.build import build as build_alpaca

        settings = self.settings
        api_key, secret_key = self._credentials()
        return build_alpaca(
            api_key=api_key,
            secret_key=secret_key,
            base_url=settings.alpaca_base_url,
            data_url=settings.alpaca_data_url,
            clock=self.clock,
            deadline_s=settings.pm_timeout,
        )

    def identity(self) -> BrokerIdentity:
        """Which account the settings point at, without a broker call."""
        return self.adapters.identity

    @cached_property
    def _broker(self) -> Broker:
        adapters = self.adapters
        if adapters.identity.simulated:
            self.terminal.simulated_banner()
        return adapters.broker

    def broker(self) -> Broker:
        return self._broker

    def demo_broker(self) -> DemoBroker:
        """The simulated account itself, for `pm demo` (with or without --demo)."""
        from pm.broker.demo.build import build as build_demo

        self.terminal.simulated_banner()
        return build_demo(self._open_demo_store, self.clock).broker

    def _open_demo_store(self) -> DemoStore:
        return self.database.demo_store()

    def market_data(self) -> MarketData:
        """Daily bars: the demo's prices with --demo, else Alpaca's data API (ALPACA_DATA_URL)."""
        return self.adapters.market_data

    def latest_prices(self) -> LatestPrices:
        """Prices of symbols the account does not hold: demo prices, or Alpaca's data API."""
        return self.adapters.latest_prices

    def account_id(self, *, ask_broker: bool = True) -> str:
        """The account this command acts on, decided once: remembered in the database, known
        up front (the demo), or (with `ask_broker`) asked of the broker once. Commands that
        only read what is stored pass ask_broker=False: NotFound for an account never seen."""
        if self._account_id is None:
            from pm.services.accounts import resolve

            broker = self.broker() if ask_broker else None
            self._account_id = resolve(self.identity(), self.repo(), self.clock, broker=broker)
        return self._account_id

    def _credentials(self) -> tuple[str, str]:
        key, secret = self.settings.alpaca_api_key, self.settings.alpaca_secret_key
        if key is None or secret is None:
            raise CredentialsError(
                "no Alpaca credentials: set ALPACA_API_KEY and ALPACA_SECRET_KEY "
                "(and ALPACA_BASE_URL for live), or try the simulated account with --demo"
            )
        return key.get_secret_value(), secret.get_secret_value()

    # -- the stores -------------------------------------------------------------------------

    def risk_store(self) -> RiskStore:
        """`universe_fundamentals` and `alerts`."""
        return self.repo().risk

    def breaker_store(self) -> BreakerStore:
        return self.repo().breakers

    def audit_log(self) -> AuditLog:
        return self.repo().audit

    def macro_source(self) -> MacroSource | None:
        """Macro series for `pm regime`: the demo's with --demo, FRED with FRED_API_KEY,
        else None (the regime is then unknown)."""
        settings = self.settings
        if settings.pm_broker == "demo":
            from pm.broker.demo.macro import DemoMacro

            return DemoMacro(self.clock)
        if settings.fred_api_key is None:
            return None
        from pm.broker.fred.client import FredClient, FredPolicy

        return FredClient(
            settings.fred_api_key.get_secret_value(),
            base_url=settings.fred_api_url,
            policy=FredPolicy(deadline_s=settings.pm_timeout),
        )

    def macro_source_name(self) -> str:
        """Which cached macro values belong to this command: "demo" or "fred"."""
        return "demo" if self.settings.pm_broker == "demo" else "fred"

    def close(self) -> None:
        """Close the database's connections, if this command opened it: SQLite then folds its
        write-ahead log back into the file, as it does when the last connection closes."""
        database: Database | None = self.__dict__.get("database")
        if database is not None:
            database.close()

    def finish(self) -> None:
        """Flush the data already printed, then run the deferred writes."""
        sys.stdout.flush()
        self.writes.run()
