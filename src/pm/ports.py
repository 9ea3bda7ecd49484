"""The interfaces services depend on; adapters in broker/, db/ and cli/ implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

# Type names only: importing the domain modules here would make every adapter and service that
# imports a port pay for all of them at start-up.
if TYPE_CHECKING:
    from pm.domain.book import BookChanges, BookEntry, NewBookEntry
    from pm.domain.breaker import BreakerStatus
    from pm.domain.exits import ExitEvent, ExitRule, ExitState
    from pm.domain.ledger import ActivityKind, ActivityPage, CashActivity, Fill, LedgerSync
    from pm.domain.lots import Lots
    from pm.domain.models import (
        Account,
        Asset,
        CancelResult,
        CloseResult,
        MarketClock,
        Order,
        OrderRequest,
        Position,
        TradingDay,
    )
    from pm.domain.performance import HistoryPoint
    from pm.domain.pm_orders import OrderIntent, PmOrder
    from pm.domain.policy import Policy, PolicySpec
    from pm.domain.portfolio import Snapshot
    from pm.domain.rebalance_runs import RebalanceRun
    from pm.domain.reconcile import (
        BookPosition,
        ConflictRecord,
        ReconcileDiff,
        RunRecord,
        StoredBook,
    )
    from pm.domain.regime import Observation
    from pm.domain.risk import Alert, AlertLevel
    from pm.domain.sectors import SectorRecord


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Broker(Protocol):
    """The brokerage account: the source of truth for positions, cash and orders.

    Every method raises `BrokerUnavailable`, `CredentialsError`, `NotFound` or `BrokerRejected`
    from `pm.domain.errors`, never a transport-specific exception.
    """

    @property
    def name(self) -> str:
        """ "alpaca" or "demo"; shown in `source.broker`."""
        ...

    @property
    def identity(self) -> str:
        """A stable, non-secret key for "this account at this broker", known before any call."""
        ...

    @property
    def simulated(self) -> bool: ...

    def get_account(self) -> Account: ...

    def get_positions(self) -> list[Position]: ...

    def get_position(self, symbol: str) -> Position: ...

    def submit_order(self, request: OrderRequest) -> Order: ...

    def get_order_by_client_id(self, client_order_id: str) -> Order | None: ...

    def close_position(
        self, symbol: str, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> Order: ...

    def close_all_positions(self, *, cancel_orders: bool) -> list[CloseResult]: ...

    def get_clock(self) -> MarketClock: ...

    def get_calendar(self, start: date, end: date) -> list[TradingDay]: ...

    def get_asset(self, symbol: str) -> Asset: ...

    def get_portfolio_history(self, start: date, end: date) -> list[HistoryPoint]:
        """The account's equity at each trading day's close from `start` to `end` (New York
        dates), oldest first, with each day's cash activities by type (`pm performance`)."""

    def get_activities(
        self,
        kind: ActivityKind,
        *,
        page_token: str | None,
        after: date | None = None,
        page_size: int = 100,
    ) -> ActivityPage:
        """One page of account activities, oldest first, just after `page_token` (an activity
        id): FILL activities (`kind` "fill") or every non-trade activity ("cash")."""

    def list_orders(self, *, status: str = "open", limit: int = 500) -> list[Order]:
        """The account's orders, newest first (``open``, ``closed`` or ``all``)."""
        ...

    def cancel_order(self, order_id: str) -> None:
        """Cancel one open order (NotFound when there is none; BrokerRejected when it can no
        longer be cancelled)."""
        ...

    def cancel_all_orders(self) -> list[CancelResult]:
        """Cancel every open order; one result per order the broker tried to cancel."""
        ...


class AccountStore(Protocol):
    """Which account each broker identity reaches. Each method is one transaction."""

    def register_account(self, account_id: str, broker_identity: str, now: datetime) -> None:
        """Remember which account these credentials reach, for `--allow-stale` when offline."""
        ...

    def account_for(self, broker_identity: str) -> str | None: ...


class SnapshotStore(Protocol):
    """Stored points in time of an account (`pm snapshot`, `pm history`, the drawdown)."""

    def save(self, snapshot: Snapshot) -> None: ...

    def latest(self, account_id: str) -> Snapshot | None:
        """The newest stored snapshot, with `source` as it was when taken."""
        ...

    def history(
        self, account_id: str, *, since: datetime | None, limit: int | None
    ) -> list[Snapshot]:
        """Stored snapshots, newest first."""
        ...

    def peak_equity(self, account_id: str) -> Decimal | None:
        """The highest equity among the account's stored snapshots; None without any."""
        ...


class WriteBehind(Protocol):
    """Runs writes after the user has their output; the process waits for them before exiting."""

    def submit(self, write: Callable[[], object]) -> None: ...


# -- circuit breaker, audit log, latest prices (pre-trade validation and closing) -------------


class BreakerStore(Protocol):
    """The persisted circuit breaker, one per account. Each method is one transaction."""

    def get(self, account_id: str) -> BreakerStatus | None:
        """The stored state; None when the account's breaker never changed (ACTIVE)."""
        ...

    def trip(self, account_id: str, reason: str, who: str, at: datetime) -> BreakerStatus:
        """HALT the account's breaker unless it already is (then the first trip stays).

        Returns the stored state afterwards; atomic against concurrent trips.
        """
        ...

    def reset(self, account_id: str, who: str, at: datetime) -> BreakerStatus:
        """Back to ACTIVE, remembering who reset it and when."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One destructive action: written as "pending" before the broker hears of it."""

    id: int
    account_id: str | None
    action: str
    arguments: dict[str, Any]
    os_user: str
    host: str
    created_at: datetime
    outcome: str  # pending, succeeded, failed, partial
    outcome_details: dict[str, Any] | None
    finished_at: datetime | None


class AuditLog(Protocol):
    """The audit trail of destructive actions (close, close-all, breaker changes, ...)."""

    def begin(
        self,
        *,
        account_id: str | None,
        action: str,
        arguments: dict[str, Any],
        os_user: str,
        host: str,
        at: datetime,
    ) -> int:
        """Write a "pending" row and commit it; returns its id."""
        ...

    def finish(self, entry_id: int, *, outcome: str, details: dict[str, Any], at: datetime) -> None:
        """Record the outcome of the action begun as `entry_id`."""
        ...

    def entries(
        self,
        account_id: str | None = None,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Newest first; `since` keeps entries created at or after it."""
        ...


class LatestPrices(Protocol):
    """The last trade price of a symbol from market data, when market data is available."""

    def latest_price(self, symbol: str) -> Decimal | None:
        """None when there is no recent trade (or no market data for the symbol)."""
        ...


# --- Risk: sectors, market data, alerts (issue 4, first half) -------------------------------


class SectorStore(Protocol):
    """Where imported sector data lives (`universe_fundamentals`)."""

    def sectors_for(self, symbols: Sequence[str]) -> dict[str, str]:
        """Stored sector per symbol, for those of `symbols` that have one."""
        ...

    def import_sectors(self, records: Sequence[SectorRecord], now: datetime) -> tuple[int, int]:
        """Insert or update every record in ONE transaction; returns (inserted, updated)."""
        ...


class RiskStore(SectorStore, Protocol):
    """Sectors and the alerts `pm risk` stores."""

    def save_alerts(self, account_id: str, alerts: Sequence[Alert], now: datetime) -> None:
        """Store one run's alerts (one transaction)."""
        ...


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert as `pm risk` stored it: which account, when, and the alert itself."""

    id: int
    account_id: str
    created_at: datetime
    alert: Alert


class AlertHistory(Protocol):
    """The alerts `pm risk` (and later the watch loop) stored."""

    def alert_history(
        self,
        account_id: str,
        *,
        since: datetime | None = None,
        levels: Sequence[AlertLevel] | None = None,
        limit: int | None = None,
    ) -> list[StoredAlert]:
        """Newest first; `levels` keeps only alerts of those levels (None: all)."""
        ...


@dataclass(frozen=True, slots=True)
class DailyCloses:
    """Daily closing prices per symbol, oldest first; symbols without history are absent.

    `unsupported` names symbols the source cannot give history for (crypto on the stocks
    endpoint), so a caller can say why they are missing.
    """

    closes: dict[str, list[tuple[date, Decimal]]]
    unsupported: tuple[str, ...] = ()


class MarketData(Protocol):
    """Historical prices. Raises `BrokerUnavailable` / `CredentialsError` like the Broker."""

    @property
    def name(self) -> str: ...

    def daily_closes(self, symbols: Sequence[str], start: date, end: date) -> DailyCloses:
        """Split- and dividend-adjusted daily closes for `symbols` between start and end."""
        ...

    def minute_bars(
        self, symbols: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MinuteBar]]:
        """One-minute bars of `symbols` (stocks and crypto pairs) that start in [start, end],
        oldest first, keyed by the caller's spelling (``BTCUSD`` as positions say it);
        symbols without bars (nothing traded, unknown) are absent."""
        ...


@dataclass(frozen=True, slots=True)
class MinuteBar:
    """One bar's time (its start), high, low and close."""

    t: datetime
    high: Decimal
    low: Decimal
    close: Decimal


# -- reconciliation, the watch loop's jobs and the positions book (issue 3) -----------------

#: progress(done, total): rows applied so far, for a progress bar on large reconciliations.
Progress = Callable[[int, int], None]


class ReconcileStore(Protocol):
    """Reconciliation runs, conflicts and the per-account lock; each write one transaction."""

    def last_completed_at(self, account_id: str) -> datetime | None:
        """`started_at` of the account's last completed run (skipped and failed do not count)."""
        ...

    def lock(self, account_id: str, wait_s: float = 0) -> AbstractContextManager[bool]:
        """Hold the account's reconciliation lock inside the block; yields False when another
        process holds it (after waiting up to `wait_s` seconds)."""
        ...

    def is_running(self, account_id: str) -> bool:
        """Whether some process holds the account's lock right now."""
        ...

    def open_book(self, account_id: str) -> list[BookPosition]:
        """The open positions of the account, only the columns the diff compares."""
        ...

    def stream_open_book(self, account_id: str) -> Iterator[BookPosition]:
        """`open_book` read in chunks as it is consumed (one chunk of rows held at a time),
        for a caller that goes through it once."""
        ...

    def stored_open_book(self, account_id: str) -> StoredBook:
        """`stream_open_book` as the database stores it, for `domain.reconcile.diff_stored`
        (`pm positions`' book write): rows in stored form, made records only where needed."""
        ...

    def apply(
        self,
        run: RunRecord,
        changes: ReconcileDiff,
        clock: Clock,
        progress: Progress | None = None,
    ) -> RunRecord:
        """Apply the diff and store the completed run in ONE transaction; return it stored."""
        ...

    def save_run(self, run: RunRecord) -> RunRecord:
        """Store a skipped or failed run; return it with its `run_id`."""
        ...

    def runs(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[RunRecord]:
        """Stored runs, newest first."""
        ...

    def conflicts(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[ConflictRecord]:
        """Stored conflict records, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class JobState:
    """A periodic job's row in the `jobs` table (shared by every watcher of the account)."""

    account_id: str
    name: str
    interval_s: int
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None


class JobStore(Protocol):
    def claim(self, account_id: str, name: str, interval_s: int, now: datetime) -> bool:
        """Atomically mark the job started if it is due (never run, failed last time, or
        `interval_s` passed since its last run); False when it is not due or another watcher
        claimed it first."""
        ...

    def finish(self, account_id: str, name: str, status: str, error: str | None) -> None: ...

    def jobs(self, account_id: str) -> list[JobState]: ...


class BookStore(Protocol):
    """The book's rows of one account, edited by hand; each method one transaction."""

    def entries(self, account_id: str, *, include_closed: bool = False) -> list[BookEntry]: ...

    def get(self, account_id: str, entry_id: int) -> BookEntry:
        """The row, or NotFound."""
        ...

    def add(self, account_id: str, entry: NewBookEntry, now: datetime) -> BookEntry:
        """Insert an open row; BadInput when the symbol is already open."""
        ...

    def edit(
        self, account_id: str, entry_id: int, changes: BookChanges, now: datetime
    ) -> BookEntry: ...

    def remove(self, account_id: str, entry_id: int) -> BookEntry:
        """Delete the row and return what it was; NotFound when there is none."""
        ...

    def realized_pl(self, account_id: str) -> Decimal | None:
        """Realized P/L from the book's closed rows; None while there is no trade history."""
        ...


class LedgerStore(Protocol):
    """Fills and cash activities of the trade ledger; each method one transaction."""

    def fills(
        self, account_id: str, *, symbol: str | None = None, since: datetime | None = None
    ) -> list[Fill]:
        """Oldest first (by transaction time, then fill id): the order FIFO matching needs."""
        ...

    def lots(self, account_id: str, *, symbol: str | None = None) -> Lots:
        """FIFO lots of the stored fills (one symbol's, or all): `match_fifo` of `fills`."""
        ...

    def cash_activities(self, account_id: str, *, since: date | None = None) -> list[CashActivity]:
        """Oldest first (by date, then activity id)."""
        ...

    def add_fills(self, account_id: str, new: Sequence[Fill]) -> int:
        """Store the fills not stored yet (by `fill_id`); returns how many were new."""
        ...

    def add_cash_activities(self, account_id: str, new: Sequence[CashActivity]) -> int:
        """Store the activities not stored yet (by `activity_id`); returns how many were new."""
        ...

    def sync_state(self, account_id: str) -> LedgerSync | None:
        """How far the activities sync got; None before the first page was stored."""
        ...

    def commit_page(
        self, account_id: str, kind: ActivityKind, page: ActivityPage, now: datetime
    ) -> tuple[int, int]:
        """Store a page's new fills and cash activities and advance the stream's cursor, in
        ONE transaction; FILL activities of an order pm recorded itself replace its provisional
        `order:<id>` fill. Returns (new fills, new cash activities)."""
        ...

    def realized_pl(self, account_id: str) -> Decimal:
        """Realized P/L over the account's closed FIFO lots (cached until the fills change)."""
        ...

    def forget(self, account_id: str) -> None:
        """Delete the account's fills, cash activities and sync state (the demo's reset)."""
        ...

    def finish_sync(self, account_id: str, now: datetime) -> LedgerSync:
        """Mark the account's ledger caught up: complete once a sync reached the newest
        activity of both streams from the start."""
        ...


class PolicyStore(Protocol):
    """Allocation policies of an account, by name (`NotFound` for a name not stored)."""

    def policies(self, account_id: str) -> list[Policy]: ...

    def get(self, account_id: str, name: str) -> Policy: ...

    def active(self, account_id: str) -> Policy | None: ...

    def create(self, account_id: str, spec: PolicySpec, who: str, now: datetime) -> Policy:
        """Store a new, inactive policy (`BadInput` if the name is taken)."""
        ...

    def update(self, account_id: str, name: str, spec: PolicySpec, now: datetime) -> Policy: ...

    def activate(self, account_id: str, name: str, now: datetime) -> Policy:
        """Make `name` the account's only active policy, in one transaction."""
        ...

    def deactivate(self, account_id: str, name: str, now: datetime) -> Policy: ...

    def remove(self, account_id: str, name: str) -> Policy: ...


class RunStore(Protocol):
    """Rebalance runs (`rebalance_runs`): `create` commits the run row before any order."""

    def create(
        self,
        *,
        account_id: str,
        policy_id: int | None,
        trace_id: str,
        status: str,
        trigger_type: str,
        input_snapshot: dict[str, Any],
        order_intents: list[dict[str, Any]],
        rationale: str | None,
        started_at: datetime,
    ) -> RebalanceRun: ...

    def get(self, account_id: str, run_id: int) -> RebalanceRun:
        """The run, or NotFound."""
        ...

    def runs(
        self,
        account_id: str,
        *,
        status: str | None = None,
        since: datetime | None = None,
        trigger_type: str | None = None,
        limit: int | None = None,
    ) -> list[RebalanceRun]:
        """Newest first."""
        ...

    def update(
        self,
        account_id: str,
        run_id: int,
        *,
        status: str | None = None,
        executed_orders: dict[str, Any] | None = None,
        rationale: str | None = None,
        completed_at: datetime | None = ...,
        trace_id: str | None = None,
    ) -> RebalanceRun: ...


class OrderStore(Protocol):
    """pm's own orders (`orders`), the fills they make and the lock of order-placing commands.

    `begin` writes the audit row and the order rows in ONE transaction, before the broker
    hears of them; `record` stores the broker's answer, and when the order is done with a
    filled quantity, its fill row and the book's position change in the same transaction.
    """

    def lock(self, account_id: str, wait_s: float = 0) -> AbstractContextManager[bool]:
        """Hold the account's order lock (one order-placing command at a time); yields False
        when another process holds it after waiting up to `wait_s` seconds."""
        ...

    def begin(
        self,
        *,
        account_id: str,
        action: str,
        arguments: dict[str, Any],
        os_user: str,
        host: str,
        at: datetime,
        origin: str,
        origin_ref: str | None,
        intents: Sequence[OrderIntent],
    ) -> tuple[int, list[PmOrder]]:
        """The pending audit row and one pending order row per intent; (audit id, orders)."""
        ...

    def record(
        self, order: PmOrder, status: str, at: datetime, answer: Order | None = None
    ) -> PmOrder:
        """The order's new status (and the broker's figures from `answer`); see the class."""
        ...

    def get(self, account_id: str, order_id: int) -> PmOrder:
        """The row, or NotFound."""
        ...

    def orders(
        self,
        account_id: str,
        *,
        unsettled: bool = False,
        symbol: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[PmOrder]:
        """Newest first; `unsettled` keeps orders whose outcome is not final yet."""
        ...

    def for_audit(self, audit_id: int) -> list[PmOrder]:
        """The orders of one audited action, by leg."""
        ...

    def unfinished_audits(self, account_id: str) -> list[int]:
        """Audit rows of the account's order actions still ``pending`` or ``unknown``."""
        ...


class Repository(Protocol):
    """The local database: one store per concern, each store's methods one transaction."""

    @property
    def accounts(self) -> AccountStore: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    @property
    def book(self) -> BookStore: ...

    @property
    def reconcile(self) -> ReconcileStore: ...

    @property
    def jobs(self) -> JobStore: ...

    @property
    def risk(self) -> RiskStore: ...

    @property
    def breakers(self) -> BreakerStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def ledger(self) -> LedgerStore: ...

    @property
    def policies(self) -> PolicyStore: ...

    @property
    def macro(self) -> MacroCache: ...

    @property
    def orders(self) -> OrderStore: ...

    @property
    def exits(self) -> ExitStore: ...

    @property
    def runs(self) -> RunStore: ...


# -- the demo broker's own state, kept in the local database through this port ----------------


@dataclass(slots=True)
class DemoHolding:
    """One position of the simulated account; qty is negative for a short."""

    symbol: str
    asset_id: str
    asset_class: str
    qty: Decimal
    avg_entry_price: Decimal


@dataclass(slots=True)
class DemoState:
    """What a real broker would hold for the simulated account: cash and holdings."""

    account_id: str
    cash: Decimal
    holdings: dict[str, DemoHolding] = field(default_factory=dict)


class DemoStore(Protocol):
    """Keeps the demo account in the local database, under the demo account's own id.

    Implemented in `pm.db`; the demo broker receives it from whoever builds it, so neither
    package imports the other.
    """

    def load(self, account_id: str) -> DemoState | None: ...

    def save(self, state: DemoState, new_orders: Sequence[Order]) -> None:
        """Replace cash and holdings and append the orders, in one transaction."""
        ...

    def find_order(self, account_id: str, client_order_id: str) -> Order | None: ...

    def orders(self, account_id: str, limit: int = 500) -> list[Order]:
        """The account's orders, newest first."""
        ...

    def fills_since(self, account_id: str, since: datetime) -> list[Order]:
        """Orders that filled at or after `since`, oldest first (what moved the account
        since the last close)."""
        ...

    def reset(self, account_id: str) -> None:
        """Forget the account's state and orders (the next read starts from the seed)."""
        ...


# -- what an adapter package builds: the ports of one broker, and who it is ------------------


@dataclass(frozen=True, slots=True)
class BrokerIdentity:
    """Which account at which broker the settings point at, known before any request.

    `key` is stable and holds no secret (it names the account in the local database until
    the broker has told its id); `account_id` is known up front only where no broker needs
    asking (the demo).
    """

    broker: str
    key: str
    endpoint: str
    live: bool
    simulated: bool
    account_id: str | None = None


class Adapters(Protocol):
    """One broker's ports, each built on first use (`pm.broker.<name>.build` returns this)."""

    @property
    def identity(self) -> BrokerIdentity: ...

    @property
    def broker(self) -> Broker: ...

    @property
    def market_data(self) -> MarketData: ...

    @property
    def latest_prices(self) -> LatestPrices: ...


# -- macro data for the market regime (`pm regime`, issue 11) --------------------------------


class MacroSource(Protocol):
    """Macro series (FRED, or the demo's own). Raises `BrokerUnavailable` when the source is
    down, `CredentialsError` when it refuses the key, `BrokerRejected` for other refusals."""

    @property
    def name(self) -> str:
        """ "fred" or "demo": the cache keeps each source's values apart."""
        ...

    def observations(self, series_id: str) -> list[Observation]:
        """The series' recent observations, oldest first, missing values skipped."""
        ...


@dataclass(frozen=True, slots=True)
class CachedObservation:
    """A cached observation and when it was fetched."""

    observation: Observation
    fetched_at: datetime


class MacroCache(Protocol):
    """Observations of macro series with their fetch time (`macro_observations`)."""

    def save(self, source: str, observations: Sequence[Observation], fetched_at: datetime) -> None:
        """Store (or refresh) the observations, all fetched at `fetched_at`; one transaction."""
        ...

    def latest(self, source: str, series_ids: Sequence[str]) -> dict[str, CachedObservation]:
        """The newest cached observation of each series that has one."""
        ...


# -- exit rules (`pm exits`, issue 12) ----------------------------------------------------------


class ExitStore(Protocol):
    """Exit rules per account (symbol ``*`` the default), each open position's exit state
    (merged on write: best price and stop only move in the position's favour), the change
    log, and pm's exit orders of positions."""

    def rules(self, account_id: str) -> dict[str, ExitRule]: ...

    def set_rule(self, account_id: str, rule: ExitRule, who: str, now: datetime) -> ExitRule: ...

    def remove_rule(self, account_id: str, symbol: str) -> bool: ...

    def states(self, account_id: str) -> dict[str, ExitState]: ...

    def generations(self, account_id: str) -> dict[str, int]: ...

    def save(
        self,
        account_id: str,
        states: Sequence[ExitState],
        events: Sequence[ExitEvent],
        closed: Sequence[str],
        now: datetime,
    ) -> list[ExitState]: ...

    def events(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[ExitEvent]: ...

    def exit_orders(self, account_id: str, keys: Sequence[str]) -> list[PmOrder]: ...
