"""`pm tax lots` and `pm tax harvest`: open lots from the ledger valued at the live positions'
prices, the losses worth harvesting, and the harvest's sells through the one order path.

A harvest sells, per symbol, the oldest lots whose cumulative P/L is the most negative (the
broker relieves the oldest lots first: `pm.domain.tax.harvest`). It is never sent when it
would be a wash sale: a buy fill of the symbol within 30 days before the sale (the lot being
sold included), or an open buy order of it at the broker; nor when the ledger's lots do not
add up to the position the broker holds (the loss would not be the one shown). Both are
checked again under the account's order lock, after settling, right before the orders go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pm.domain.errors import BadInput, CheckFailed
from pm.domain.ledger import LedgerSync
from pm.domain.lots import match_fifo
from pm.domain.market_calendar import trade_date
from pm.domain.models import Order, Position, Source
from pm.domain.pm_orders import OrderIntent, order_symbol
from pm.domain.portfolio import drop_dust, holding_key
from pm.domain.tax import (
    Harvest,
    TaxLot,
    buys_in_window,
    fifo_long_lots,
    harvest,
    value_lots,
)
from pm.ports import Broker, Clock, LedgerStore, Repository
from pm.services import orders
from pm.services.live import source_of
from pm.services.orders import Leg, OrderDesk, reason_codes
from pm.services.validate import Guard, ProposedOrder, ValidationResult, held, require_all

ZERO = Decimal(0)


def _symbol(symbol: str | None) -> str | None:
    return None if symbol is None else holding_key(symbol)


# -- pm tax lots -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaxLots:
    lots: tuple[TaxLot, ...]
    state: LedgerSync | None
    today: date
    source: Source


def tax_lots(
    broker: Broker, repo: Repository, account_id: str, clock: Clock, *, symbol: str | None = None
) -> TaxLots:
    """The ledger's open lots (FIFO), each valued at its position's current price."""
    positions = broker.get_positions()
    prices = {holding_key(p.symbol): p.current_price for p in positions if p.current_price > 0}
    matched = repo.ledger.lots(account_id, symbol=_symbol(symbol))
    today = trade_date(clock.now())
    return TaxLots(
        lots=tuple(value_lots(matched.open, prices, today)),
        state=repo.ledger.sync_state(account_id),
        today=today,
        source=source_of(broker, clock),
    )


# -- pm tax harvest ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A harvest and whether it may be sent (`blocked` says why not)."""

    harvest: Harvest
    position: Position
    lots_qty: Decimal  # what the ledger's long lots of the symbol add up to
    blocked: str | None

    @property
    def executable(self) -> bool:
        return self.blocked is None


@dataclass(frozen=True, slots=True)
class HarvestPlan:
    account_id: str
    candidates: tuple[Candidate, ...]
    min_loss: Decimal
    today: date
    state: LedgerSync | None
    source: Source

    @property
    def executable(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.executable)

    @property
    def est_realized_pl(self) -> Decimal:
        return sum((c.harvest.estimate.total for c in self.executable), ZERO)


def plan_harvest(
    broker: Broker, repo: Repository, account_id: str, clock: Clock, *, min_loss: Decimal
) -> HarvestPlan:
    """The long positions whose oldest lots would realize a loss of at least `min_loss`."""
    if min_loss < 0:
        raise BadInput("`min_loss` must be >= 0")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pm-tax") as pool:
        positions_f = pool.submit(broker.get_positions)
        orders_f = pool.submit(broker.list_orders, status="open")
        positions, open_orders = drop_dust(positions_f.result()), orders_f.result()
    fills = repo.ledger.fills(account_id)
    matched = match_fifo(fills)
    today = trade_date(clock.now())
    open_buys = Counter(holding_key(o.symbol) for o in open_orders if o.side == "buy")
    out: list[Candidate] = []
    for p in sorted(positions, key=lambda p: p.symbol):
        if p.qty <= 0 or p.current_price <= 0:
            continue
        lots = fifo_long_lots(matched.open, p.symbol)
        found = harvest(
            lots,
            p.current_price,
            today,
            fills,
            held_qty=p.qty,
            open_buy_orders=open_buys[holding_key(p.symbol)],
        )
        if found is None or -found.estimate.total < min_loss or found.estimate.total >= 0:
            continue
        lots_qty = sum((lot.qty for lot in lots), ZERO)
        out.append(Candidate(found, p, lots_qty, _blocked(found, p, lots_qty)))
    return HarvestPlan(
        account_id=account_id,
        candidates=tuple(out),
        min_loss=min_loss,
        today=today,
        state=repo.ledger.sync_state(account_id),
        source=source_of(broker, clock),
    )


def _blocked(h: Harvest, position: Position, lots_qty: Decimal) -> str | None:
    if h.wash_sale:
        return f"wash sale: {h.why_wash()}"
    if lots_qty != position.qty:
        return (
            f"the ledger's lots ({lots_qty:f}) do not add up to the {position.qty:f} held: "
            "run pm trades sync"
        )
    if position.available < h.qty:
        return f"only {position.available:f} of {position.qty:f} available (open orders)"
    return None


@dataclass(frozen=True, slots=True)
class HarvestDone:
    plan: HarvestPlan
    sent: tuple[Candidate, ...]
    legs: tuple[Leg, ...]
    skipped: tuple[tuple[str, str], ...]  # symbol, why not sent (found again under the lock)
    audit_id: int | None
    source: Source

    @property
    def failed(self) -> tuple[Leg, ...]:
        return tuple(x for x in self.legs if not x.ok)


def validate_harvest(guard: Guard, plan: HarvestPlan) -> list[ValidationResult]:
    """The harvest's sells through the pre-trade gate (`CheckFailed` when one is refused)."""
    proposed = [
        ProposedOrder(c.position.symbol, "sell", qty=c.harvest.qty, price=c.harvest.price)
        for c in plan.executable
    ]
    return require_all(guard, proposed) if proposed else []


def execute_harvest(
    desk: OrderDesk,
    ledger: LedgerStore,
    plan: HarvestPlan,
    validations: Sequence[ValidationResult],
    *,
    arguments: dict[str, Any],
) -> HarvestDone:
    """Sell the executable harvests through the order path (origin ``tax-harvest``). Under
    the order lock, after settling: the positions and the open orders are read again and
    the ledger's recent buys looked at again; a harvest that became a wash sale (or whose
    position changed) is skipped, never sent."""
    codes = {holding_key(v.symbol): reason_codes(v.decision) for v in validations}
    skipped: list[tuple[str, str]] = []
    with orders.session(desk, plan.account_id):
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pm-tax") as pool:
            positions_f = pool.submit(desk.broker.get_positions)
            orders_f = pool.submit(desk.broker.list_orders, status="open")
            positions, open_orders = positions_f.result(), orders_f.result()
        orders.sync_book(desk, plan.account_id, positions)
        today = trade_date(desk.clock.now())
        going: list[Candidate] = []
        for c in plan.executable:
            why = _changed(c, positions, open_orders, ledger, plan.account_id, today)
            if why is not None:
                skipped.append((c.harvest.symbol, why))
            else:
                going.append(c)
        if not going:
            return HarvestDone(
                plan, (), (), tuple(skipped), None, source_of(desk.broker, desk.clock)
            )
        intents = [_intent(c, codes.get(c.harvest.symbol, ("reducing",))) for c in going]
        placed = orders.submit(
            desk,
            plan.account_id,
            intents,
            origin="tax-harvest",
            action="tax-harvest",
            arguments={
                **arguments,
                "harvests": [
                    {
                        "symbol": c.harvest.symbol,
                        "qty": c.harvest.qty,
                        "est_realized_pl": c.harvest.estimate.total,
                    }
                    for c in going
                ],
            },
            details=lambda legs: {
                "orders": [orders.leg_details(x) for x in legs],
                "skipped": [{"symbol": s, "why": w} for s, w in skipped],
            },
        )
    return HarvestDone(
        plan,
        tuple(going),
        placed.legs,
        tuple(skipped),
        placed.audit_id,
        source_of(desk.broker, desk.clock),
    )


def _changed(
    c: Candidate,
    positions: Sequence[Position],
    open_orders: Sequence[Order],
    ledger: LedgerStore,
    account_id: str,
    today: date,
) -> str | None:
    """Why a planned harvest must not go any more (None: it may)."""
    position = held(positions, c.position.symbol)
    if position is None or position.qty != c.position.qty:
        now = position.qty if position is not None else ZERO
        return f"the position changed since the plan ({c.position.qty:f} -> {now:f})"
    key = c.harvest.symbol
    if any(o.side == "buy" and holding_key(o.symbol) == key for o in open_orders):
        return "wash sale: an open buy order of the symbol"
    buys = buys_in_window(ledger.fills(account_id, symbol=key), key, today)
    if buys:
        return f"wash sale: bought {buys[-1].qty:f} on {trade_date(buys[-1].transaction_time)}"
    return None


def _intent(c: Candidate, codes: tuple[str, ...]) -> OrderIntent:
    crypto = c.position.asset_class == "crypto"
    return OrderIntent(
        symbol=order_symbol(c.position.symbol, c.position.asset_class),
        side="sell",
        qty=c.harvest.qty,
        time_in_force="gtc" if crypto else "day",
        reason_codes=(*codes, "tax_harvest"),
    )


def nothing_to_send(plan: HarvestPlan) -> CheckFailed | None:
    """Why `--execute` has nothing to send (every candidate blocked), or None."""
    if plan.executable:
        return None
    if not plan.candidates:
        return None
    blocked = "; ".join(f"{c.harvest.symbol}: {c.blocked}" for c in plan.candidates)
    return CheckFailed(f"nothing harvested: {blocked}. Nothing was sent.")


def nothing_done(plan: HarvestPlan) -> HarvestDone:
    """`--execute` with nothing worth harvesting: no order, no audit row."""
    return HarvestDone(plan, (), (), (), None, plan.source)
