"""Rebalance runs (`rebalance_runs`): what a run was asked to do, and the pure rules of
executing it (client_order_ids, sizing the buys to the cash there, the outcome).

A run's orders are named ``pm-rebalance-<run id>-<seq>.<attempt>-<salt>``: the intent's seq
and how many earlier orders of that intent the broker never received (``not_sent``), so a
resumed run finds every intent's orders by client_order_id and never sends one twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pm.domain.models import OrderSide
from pm.domain.money import round_pct

RunStatus = Literal["pending", "running", "completed", "failed"]
TriggerType = Literal["manual", "scheduled", "threshold"]
RUN_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed")
TRIGGER_TYPES: tuple[str, ...] = ("manual", "scheduled", "threshold")

QTY_STEP = Decimal("0.000000001")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class RunIntent:
    """One order a run means to place (a plan's intent, as stored in `order_intents`)."""

    seq: int
    symbol: str  # the order's symbol (crypto in the slash form)
    side: OrderSide
    qty: Decimal | None
    notional: Decimal | None
    est_price: Decimal
    reason: str
    order_type: str = "market"
    time_in_force: str = "day"
    limit_price: Decimal | None = None
    target_pct: Decimal = ZERO
    current_pct: Decimal = ZERO
    is_crypto: bool = False
    whole_shares: bool = False  # the plan rounded it to whole shares: keep it whole

    @property
    def est_value(self) -> Decimal:
        if self.notional is not None:
            return self.notional
        return (self.qty or ZERO) * self.est_price


@dataclass(frozen=True, slots=True)
class RebalanceRun:
    """One row of `rebalance_runs`."""

    id: int
    account_id: str
    policy_id: int | None
    trace_id: str
    status: str
    trigger_type: str
    input_snapshot: dict[str, Any]
    order_intents: list[dict[str, Any]]
    executed_orders: dict[str, Any] | None
    rationale: str | None
    started_at: datetime
    completed_at: datetime | None

    @property
    def intents(self) -> tuple[RunIntent, ...]:
        return tuple(intent_from_json(x) for x in self.order_intents)


@dataclass(frozen=True, slots=True)
class Skip:
    seq: int
    symbol: str
    side: OrderSide
    reason: str  # cash_limited / below_min_trade / rejected / not_sent / unfilled
    detail: str


@dataclass(frozen=True, slots=True)
class Sized:
    """Buys sized to the cash actually there."""

    intents: tuple[RunIntent, ...]
    skipped: tuple[Skip, ...]
    adjusted: Mapping[int, Decimal] = field(default_factory=dict)  # seq -> planned qty


def run_client_order_id(
    account_id: str, run_id: int, started_at: datetime, seq: int, attempt: int
) -> str:
    seed = f"{account_id}|rebalance|{run_id}|{started_at.isoformat()}".encode()
    salt = hashlib.blake2b(seed, digest_size=4).hexdigest()
    return f"pm-rebalance-{run_id}-{seq}.{attempt}-{salt}"


def seq_of(client_order_id: str, run_id: int) -> int | None:
    """The intent seq a run's client_order_id names (None: not this run's order)."""
    prefix = f"pm-rebalance-{run_id}-"
    if not client_order_id.startswith(prefix):
        return None
    head = client_order_id[len(prefix) :].split("-", 1)[0]
    seq, _, _attempt = head.partition(".")
    return int(seq) if seq.isdigit() else None


def size_buys(
    buys: Sequence[RunIntent],
    available: Decimal,
    min_trade: Decimal,
    prices: Mapping[str, Decimal] | None = None,
) -> Sized:
    """The buys, in order, within `available` cash: a buy that does not fit is made smaller
    (whole shares stay whole; fractional ones to 9 decimals), and skipped (``cash_limited``)
    when what is left is below the minimum trade or nothing."""
    left = max(available, ZERO)
    out: list[RunIntent] = []
    skipped: list[Skip] = []
    adjusted: dict[int, Decimal] = {}
    for planned in buys:
        price = (prices or {}).get(planned.symbol, planned.est_price)
        b = replace(planned, est_price=price) if price > 0 else planned
        value = b.est_value
        if value <= left:
            out.append(b)
            left -= value
            continue
        if b.notional is not None:
            cut = left.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            smaller = replace(b, notional=cut)
        else:
            raw = left / b.est_price
            step = Decimal(1) if b.whole_shares else QTY_STEP
            qty = raw.quantize(step, rounding=ROUND_DOWN)
            smaller = replace(b, qty=qty)
        if smaller.est_value < min_trade or smaller.est_value <= 0:
            skipped.append(
                Skip(
                    b.seq,
                    b.symbol,
                    b.side,
                    "cash_limited",
                    f"needs {value.quantize(Decimal('0.01'))}, "
                    f"{left.quantize(Decimal('0.01'))} left after the buffer",
                )
            )
            continue
        adjusted[b.seq] = b.qty if b.qty is not None else (b.notional or ZERO)
        out.append(smaller)
        left -= smaller.est_value
    return Sized(tuple(out), tuple(skipped), adjusted)


def total_drift(
    values: Mapping[str, Decimal], targets: Mapping[str, Decimal], equity: Decimal
) -> Decimal:
    """Sum over symbols of |weight - target| in percent (the plan's drift measure)."""
    if equity <= 0:
        return ZERO
    total = ZERO
    for symbol in set(values) | set(targets):
        weight = values.get(symbol, ZERO) / equity * HUNDRED
        total += abs(weight - targets.get(symbol, ZERO))
    return round_pct(total)


# -- stored form --------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def intent_to_json(i: RunIntent) -> dict[str, Any]:
    return {
        "seq": i.seq,
        "symbol": i.symbol,
        "side": i.side,
        "qty": None if i.qty is None else format(i.qty, "f"),
        "notional": None if i.notional is None else format(i.notional, "f"),
        "order_type": i.order_type,
        "time_in_force": i.time_in_force,
        "limit_price": None if i.limit_price is None else format(i.limit_price, "f"),
        "est_price": format(i.est_price, "f"),
        "reason": i.reason,
        "target_pct": format(i.target_pct, "f"),
        "current_pct": format(i.current_pct, "f"),
        "is_crypto": i.is_crypto,
        "whole_shares": i.whole_shares,
    }


def intent_from_json(x: Mapping[str, Any]) -> RunIntent:
    return RunIntent(
        seq=int(x["seq"]),
        symbol=str(x["symbol"]),
        side="sell" if x["side"] == "sell" else "buy",
        qty=_dec(x.get("qty")),
        notional=_dec(x.get("notional")),
        est_price=_dec(x.get("est_price")) or ZERO,
        reason=str(x.get("reason", "")),
        order_type=str(x.get("order_type", "market")),
        time_in_force=str(x.get("time_in_force", "day")),
        limit_price=_dec(x.get("limit_price")),
        target_pct=_dec(x.get("target_pct")) or ZERO,
        current_pct=_dec(x.get("current_pct")) or ZERO,
        is_crypto=bool(x.get("is_crypto", False)),
        whole_shares=bool(x.get("whole_shares", False)),
    )


# -- triggers ---------------------------------------------------------------------------------


def schedule_due(
    frequency: str,
    *,
    now: datetime,
    market_open: bool,
    market_day: str,
    last_completed: datetime | None,
    last_scheduled_day: str | None,
) -> str | None:
    """Why a scheduled run is not due now (None: it is). At most once per market day, after
    the open; `frequency` (daily / weekly / monthly) since the last completed run.
    `market_day` and `last_scheduled_day` are exchange-local dates (ISO text)."""
    if not market_open:
        return "the market is closed"
    if last_scheduled_day == market_day:
        return "a scheduled run was made this market day already"
    if last_completed is None:
        return None
    elapsed = now - last_completed
    if frequency == "daily" and last_completed.date().isoformat() < market_day:
        return None
    if frequency == "weekly" and elapsed.days >= 7:
        return None
    if frequency == "monthly" and (
        (now.year, now.month) != (last_completed.year, last_completed.month) and elapsed.days >= 28
    ):
        return None
    return f"the policy's {frequency} period has not passed since the last completed run"
