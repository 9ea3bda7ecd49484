"""`pm trades`: the activities sync, the fills it stored, FIFO lots and realized P/L.

The sync reads the broker's activities oldest first (``direction=asc``) from the stored
cursor, one page at a time, and commits the pages together with the cursor (every
`COMMIT_ROWS` activities, at the end, and before a failed page's error goes on): an
interrupted sync resumes after the last page it read, and running it twice stores nothing
twice. A process killed outright loses at most the uncommitted pages, read again next time. Two
streams: FILL activities (cursor `last_fill_id`), and every non-trade activity (deposits,
withdrawals, journals, dividends, fees, ...). A non-trade activity's id starts with its date
(a fee is usually created the day after its trade date), so the cash stream starts a week
before its cursor and relies on the store skipping what it already holds.

The first sync starts from the beginning, so once it finishes the ledger holds the account's
whole history (`complete`); `covers_from` is its oldest activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from pm.domain.errors import CredentialsError, PmError
from pm.domain.gc_pause import gc_paused
from pm.domain.ledger import ACTIVITY_PAGE_SIZE, ActivityKind, ActivityPage, Fill, LedgerSync
from pm.domain.lots import ClosedLot, OpenLot
from pm.domain.portfolio import holding_key
from pm.logging import get_logger
from pm.ports import Broker, Clock, Repository

log = get_logger("pm.trades")

#: How far before its cursor the cash stream starts again (fees are dated before they exist).
CASH_REWIND = timedelta(days=7)
#: Pages read are committed (with the cursor after them) once they hold this many
#: activities, at the end of the stream, and before a failure of the next page propagates.
COMMIT_ROWS = 5000
#: A sync stops after this many pages of one stream (a broker that never ends its pages).
MAX_PAGES = 100_000


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync stored: new fills and cash activities, pages read, the ledger's state."""

    new_fills: int
    new_cash: int
    pages: int
    state: LedgerSync


def sync(
    broker: Broker,
    repo: Repository,
    account_id: str,
    clock: Clock,
    *,
    page_size: int = ACTIVITY_PAGE_SIZE,
    touch: bool = True,
) -> SyncResult:
    """Store the broker's activities not stored yet (see the module doc). A broker failure
    part-way leaves the pages already read stored and the cursor after them. Without
    `touch`, a sync that found nothing new on a complete ledger writes nothing (not even
    `synced_at`): what a read-only command (the demo's snapshot) wants."""
    state = repo.ledger.sync_state(account_id)
    fills, _, fill_pages = _stream(
        broker,
        repo,
        account_id,
        clock,
        "fill",
        token=state.last_fill_id if state else None,
        after=None,
        page_size=page_size,
    )
    last_cash = state.last_cash_id if state else None
    cash_after = _id_date(last_cash)
    _, cash, cash_pages = _stream(
        broker,
        repo,
        account_id,
        clock,
        "cash",
        token=None,
        after=cash_after - CASH_REWIND if cash_after else None,
        page_size=page_size,
    )
    if not touch and state is not None and state.complete and fills == cash == 0:
        return SyncResult(0, 0, fill_pages + cash_pages, state)
    done = repo.ledger.finish_sync(account_id, clock.now())
    log.info("activities synced", account_id=account_id, fills=fills, cash=cash)
    return SyncResult(fills, cash, fill_pages + cash_pages, done)


def _stream(
    broker: Broker,
    repo: Repository,
    account_id: str,
    clock: Clock,
    kind: ActivityKind,
    *,
    token: str | None,
    after: date | None,
    page_size: int,
) -> tuple[int, int, int]:
    new_fills = new_cash = pages = rows = 0
    pending: list[ActivityPage] = []

    def commit() -> None:
        nonlocal new_fills, new_cash, rows
        if pending:
            f, c = repo.ledger.commit_page(account_id, kind, joined(pending), clock.now())
            new_fills += f
            new_cash += c
            pending.clear()
            rows = 0

    more = True
    try:
        while more and pages < MAX_PAGES:
            # A batch (its pages, then their commit) with the collector paused: its records
            # live until the commit, and every collection meanwhile would walk them again
            # (see gc_pause). Resumed after each commit, so the little cyclic garbage the
            # transport leaves (its retry state) waits for one batch at most.
            with gc_paused():
                while pages < MAX_PAGES:
                    page = broker.get_activities(
                        kind, page_token=token, after=after, page_size=page_size
                    )
                    pages += 1
                    if page.count == 0 or page.last_id is None:
                        more = False
                        break
                    pending.append(page)
                    rows += page.count
                    if page.count < page_size or (token is not None and page.last_id <= token):
                        more = False  # the last page (or a broker that does not move on: stop)
                        break
                    token = page.last_id
                    if rows >= COMMIT_ROWS:
                        break
                commit()
    finally:  # what was read is stored, with its cursor, even when the next page failed
        commit()
    return new_fills, new_cash, pages


def joined(pages: list[ActivityPage]) -> ActivityPage:
    """Consecutive pages as one (committed in one transaction)."""
    if len(pages) == 1:
        return pages[0]
    return ActivityPage(
        tuple(f for p in pages for f in p.fills),
        tuple(a for p in pages for a in p.cash),
        pages[-1].last_id,
        sum(p.count for p in pages),
    )


def _id_date(activity_id: str | None) -> date | None:
    """The date an activity id starts with (``YYYYMMDD...::uuid``); None if it does not."""
    if not activity_id:
        return None
    try:
        return datetime.strptime(activity_id[:8], "%Y%m%d").date()
    except ValueError:
        return None


def sync_warning(
    broker: Broker, repo: Repository, account_id: str, clock: Clock, *, touch: bool = True
) -> tuple[SyncResult | None, str | None]:
    """The sync for callers it must not fail (each `pm reconcile`): the result, or None and
    a one-line warning. Bad credentials still raise."""
    try:
        return sync(broker, repo, account_id, clock, touch=touch), None
    except CredentialsError:
        raise
    except PmError as error:
        log.warning("activities sync failed", account_id=account_id, error=error.message)
        return None, f"trade ledger not synced: {error.message}"


# -- reading the ledger ------------------------------------------------------------------------


def _symbol(symbol: str | None) -> str | None:
    return None if symbol is None else holding_key(symbol)


def fills(
    repo: Repository, account_id: str, *, symbol: str | None = None, since: datetime | None = None
) -> list[Fill]:
    """Stored fills, oldest first."""
    return repo.ledger.fills(account_id, symbol=_symbol(symbol), since=since)


@dataclass(frozen=True, slots=True)
class LotsResult:
    open: tuple[OpenLot, ...]
    closed: tuple[ClosedLot, ...]
    realized_pl: Decimal
    state: LedgerSync | None


def lots(
    repo: Repository,
    account_id: str,
    *,
    symbol: str | None = None,
    open_only: bool = False,
    closed_only: bool = False,
) -> LotsResult:
    """FIFO lots of the stored fills (one symbol's, or all), with the realized P/L of the
    closed ones and how far the ledger reaches."""
    matched = repo.ledger.lots(account_id, symbol=_symbol(symbol))
    return LotsResult(
        open=() if closed_only else matched.open,
        closed=() if open_only else matched.closed,
        realized_pl=matched.realized_pl,
        state=repo.ledger.sync_state(account_id),
    )


@dataclass(frozen=True, slots=True)
class Realized:
    """Realized P/L for the snapshot: None when the ledger does not hold the account's whole
    history (then the book's figure, if any, is used); `since` the ledger's oldest activity."""

    pl: Decimal | None
    since: datetime | None
    from_ledger: bool


def realized(repo: Repository, account_id: str) -> Realized:
    """Sum over closed FIFO lots once a sync imported the account's history; otherwise the
    book's realized P/L (None while there is none)."""
    state = repo.ledger.sync_state(account_id)
    if state is None or not state.complete:
        return Realized(repo.book.realized_pl(account_id), None, False)
    return Realized(repo.ledger.realized_pl(account_id), state.covers_from, True)
