"""`pm book`: list, show, add, edit and remove rows of the local positions book.

Every function acts on the book of `account_id` (decided by the caller). Input is validated
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pm.domain.book import (
    BookChanges,
    BookEntry,
    NewBookEntry,
    parse_price,
    parse_side,
    parse_size,
    parse_strategy_id,
    parse_symbol,
    signed,
)
from pm.domain.errors import BadInput
from pm.domain.portfolio import holding_key
from pm.ports import BookStore, Clock


@dataclass(frozen=True, slots=True)
class BookInput:
    """What the user typed, as text; parsed and checked here, not in the CLI."""

    qty: str | None = None
    side: str | None = None
    entry_price: str | None = None
    strategy_id: str | None = None
    opened_at: datetime | None = None


def entries(store: BookStore, account_id: str, *, include_closed: bool) -> list[BookEntry]:
    return store.entries(account_id, include_closed=include_closed)


def show(store: BookStore, account_id: str, entry_id: int) -> BookEntry:
    return store.get(account_id, entry_id)


def _opened_at(value: datetime | None, clock: Clock) -> datetime | None:
    if value is not None and value > clock.now():
        raise BadInput("`opened_at` is in the future")
    return value


def add(
    store: BookStore,
    account_id: str,
    clock: Clock,
    *,
    symbol: str,
    given: BookInput,
) -> BookEntry:
    if given.qty is None or given.entry_price is None:
        raise BadInput("a new row needs `qty` and `entry_price`")
    side = parse_side(given.side) or "long"
    key = parse_symbol(symbol)
    for row in store.entries(account_id, include_closed=False):
        if holding_key(row.symbol) == key:  # the row may be spelled BTC/USD, BTCUSD, ...
            raise BadInput(
                f"{row.symbol} is already open in the book (id {row.id}): edit that row instead"
            )
    entry = NewBookEntry(
        symbol=key,
        qty=signed(parse_size(given.qty), side),
        side=side,
        entry_price=parse_price(given.entry_price),
        strategy_id=parse_strategy_id(given.strategy_id) or None,
        opened_at=_opened_at(given.opened_at, clock),
    )
    return store.add(account_id, entry, clock.now())


def edit(
    store: BookStore,
    account_id: str,
    clock: Clock,
    entry_id: int,
    given: BookInput,
) -> BookEntry:
    side = parse_side(given.side)
    changes = BookChanges(
        qty=None if given.qty is None else parse_size(given.qty),
        side=side,
        entry_price=None if given.entry_price is None else parse_price(given.entry_price),
        strategy_id=parse_strategy_id(given.strategy_id),
        opened_at=_opened_at(given.opened_at, clock),
    )
    if changes.empty:
        raise BadInput(
            "nothing to change: give `qty`, `side`, `entry_price`, `strategy_id` or `opened_at`"
        )
    return store.edit(account_id, entry_id, changes, clock.now())


def remove(store: BookStore, account_id: str, entry_id: int) -> BookEntry:
    return store.remove(account_id, entry_id)
