"""`pm rebalance run --execute` and `pm rebalance resume`: a plan's orders, never half-done
without knowing it.

1. Market hours: equity intents while the market is closed are refused (`MarketClosed`, exit
   2, with the next open) unless `queue` (day orders the broker holds for the open).
2. Under the account's order lock (`orders.session`: one order-placing command per account;
   what an earlier, killed command left unknown is settled first) the run row is committed
   (status ``running``, a new trace id, the input snapshot and the intents) before any order.
3. The sells go through the one order path (`orders.submit`, origin ``rebalance``, origin_ref
   the run id, client_order_id ``pm-rebalance-<run>-<seq>.<attempt>-<salt>``), sent with
   bounded concurrency under the broker's rate limit (`Pacer`); their fills are awaited by
   polling the broker's order list in batches, for at most `fill_timeout_s`.
4. The account is read again and the buys are sized to the cash actually there minus the
   buffer (`domain.rebalance_runs.size_buys`), then sent and awaited the same way.
5. The run ends ``completed`` (completed_at, rationale, outcome metrics; skipped intents and
   why in `executed_orders`), ``pending`` (orders still open at the broker: queued for the
   open, or not filled in time; `resume` finishes it) or ``failed`` (the error in the
   rationale, what was sent in `executed_orders`).

`resume` runs steps 2-5 again for a stored run: every intent's orders are found by
client_order_id first (in the orders table, settled against the broker); an intent is sent
again only when the broker never received its earlier order (``not_sent``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any

from pm.domain.errors import (
    BadInput,
    BrokerRejected,
    BrokerUnavailable,
    CheckFailed,
    NotFound,
    PmError,
)
from pm.domain.models import Account, MarketClock, Position
from pm.domain.money import CENT
from pm.domain.pm_orders import (
    NOT_SENT,
    PENDING,
    REJECTED,
    UNKNOWN,
    OrderIntent,
    PmOrder,
    is_final,
    order_symbol,
)
from pm.domain.portfolio import drop_dust, holding_key
from pm.domain.rebalance import PlanPosition, stale_reasons
from pm.domain.rebalance_runs import (
    RebalanceRun,
    RunIntent,
    Skip,
    intent_to_json,
    run_client_order_id,
    seq_of,
    size_buys,
    total_drift,
)
from pm.domain.timestamps import iso
from pm.logging import get_logger
from pm.ports import RunStore
from pm.services import orders
from pm.services.orders import OrderDesk, stored_details
from pm.services.rebalance import CheckedPlan, RebalancePlan

log = get_logger("pm.rebalance")

#: Named points of a run, for fault tests (`OrderDesk.checkpoint`, `PM_TEST_KILL_AT`).
RUN_ROW_COMMITTED = "rebalance-run-row-committed"
SELLS_SENT = "rebalance-sells-sent"
SELLS_DONE = "rebalance-sells-done"
BUYS_SENT = "rebalance-buys-sent"
BUYS_DONE = "rebalance-buys-done"
RUN_STEPS = (RUN_ROW_COMMITTED, SELLS_SENT, SELLS_DONE, BUYS_SENT, BUYS_DONE)


class MarketClosed(BadInput):
    """Equity orders while the market is closed, without `queue` (exit 2, nothing sent)."""

    kind = "MarketClosed"


@dataclass(frozen=True, slots=True)
class RunSettings:
    fill_timeout_s: float = 60.0
    poll_every_s: float = 0.5
    queue: bool = False
    cash_buffer_pct: Decimal = Decimal("0.25")
    max_workers: int = 40  # orders in flight at once
    per_minute: int = 200  # the broker's rate limit (Alpaca: 200 requests a minute)
    limit_slippage_bps: Decimal | None = None  # limit orders this far from the estimate


class Pacer:
    """At most `per_minute` broker requests in any 60 s window (thread-safe); a request over
    the limit waits for the window to move on. `peak` is the most seen in one window."""

    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = max(1, per_minute)
        self.window_s = window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self.count = 0
        self.peak = 0

    def __call__(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._times and now - self._times[0] >= self.window_s:
                    self._times.popleft()
                if len(self._times) < self.per_minute:
                    self._times.append(now)
                    self.count += 1
                    self.peak = max(self.peak, len(self._times))
                    return
                wait = self.window_s - (now - self._times[0])
            time.sleep(max(wait, 0.01))


@dataclass(frozen=True, slots=True)
class RunDone:
    run: RebalanceRun
    # 0 completed (or pending: queued), 1 partly executed, 3 orders never reached the broker
    exit_code: int
    orders: tuple[PmOrder, ...] = field(default_factory=tuple)


# -- the run's inputs ------------------------------------------------------------------------


def _limit_price(price: Decimal, side: str, bps: Decimal | None) -> Decimal | None:
    if bps is None:
        return None
    move = price * bps / Decimal(10_000)
    raw = price + move if side == "buy" else price - move
    step = CENT if raw >= 1 else Decimal("0.0001")
    return raw.quantize(step, rounding=ROUND_UP if side == "buy" else ROUND_DOWN)


def intents_of_plan(made: RebalancePlan, bps: Decimal | None) -> list[RunIntent]:
    return [
        RunIntent(
            seq=i.seq,
            symbol=order_symbol(i.symbol, "crypto" if i.is_crypto else "us_equity"),
            side=i.side,
            qty=i.qty,
            notional=None,
            est_price=i.est_price,
            reason=i.reason,
            order_type="limit" if bps is not None else "market",
            time_in_force="gtc" if i.is_crypto else "day",
            limit_price=_limit_price(i.est_price, i.side, bps),
            target_pct=i.target_pct,
            current_pct=i.current_pct,
            is_crypto=i.is_crypto,
            whole_shares=not i.is_crypto and i.qty == i.qty.to_integral_value(),
        )
        for i in made.plan.intents
    ]


def snapshot_of_plan(made: RebalancePlan, plan_id: str | None) -> dict[str, Any]:
    result = made.plan
    return {
        "plan_id": plan_id,
        "policy": made.policy.name,
        "based_on": {
            "account_id": made.account.account_id,
            "equity": made.account.equity,
            "cash": made.account.cash,
            "positions": [
                {"symbol": holding_key(p.symbol), "qty": p.qty, "price": p.current_price}
                for p in sorted(made.positions, key=lambda p: p.symbol)
            ],
            "fetched_at": made.fetched_at,
        },
        "targets": {t.symbol: t.target_pct for t in result.targets},
        "drift_before_pct": result.drift_before_pct,
        "drift_after_est_pct": result.drift_after_pct,
        "cash_buffer": result.cash_buffer,
        "min_trade": result.min_trade,
    }


def intents_of_checked(checked: CheckedPlan, bps: Decimal | None) -> list[RunIntent]:
    planned = {o.seq: o for o in checked.document.intents}
    out = []
    for i in checked.intents:
        o = planned[i.seq]
        crypto = o.time_in_force == "gtc"
        limit = (
            o.limit_price if o.limit_price is not None else _limit_price(i.est_price, i.side, bps)
        )
        out.append(
            RunIntent(
                seq=i.seq,
                symbol=order_symbol(i.symbol, "crypto" if crypto else "us_equity"),
                side=i.side,
                qty=o.qty,
                notional=o.notional,
                est_price=i.est_price,
                reason=i.reason,
                order_type="limit" if limit is not None else o.order_type,
                time_in_force=o.time_in_force,
                limit_price=limit,
                target_pct=i.target_pct,
                current_pct=i.current_pct,
                is_crypto=crypto,
                whole_shares=o.qty is not None
                and not crypto
                and o.qty == o.qty.to_integral_value(),
            )
        )
    return out


def snapshot_of_checked(checked: CheckedPlan, min_trade_pct: Decimal) -> dict[str, Any]:
    doc, account = checked.document, checked.account
    targets = {holding_key(i.symbol): i.target_pct for i in checked.intents}
    values = {holding_key(p.symbol): p.market_value for p in checked.positions if p.qty > 0}
    return {
        "plan_id": doc.plan_id,
        "policy": doc.policy_name,
        "edited": doc.edited,
        "based_on": {
            "account_id": account.account_id,
            "equity": account.equity,
            "cash": account.cash,
            "positions": [
                {"symbol": holding_key(p.symbol), "qty": p.qty, "price": p.current_price}
                for p in sorted(checked.positions, key=lambda p: p.symbol)
            ],
        },
        # a plan read back names the targets of its intents only: drift is over those
        "targets": targets,
        "drift_before_pct": total_drift(
            {k: v for k, v in values.items() if k in targets}, targets, account.equity
        ),
        "cash_buffer": checked.cash_buffer,
        "min_trade": max(Decimal(1), account.equity * min_trade_pct / 100).quantize(CENT),
    }


# -- starting and driving a run -----------------------------------------------------------------


def market_gate(desk: OrderDesk, intents: Sequence[RunIntent], queue: bool) -> MarketClock | None:
    """`MarketClosed` for equity intents while the market is closed, unless `queue`."""
    if not any(not i.is_crypto for i in intents):
        return None
    desk.throttle()
    clock = desk.broker.get_clock()
    if not clock.is_open and not queue:
        raise MarketClosed(
            f"the market is closed; equity orders wait for the next open ({iso(clock.next_open)})"
            ": pass `queue` to submit them as day orders the broker holds for the open. "
            "Nothing was sent."
        )
    return clock


def execute(
    desk: OrderDesk,
    runs: RunStore,
    account_id: str,
    *,
    intents: Sequence[RunIntent],
    snapshot: dict[str, Any],
    policy_id: int | None,
    trigger: str,
    settings: RunSettings,
    pacer: Pacer | None = None,
) -> RunDone:
    """A new run of `intents`: checked against market hours, the run row committed, then
    driven to its end (see the module doc)."""
    pacer = pacer or Pacer(settings.per_minute)
    fast = _fast(desk, settings, pacer)
    with orders.session(fast, account_id):
        positions = _gate_and_positions(fast, intents, settings.queue)
        _still_as_planned(snapshot, positions)
        run = runs.create(
            account_id=account_id,
            policy_id=policy_id,
            trace_id=uuid.uuid4().hex,
            status="running",
            trigger_type=trigger,
            input_snapshot={**snapshot, "queue": settings.queue},
            order_intents=[intent_to_json(i) for i in intents],
            rationale=None,
            started_at=desk.clock.now(),
        )
        log.info(
            "rebalance run started", run_id=run.id, trace_id=run.trace_id, intents=len(intents)
        )
        fast.checkpoint(RUN_ROW_COMMITTED)
        return _guarded(fast, runs, run, settings, positions)


def _still_as_planned(snapshot: dict[str, Any], positions: Sequence[Position]) -> None:
    """Under the order lock: the positions are still those the plan was made from (another
    run, or any order, may have changed them while this one waited): else `CheckFailed`,
    nothing sent, no run stored."""
    based_on = snapshot.get("based_on") or {}
    if "positions" not in based_on:
        return
    planned = [
        PlanPosition(holding_key(str(p["symbol"])), Decimal(str(p["qty"])), Decimal(0))
        for p in based_on["positions"]
    ]
    live = [PlanPosition(holding_key(p.symbol), p.qty, Decimal(0)) for p in drop_dust(positions)]
    stale = stale_reasons(planned, live, None)
    if stale:
        raise CheckFailed(
            "plan is stale: the positions changed since it was made ("
            + "; ".join(stale[:5])
            + "); another run or order got there first. Nothing was sent: plan again"
        )


def _gate_and_positions(
    desk: OrderDesk, intents: Sequence[RunIntent], queue: bool
) -> list[Position]:
    """The market gate and the positions (for the book), read concurrently."""
    from concurrent.futures import ThreadPoolExecutor

    if desk.broker.simulated:
        market_gate(desk, intents, queue)
        desk.throttle()
        return desk.broker.get_positions()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pm-run") as pool:
        gate = pool.submit(market_gate, desk, intents, queue)
        desk.throttle()
        positions = pool.submit(desk.broker.get_positions)
        gate.result()
        return positions.result()


def store_pending(
    runs: RunStore,
    account_id: str,
    *,
    intents: Sequence[RunIntent],
    snapshot: dict[str, Any],
    policy_id: int | None,
    trigger: str,
    rationale: str,
    at: datetime,
) -> RebalanceRun:
    """A run waiting for approval (`pm rebalance run --run ID --execute`): nothing sent."""
    return runs.create(
        account_id=account_id,
        policy_id=policy_id,
        trace_id=uuid.uuid4().hex,
        status="pending",
        trigger_type=trigger,
        input_snapshot=snapshot,
        order_intents=[intent_to_json(i) for i in intents],
        rationale=rationale,
        started_at=at,
    )


def resume(
    desk: OrderDesk,
    runs: RunStore,
    account_id: str,
    run_id: int,
    *,
    settings: RunSettings,
    approve: bool = False,
    pacer: Pacer | None = None,
) -> RunDone:
    """Continue a stored run (left ``running`` by a crash, ``pending`` for the open or for
    approval, or ``failed`` when the broker was unavailable): never an intent twice."""
    pacer = pacer or Pacer(settings.per_minute)
    fast = _fast(desk, settings, pacer)
    run = runs.get(account_id, run_id)
    if run.status == "completed":
        return RunDone(run, 0, tuple(orders_of(fast, run)))
    approving = run.status == "pending" and not orders_of(fast, run)
    if approving and not approve:
        raise CheckFailed(
            f"rebalance run {run_id} waits for approval: `pm rebalance run --run {run_id} "
            "--execute` sends it"
        )
    queue = settings.queue or bool(run.input_snapshot.get("queue"))
    with orders.session(fast, account_id):
        positions = None
        if approving:  # a plan stored for approval: still the account it was made for?
            positions = _gate_and_positions(fast, run.intents, queue)
            try:
                _still_as_planned(run.input_snapshot, positions)
            except CheckFailed as stale:  # it can never be approved now: a new plan is due
                runs.update(
                    account_id,
                    run_id,
                    status="failed",
                    rationale=f"not approved in time: {stale.message}",
                    completed_at=desk.clock.now(),
                )
                raise
        run = runs.update(account_id, run_id, status="running", completed_at=None)
        log.info("rebalance run resumed", run_id=run.id, trace_id=run.trace_id)
        return _guarded(fast, runs, run, settings, positions)


def _fast(desk: OrderDesk, settings: RunSettings, pacer: Pacer) -> OrderDesk:
    """The desk for a run: no per-order fill wait (fills are polled in batches), bounded
    concurrency, every broker request paced."""
    return replace(desk, fill_wait_s=0.0, max_workers=settings.max_workers, throttle=pacer)


def _guarded(
    desk: OrderDesk,
    runs: RunStore,
    run: RebalanceRun,
    settings: RunSettings,
    positions: list[Position] | None = None,
) -> RunDone:
    started = time.monotonic()
    reads = _Reads(desk)
    try:
        return _drive(desk, runs, run, settings, started, reads, positions)
    except PmError as error:
        rows = orders_of(desk, run)
        sent = [o for o in rows if o.status not in (NOT_SENT, REJECTED)]
        rationale = (
            f"failed: {error.message}. Sent {len(sent)} of {len(run.order_intents)} intents' "
            f"orders ({', '.join(f'{o.side} {o.symbol} {o.status}' for o in sent) or 'none'}); "
            f"`pm rebalance resume {run.id}` continues it without sending any twice"
        )
        runs.update(
            run.account_id,
            run.id,
            status="failed",
            rationale=rationale,
            executed_orders=_executed(run, rows, [], {}, {}),
            completed_at=desk.clock.now(),
        )
        log.warning(
            "rebalance run failed", run_id=run.id, trace_id=run.trace_id, error=error.message
        )
        raise
    finally:
        reads.close()


class _Reads:
    """The account and its positions, read ahead (while the fills that the broker reported
    are being recorded) or when asked."""

    def __init__(self, desk: OrderDesk) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self.desk = desk
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pm-run-read")
        self.ahead: Future[tuple[Account, list[Position]]] | None = None

    def start(self) -> None:
        if self.ahead is None:
            self.ahead = self.pool.submit(_read, self.desk)

    def take(self) -> tuple[Account, list[Position]]:
        ahead, self.ahead = self.ahead, None
        return ahead.result() if ahead is not None else _read(self.desk)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _drive(
    desk: OrderDesk,
    runs: RunStore,
    run: RebalanceRun,
    settings: RunSettings,
    started: float,
    reads: _Reads,
    positions: list[Position] | None,
) -> RunDone:
    intents = run.intents
    sells = [i for i in intents if i.side == "sell"]
    buys = [i for i in intents if i.side == "buy"]
    skipped: list[Skip] = []
    adjusted: dict[int, Decimal] = {}
    refusals: dict[str, str] = {}  # client_order_id -> the broker's words (for the skips)
    if desk.book is not None:  # the book equal to the broker first: the fills then move it
        if positions is None:
            desk.throttle()
            positions = desk.broker.get_positions()
        orders.sync_book(desk, run.account_id, positions)
    _send(desk, run, sells, "sells", refusals)
    desk.checkpoint(SELLS_SENT)
    waiting = _wait(desk, run, [i.seq for i in sells], settings, reads)
    if waiting:
        return _pending(desk, runs, run, waiting, "sells")
    desk.checkpoint(SELLS_DONE)
    rows = _by_seq(orders_of(desk, run))
    unsent = [b for b in buys if not _live(rows.get(b.seq, []))]
    if unsent:
        account, held = reads.take()
        prices = {order_symbol(holding_key(p.symbol), p.asset_class): p.current_price for p in held}
        buffer = Decimal(str(run.input_snapshot.get("cash_buffer", "0")))
        if not buffer:
            buffer = (max(account.equity, Decimal(0)) * settings.cash_buffer_pct / 100).quantize(
                CENT
            )
        open_buys = sum(
            (
                b.est_value
                for b in buys
                if b.seq in rows and _live(rows[b.seq]) and not _done(rows[b.seq])
            ),
            Decimal(0),
        )
        min_trade = Decimal(str(run.input_snapshot.get("min_trade", "1")))
        sized = size_buys(unsent, account.cash - buffer - open_buys, min_trade, prices)
        skipped.extend(sized.skipped)
        adjusted.update(sized.adjusted)
        _send(desk, run, sized.intents, "buys", refusals)
    desk.checkpoint(BUYS_SENT)
    waiting = _wait(desk, run, [i.seq for i in buys], settings, reads)
    if waiting:
        return _pending(desk, runs, run, waiting, "buys", skipped, adjusted)
    desk.checkpoint(BUYS_DONE)
    return _finish(desk, runs, run, skipped, adjusted, started, reads, refusals)


def _send(
    desk: OrderDesk,
    run: RebalanceRun,
    intents: Sequence[RunIntent],
    phase: str,
    refusals: dict[str, str],
) -> None:
    """Send each intent no order of which the broker has (or may have) received; what the
    broker refused goes into `refusals` with its message."""
    rows = _by_seq(orders_of(desk, run))
    to_send = []
    for i in intents:
        mine = rows.get(i.seq, [])
        if _live(mine):
            continue  # sent before: never again
        to_send.append(
            OrderIntent(
                symbol=i.symbol,
                side=i.side,
                qty=i.qty,
                notional=i.notional,
                order_type=i.order_type,
                time_in_force=i.time_in_force,
                limit_price=i.limit_price,
                reason_codes=(i.reason,),
                client_order_id=run_client_order_id(
                    run.account_id, run.id, run.started_at, i.seq, len(mine)
                ),
            )
        )
    if not to_send:
        return
    try:
        placed = orders.submit(
            desk,
            run.account_id,
            to_send,
            origin="rebalance",
            action="rebalance",
            origin_ref=str(run.id),
            arguments={"run_id": run.id, "trace_id": run.trace_id, "phase": phase},
        )
    except (BrokerRejected, NotFound, BrokerUnavailable) as exc:
        if len(to_send) != 1:
            raise
        # one order: its refusal or unknown outcome is recorded on its row; the run goes on
        coid = to_send[0].client_order_id
        if isinstance(exc, BrokerRejected) and coid is not None:
            refusals[coid] = exc.message
        return
    for leg in placed.legs:
        if isinstance(leg.error, BrokerRejected):
            refusals[leg.order.client_order_id] = leg.error.message


def _live(rows: Sequence[PmOrder]) -> bool:
    """Whether the broker has (or may have) one of these orders: any not ``not_sent``."""
    return any(o.status != NOT_SENT for o in rows)


def _done(rows: Sequence[PmOrder]) -> bool:
    return all(is_final(o.status) for o in rows)


def orders_of(desk: OrderDesk, run: RebalanceRun) -> list[PmOrder]:
    mine = [
        o
        for o in desk.store.orders(run.account_id, since=run.started_at)
        if o.origin == "rebalance" and o.origin_ref == str(run.id)
    ]
    return sorted(mine, key=lambda o: o.id)


def _by_seq(rows: Sequence[PmOrder]) -> dict[int, list[PmOrder]]:
    out: dict[int, list[PmOrder]] = {}
    for o in rows:
        seq = seq_of(o.client_order_id, int(o.origin_ref or 0))
        if seq is not None:
            out.setdefault(seq, []).append(o)
    return out


def _wait(
    desk: OrderDesk,
    run: RebalanceRun,
    seqs: Sequence[int],
    settings: RunSettings,
    reads: _Reads,
) -> list[PmOrder]:
    """Poll the open orders of these intents in batches (one list of the broker's orders a
    round, a lookup by client_order_id for those not in it) until all are final or
    `fill_timeout_s` passed; returns those still open."""
    wanted = set(seqs)
    deadline = time.monotonic() + settings.fill_timeout_s
    while True:
        rows = _by_seq(orders_of(desk, run))
        open_ = [o for s, os in rows.items() if s in wanted for o in os if not is_final(o.status)]
        if not open_:
            return []
        _poll(desk, open_, reads)
        rows = _by_seq(orders_of(desk, run))
        open_ = [o for s, os in rows.items() if s in wanted for o in os if not is_final(o.status)]
        if not open_ or time.monotonic() >= deadline:
            return open_
        time.sleep(min(settings.poll_every_s, max(0.0, deadline - time.monotonic())))


def _poll(desk: OrderDesk, open_: Sequence[PmOrder], reads: _Reads) -> None:
    """One round: the broker's recent orders in one request; when it says every open one is
    done, the account is read again (in the background) while the fills are recorded."""
    desk.throttle()
    listed = {o.client_order_id: o for o in desk.broker.list_orders(status="all", limit=500)}
    found = [listed.get(row.client_order_id) for row in open_]
    if all(a is not None and is_final(a.status) for a in found):
        reads.start()
    for row in open_:
        answer = listed.get(row.client_order_id)
        if answer is None:
            desk.throttle()
            answer = desk.broker.get_order_by_client_id(row.client_order_id)
        now = desk.clock.now()
        if answer is None:
            if row.status in (PENDING, UNKNOWN):
                desk.store.record(row, NOT_SENT, now)  # the broker never received it
            continue
        if answer.status != row.status or answer.filled_qty != row.filled_qty:
            desk.store.record(row, answer.status, now, answer)


def _pending(
    desk: OrderDesk,
    runs: RunStore,
    run: RebalanceRun,
    waiting: Sequence[PmOrder],
    phase: str,
    skipped: Sequence[Skip] = (),
    adjusted: dict[int, Decimal] | None = None,
) -> RunDone:
    rows = orders_of(desk, run)
    unsent = [o for o in waiting if o.status in (NOT_SENT, UNKNOWN, PENDING)]
    what = ", ".join(f"{o.side} {o.symbol} ({o.status})" for o in waiting)
    rationale = (
        f"pending: {len(waiting)} {phase} order(s) not done yet: {what}"
        + ("; queued for the market's open" if run.input_snapshot.get("queue") else "")
        + f". `pm rebalance resume {run.id}` finishes it"
        + (" (it looks them up first)" if unsent else "")
    )
    stored = runs.update(
        run.account_id,
        run.id,
        status="pending",
        rationale=rationale,
        executed_orders=_executed(run, rows, skipped, adjusted or {}, {}),
    )
    log.info("rebalance run pending", run_id=run.id, trace_id=run.trace_id, waiting=len(waiting))
    return RunDone(stored, 0, tuple(rows))


def _finish(
    desk: OrderDesk,
    runs: RunStore,
    run: RebalanceRun,
    skipped: list[Skip],
    adjusted: dict[int, Decimal],
    started: float,
    reads: _Reads,
    refusals: Mapping[str, str],
) -> RunDone:
    rows = orders_of(desk, run)
    by_seq = _by_seq(rows)
    planned = {i.seq: i for i in run.intents}
    known = {s.seq for s in skipped}
    for seq, i in planned.items():
        if seq in known:
            continue
        mine = by_seq.get(seq, [])
        last = mine[-1] if mine else None
        if last is None:
            skipped.append(Skip(seq, i.symbol, i.side, "not_sent", "no order was placed"))
        elif last.status == REJECTED:
            why = refusals.get(last.client_order_id)
            detail = f"the broker refused it: {why}" if why else "the broker refused it"
            skipped.append(Skip(seq, i.symbol, i.side, "rejected", detail))
        elif last.status == NOT_SENT:
            skipped.append(Skip(seq, i.symbol, i.side, "not_sent", "the broker never received it"))
        elif last.filled_qty == 0:
            skipped.append(Skip(seq, i.symbol, i.side, "unfilled", f"ended {last.status}"))
    account, positions = reads.take()
    targets = {k: Decimal(str(v)) for k, v in (run.input_snapshot.get("targets") or {}).items()}
    values = {holding_key(p.symbol): p.market_value for p in positions if p.qty > 0}
    if run.input_snapshot.get("plan_id") and "edited" in run.input_snapshot:
        values = {k: v for k, v in values.items() if k in targets}
    drift_after = total_drift(values, targets, account.equity)
    filled = [o for o in rows if o.filled_qty > 0]
    metrics = {
        "intents": len(planned),
        "orders_sent": sum(1 for o in rows if o.status not in (NOT_SENT,)),
        "orders_filled": len(filled),
        "skipped": len(skipped),
        "sell_value": _value(filled, "sell"),
        "buy_value": _value(filled, "buy"),
        "cash_after": account.cash,
        "drift_before_pct": run.input_snapshot.get("drift_before_pct"),
        "drift_after_pct": drift_after,
        "duration_s": round(time.monotonic() - started, 3),
    }
    lost = [s for s in skipped if s.reason == "not_sent"]
    before = Decimal(str(metrics["drift_before_pct"] or 0)).quantize(CENT)
    if lost:
        rationale = (
            f"failed: {len(lost)} order(s) never reached the broker ("
            + "; ".join(f"#{s.seq} {s.side} {s.symbol}" for s in lost)
            + f"); `pm rebalance resume {run.id}` sends them again"
        )
    elif skipped:
        rationale = (
            f"completed with skips: {len(planned) - len(skipped)} of {len(planned)} intents "
            "executed; skipped "
            + "; ".join(f"#{s.seq} {s.side} {s.symbol}: {s.reason} ({s.detail})" for s in skipped)
        )
    else:
        rationale = f"completed: all {len(planned)} intents executed"
    rationale += f"; drift {before} -> {drift_after.quantize(CENT)} %"
    stored = runs.update(
        run.account_id,
        run.id,
        status="failed" if lost else "completed",
        rationale=rationale,
        executed_orders=_executed(run, rows, skipped, adjusted, metrics),
        completed_at=desk.clock.now(),
    )
    log.info(
        f"rebalance run {stored.status}",
        run_id=run.id,
        trace_id=run.trace_id,
        **{k: str(v) for k, v in metrics.items()},
    )
    return RunDone(stored, 3 if lost else 1 if skipped else 0, tuple(rows))


def _read(desk: OrderDesk) -> tuple[Account, list[Position]]:
    """The account and its positions, read concurrently (two paced requests)."""
    from concurrent.futures import ThreadPoolExecutor

    desk.throttle()
    desk.throttle()
    if desk.broker.simulated:
        return desk.broker.get_account(), drop_dust(desk.broker.get_positions())
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pm-run") as pool:
        account = pool.submit(desk.broker.get_account)
        positions = pool.submit(desk.broker.get_positions)
        return account.result(), drop_dust(positions.result())


def _value(rows: Sequence[PmOrder], side: str) -> Decimal:
    return sum(
        (o.filled_qty * (o.filled_avg_price or 0) for o in rows if o.side == side), Decimal(0)
    ).quantize(CENT)


def _executed(
    run: RebalanceRun,
    rows: Sequence[PmOrder],
    skipped: Sequence[Skip],
    adjusted: dict[int, Decimal],
    metrics: dict[str, Any],
) -> dict[str, Any]:
    return {
        "orders": [{"seq": seq_of(o.client_order_id, run.id), **stored_details(o)} for o in rows],
        "skipped": [
            {
                "seq": s.seq,
                "symbol": s.symbol,
                "side": s.side,
                "reason": s.reason,
                "detail": s.detail,
            }
            for s in skipped
        ],
        "adjusted": [{"seq": seq, "planned": planned} for seq, planned in sorted(adjusted.items())],
        "metrics": metrics,
    }
