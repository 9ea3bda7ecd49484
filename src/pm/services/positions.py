"""`pm positions`: the broker's open positions, written into the book after they are shown.

The write is a reconciliation (`services.reconcile.write_fetched`): one path puts broker
positions into the book."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pm.domain.errors import BadInput, NotFound
from pm.domain.models import Position, Source
from pm.domain.portfolio import drop_dust, holding_key
from pm.ports import Broker, Clock, Repository, WriteBehind
from pm.services.live import account_and_positions, source_of
from pm.services.reconcile import write_fetched

SortKey = Literal[
    "symbol", "qty", "market_value", "cost_basis", "unrealized_pl", "unrealized_pl_pct"
]


@dataclass(frozen=True, slots=True)
class PositionsResult:
    positions: tuple[Position, ...]
    source: Source
    account_id: str


def fetch(
    broker: Broker,
    open_repo: Callable[[], Repository],
    clock: Clock,
    writes: WriteBehind,
    *,
    sort: SortKey = "symbol",
    descending: bool = False,
) -> PositionsResult:
    """Live positions without dust, sorted; the book sync runs after the output."""
    with account_and_positions(broker) as pending:
        account, positions = pending.result()
    source = source_of(broker, clock)
    held = drop_dust(positions)
    held.sort(key=lambda p: getattr(p, sort), reverse=descending)

    def sync() -> None:
        repo = open_repo()
        repo.accounts.register_account(account.account_id, broker.identity, source.fetched_at)
        write_fetched(repo.reconcile, account.account_id, held, clock)

    writes.submit(sync)
    return PositionsResult(tuple(held), source, account.account_id)


def show(broker: Broker, account_id: str, clock: Clock, symbol: str) -> PositionsResult:
    """One live position, however the symbol is spelled (``btcusd`` finds a position the
    broker reports as ``BTC/USD``); NotFound (exit 4) when the account does not hold it,
    BadInput (exit 2) for no symbol at all, as `pm close` says."""
    if not symbol.strip():
        raise BadInput("give the symbol of the position to show")
    key = holding_key(symbol)
    try:
        position = broker.get_position(key)
    except NotFound:  # the broker may spell it otherwise: look through what it holds
        found = [p for p in broker.get_positions() if holding_key(p.symbol) == key]
        if not found:
            raise NotFound(f"no open position in {key}") from None
        position = found[0]
    return PositionsResult((position,), source_of(broker, clock), account_id)
