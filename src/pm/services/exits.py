"""`pm exits`: take-profit ladders and trailing stops that survive restarts.

One pass (`run`) reads the positions once, the rules and the stored states, the minute bars
since each state's last check (one request per 100 stock symbols and one per 100 crypto
pairs, concurrently), moves each
position's best price and stop (`pm.domain.exits.observe`), reads back pm's exit orders of
the positions (what executed, what is still open), and says what should fire. With a desk
(`--execute`) the whole pass runs inside the order path's session: the account's order lock,
then `settle` looks up every order an earlier (maybe killed) command left unknown, and only
then is anything new sent, one reducing market order per level with the deterministic
client_order_id of (position, rule, level). A level whose order row exists and took effect is
never sent again; the orders table's unique client_order_id backs that up in the database,
and the broker refuses a reused client_order_id too.

A position's state is keyed by its lot history: the ledger's last opening from flat (or, when
the ledger does not explain the position, how many earlier positions of the symbol were
tracked and closed), so every process computes the same key, even one restarted after a
crash that stored nothing. A position gone from the broker's
positions closes its state; when it comes back it starts fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from pm.domain.errors import BadInput, BrokerUnavailable, NotFound, PmError
from pm.domain.exits import (
    ALL_SYMBOLS,
    Executed,
    ExitEvent,
    ExitRule,
    ExitSide,
    ExitState,
    Fire,
    Level,
    Trail,
    check_rule,
    due,
    exit_client_order_id,
    exit_level_name,
    gain_pct,
    new_state,
    next_level,
    observe,
    opened_since_flat,
    parse_level,
    position_key,
    rule_for,
    taken,
)
from pm.domain.models import Position
from pm.domain.pm_orders import OrderIntent, PmOrder, is_final, order_symbol
from pm.domain.portfolio import holding_key, is_dust
from pm.domain.sectors import is_crypto
from pm.logging import get_logger
from pm.ports import Broker, Clock, ExitStore, LedgerStore, MarketData, MinuteBar, PolicyStore

if TYPE_CHECKING:
    from pm.services.orders import OrderDesk
    from pm.services.validate import Guard

log = get_logger("pm.exits")

#: Minute bars are read back at most this far (a watcher down for a week catches up on days).
MAX_BARS_BACK = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class ExitsEnv:
    broker: Broker
    market_data: MarketData
    store: ExitStore
    ledger: LedgerStore
    policies: PolicyStore
    clock: Clock


@dataclass(frozen=True, slots=True)
class Sent:
    """An exit order sent in this pass."""

    name: str
    client_order_id: str
    qty: Decimal
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PositionExit:
    """One position under the rules: where it stands and what fires (or was sent)."""

    position: Position
    rule: ExitRule | None
    ladder: tuple[Level, ...]
    state: ExitState | None
    fires: tuple[Fire, ...] = ()
    sent: tuple[Sent, ...] = ()
    skipped: str | None = None  # why nothing was evaluated (market closed, no rule)

    @property
    def symbol(self) -> str:
        return holding_key(self.position.symbol)

    @property
    def price(self) -> Decimal:
        return self.position.current_price

    @property
    def gain_pct(self) -> Decimal | None:
        if self.state is None:
            return None
        return gain_pct(self.state.side, self.state.entry, self.price)

    @property
    def distance_pct(self) -> Decimal | None:
        """How far the price is from the stop, in percent of the price (positive: not hit)."""
        if self.state is None or self.state.stop is None or self.price <= 0:
            return None
        move = (self.price - self.state.stop) / self.price * 100
        return move if self.state.side == "long" else -move

    @property
    def next_level(self) -> Level | None:
        return next_level(self.state, self.ladder) if self.state is not None else None


@dataclass(frozen=True, slots=True)
class ExitReport:
    account_id: str
    at: datetime
    positions: tuple[PositionExit, ...]
    executed: bool
    events: tuple[ExitEvent, ...] = ()
    bar_symbols: int = 0

    @property
    def fires(self) -> list[tuple[PositionExit, Fire]]:
        return [(p, f) for p in self.positions for f in p.fires]

    @property
    def failed(self) -> list[Sent]:
        return [s for p in self.positions for s in p.sent if s.error is not None]


# -- rules ------------------------------------------------------------------------------------


def set_rule(
    store: ExitStore,
    clock: Clock,
    account_id: str,
    symbol: str | None,
    *,
    take_profit: Sequence[str] | None,
    no_take_profit: bool = False,
    trail: Decimal | None = None,
    no_trail: bool = False,
    activate_at: Decimal | None = None,
    breakeven_at: Decimal | None = None,
    native: bool = False,
    who: str,
) -> ExitRule:
    """Store the account's default rule (no symbol) or a symbol's override. Without
    `take_profit` the ladder is the active policy's default; without `trail` the trailing
    stop trails 3 %."""
    if take_profit and no_take_profit:
        raise BadInput("give `take_profit` or `no_take_profit`, not both")
    if no_trail and (trail is not None or native):
        raise BadInput("`no_trail` takes no `trail` and no `native`")
    if native and (activate_at is not None or breakeven_at is not None):
        raise BadInput(
            "`native` is Alpaca's trailing_stop order, which trails from when it is placed: "
            "no `activate_at` and no `breakeven_at`"
        )
    ladder: tuple[Level, ...] | None
    if no_take_profit or (native and not take_profit):
        ladder = ()
    elif take_profit:
        ladder = tuple(parse_level(t) for t in take_profit)
    else:
        ladder = None
    trail_spec: Trail | None = None
    if not no_trail:
        base = Trail()
        trail_spec = Trail(
            trail if trail is not None else base.trail_pct,
            activate_at if activate_at is not None else base.activate_at_pct,
            breakeven_at if breakeven_at is not None else base.breakeven_at_pct,
        )
    key = rule_key(symbol)
    rule = check_rule(ExitRule(key, ladder, trail_spec, native))
    return store.set_rule(account_id, rule, who, clock.now())


def rules(store: ExitStore, account_id: str) -> list[ExitRule]:
    """The account's default first, then the symbols' overrides by symbol."""
    found = store.rules(account_id)
    return sorted(found.values(), key=lambda r: (r.symbol != ALL_SYMBOLS, r.symbol))


MAX_SYMBOL_CHARS = 32  # the widest symbol the database stores (an option's is 21)


def rule_key(symbol: str | None) -> str:
    """The account's default rule when no symbol is given, else the symbol's. An empty or
    malformed symbol (as the broker checks a position's, and no wider than the database's
    column) is bad input, never the default (`pm exits rm "$SYM"` with SYM unset)."""
    if symbol is None:
        return ALL_SYMBOLS
    text = symbol.strip()
    if not text or any(c.isspace() for c in text) or len(text) > MAX_SYMBOL_CHARS:
        raise BadInput(
            f"{symbol[:40]!r} is not a symbol (a ticker like AAPL, or a crypto pair like "
            "BTC/USD); give none for the account's default rule"
        )
    return holding_key(symbol)


def remove_rule(store: ExitStore, account_id: str, symbol: str | None) -> str:
    key = rule_key(symbol)
    if not store.remove_rule(account_id, key):
        what = f"for {key}" if symbol is not None else "(the account's default)"
        raise NotFound(f"no exit rule {what}")
    return key


def events(
    store: ExitStore, account_id: str, *, since: datetime | None, limit: int | None
) -> list[ExitEvent]:
    """What the exits did to each position (opened, high-water mark, stop, fire, order,
    closed), newest first."""
    return store.events(account_id, since=since, limit=limit)


def policy_threshold(policies: PolicyStore, account_id: str) -> Decimal | None:
    active = policies.active(account_id)
    return active.spec.profit_taking_threshold_pct if active is not None else None


# -- one pass ---------------------------------------------------------------------------------


Submit = Callable[[str, Position, ExitState, Sequence[tuple[Fire, str]]], list[Sent]]


def run(
    env: ExitsEnv,
    account_id: str,
    *,
    positions: Sequence[Position] | None = None,
    submit: Submit | None = None,
    equities: bool = True,
) -> ExitReport:
    """One pass over the account's positions (see the module doc). `submit(account_id,
    position, state, [(fire, client_order_id)])` sends the fires (None: nothing is sent);
    `equities` False leaves equities alone (the market is closed)."""
    now = env.clock.now()
    if positions is None:
        positions = env.broker.get_positions()
    one = _Pass(env, account_id, now)
    tracked, results = one.track(positions, equities=equities)
    crypto = {s.symbol for p, _, s in tracked if is_crypto(p.symbol, p.asset_class)}
    bars = _bars(env.market_data, [s for _, _, s in tracked], crypto, now)
    by_key: dict[str, list[PmOrder]] = {}
    for order in env.store.exit_orders(account_id, [s.key for _, _, s in tracked]):
        by_key.setdefault(order.origin_ref or "", []).append(order)
    to_save: list[ExitState] = []
    for position, rule, state in tracked:
        result = one.evaluate(position, rule, state, bars, by_key.get(state.key, []), submit)
        assert result.state is not None
        to_save.append(result.state)
        results.append(result)
    saved = {s.key: s for s in env.store.save(account_id, to_save, one.events, one.closed, now)}
    results = [
        replace(r, state=saved.get(r.state.key, r.state)) if r.state is not None else r
        for r in results
    ]
    for e in one.events:
        log.info("exit", account_id=account_id, symbol=e.symbol, kind=e.kind, message=e.message)
    results.sort(key=lambda r: r.symbol)
    return ExitReport(
        account_id, now, tuple(results), submit is not None, tuple(one.events), len(bars)
    )


class _Pass:
    """The working set of one pass: the rules, the states, and the events so far."""

    def __init__(self, env: ExitsEnv, account_id: str, now: datetime) -> None:
        self.env, self.account_id, self.now = env, account_id, now
        self.rules = env.store.rules(account_id)
        self.threshold = policy_threshold(env.policies, account_id) if self.rules else None
        self.by_symbol: dict[str, ExitState] = {}
        for state in sorted(env.store.states(account_id).values(), key=lambda s: s.created_at):
            self.by_symbol[state.symbol] = state
        self.events: list[ExitEvent] = []
        self.closed: list[str] = []
        self.closed_now: dict[str, int] = {}  # states of a symbol closed in this pass
        self.generations: dict[str, int] | None = None

    def event(self, state: ExitState, kind: str, message: str) -> None:
        self.events.append(ExitEvent(state.key, state.symbol, self.now, kind, message))

    def track(
        self, positions: Sequence[Position], *, equities: bool
    ) -> tuple[list[tuple[Position, ExitRule, ExitState]], list[PositionExit]]:
        """The positions under a rule with their state (new ones opened, gone ones closed),
        and the positions left alone (no rule, market closed, dust: a leftover below a
        ten-thousandth, which the book does not hold either, and an order for which the broker
        would refuse)."""
        held = {holding_key(p.symbol): p for p in positions if p.qty != 0 and not is_dust(p)}
        for symbol, state in self.by_symbol.items():
            if symbol not in held:
                self.closed.append(state.key)
                self.event(state, "closed", "position gone")
        openings = _openings(self.env.ledger, self.account_id, held) if self.rules else {}
        tracked: list[tuple[Position, ExitRule, ExitState]] = []
        skipped = [
            PositionExit(p, None, (), None, skipped="dust")
            for p in positions
            if p.qty != 0 and is_dust(p)
        ]
        for symbol, position in held.items():
            rule = rule_for(self.rules, symbol)
            known = self.by_symbol.get(symbol)
            if rule is None:
                skipped.append(PositionExit(position, None, (), known, skipped="no rule"))
                continue
            if not equities and not is_crypto(position.symbol, position.asset_class):
                ladder = rule.ladder(self.threshold)
                skipped.append(PositionExit(position, rule, ladder, known, skipped="market closed"))
                continue
            tracked.append((position, rule, self._state(position, known, openings.get(symbol))))
        return tracked, skipped

    def _state(
        self, position: Position, known: ExitState | None, opened: datetime | None
    ) -> ExitState:
        side: ExitSide = "long" if position.qty > 0 else "short"
        if known is not None and (
            known.side != side or (opened is not None and opened > known.created_at)
        ):
            self.closed.append(known.key)
            self.closed_now[known.symbol] = self.closed_now.get(known.symbol, 0) + 1
            self.event(known, "closed", "position reopened")
            known = None
        if known is not None:
            return known
        symbol = holding_key(position.symbol)
        if self.generations is None:
            self.generations = self.env.store.generations(self.account_id)
        generation = self.generations.get(symbol, 0) + self.closed_now.get(symbol, 0)
        key = position_key(self.account_id, symbol, opened, generation)
        state, opened_event = new_state(
            self.account_id,
            key,
            symbol,
            side,
            position.avg_entry_price,
            position.qty,
            position.current_price,
            self.now,
        )
        self.events.append(opened_event)
        return state

    def evaluate(
        self,
        position: Position,
        rule: ExitRule,
        state: ExitState,
        bars: dict[str, list[MinuteBar]],
        exit_orders: Sequence[PmOrder],
        submit: Submit | None,
    ) -> PositionExit:
        ladder = rule.ladder(self.threshold)
        symbol_bars = [b for b in bars.get(state.symbol, []) if b.t >= state.bars_until]
        extremes = [b.high if state.side == "long" else b.low for b in symbol_bars]
        moved, changed = observe(
            state,
            [position.current_price, *extremes],
            rule,
            self.now,
            entry=position.avg_entry_price,
            qty=position.qty,
            bars_until=max((b.t for b in symbol_bars), default=self.now),
        )
        self.events.extend(changed)
        current, reserved, attempts = _executed(moved, exit_orders)
        fires = due(current, rule, ladder, position.current_price, abs(position.qty) - reserved)
        sent: list[Sent] = []
        if fires and submit is not None:  # a look (status, a dry check) logs no fire
            for f in fires:
                self.event(current, "fire", f"{f.name}: {f.reason}")
            named = [
                (f, exit_client_order_id(current.key, f.name, attempts.get(f.name, 0)))
                for f in fires
            ]
            sent = submit(self.account_id, position, current, named)
            current = _with_sent(current, sent, self.now)
            for x in sent:
                self.event(
                    current,
                    "order",
                    f"{x.name}: {x.client_order_id} {x.qty} {x.status}"
                    + (f" ({x.error})" if x.error else ""),
                )
        return PositionExit(position, rule, ladder, current, tuple(fires), tuple(sent))


def _openings(
    ledger: LedgerStore, account_id: str, held: dict[str, Position]
) -> dict[str, datetime]:
    """When each held position last opened from flat, from the ledger's fills, for the
    positions whose fills add up to the quantity held."""
    signed: dict[str, list[tuple[datetime, Decimal]]] = {}
    for fill in ledger.fills(account_id):
        symbol = holding_key(fill.symbol)
        if symbol in held:
            qty = fill.qty if fill.side == "buy" else -fill.qty
            signed.setdefault(symbol, []).append((fill.transaction_time, qty))
    out: dict[str, datetime] = {}
    for symbol, rows in signed.items():
        # only a ledger that explains the whole position knows when it opened (pm's own exit
        # fills alone, before the activities sync, would look like a position opened by them)
        if sum((q for _, q in rows), Decimal(0)) != held[symbol].qty:
            continue
        opened = opened_since_flat(rows)
        if opened is not None:
            out[symbol] = opened
    return out


def _bars(
    market_data: MarketData, states: Sequence[ExitState], crypto: set[str], now: datetime
) -> dict[str, list[MinuteBar]]:
    """Minute bars since the oldest cursor of the states that have one behind `now`, keyed by
    holding key. Crypto positions are asked as pairs (``BTC/USD``) so the source knows them
    by spelling; a crypto position with no pair spelling gets no bars (its price alone)."""
    behind = [s for s in states if s.bars_until < now]
    if not behind:
        return {}
    start = max(min(s.bars_until for s in behind), now - MAX_BARS_BACK)
    asked = {order_symbol(s.symbol, "crypto") if s.symbol in crypto else s.symbol for s in behind}
    symbols = sorted(a for a in asked if a not in crypto)  # drops pairs with no spelling
    try:
        found = market_data.minute_bars(symbols, start, now)
        return {holding_key(symbol): rows for symbol, rows in found.items()}
    except PmError as error:  # the price alone still moves the state
        log.warning("minute bars unavailable", error=error.message)
        return {}


def _executed(
    state: ExitState, exit_orders: Sequence[PmOrder]
) -> tuple[ExitState, Decimal, dict[str, int]]:
    """The state's executed levels from pm's exit orders of the position (the orders table
    is the truth: an order row written before a crash counts); the quantity open exit orders
    still hold; the next attempt number of every level tried."""
    executed = {e.name: e for e in state.executed}
    reserved = Decimal(0)
    attempts: dict[str, int] = {}
    for order in exit_orders:
        name = exit_level_name(state.key, order.client_order_id)
        if name is None:
            continue
        attempts[name] = attempts.get(name, 0) + 1
        if taken(order.status, order.filled_qty):
            executed[name] = Executed(
                name, order.created_at, order.client_order_id, order.status, order.qty
            )
            if not is_final(order.status) and order.qty is not None:
                reserved += max(Decimal(0), order.qty - order.filled_qty)
        elif name in executed and executed[name].client_order_id == order.client_order_id:
            del executed[name]
    return replace(state, executed=tuple(executed.values())), reserved, attempts


def _with_sent(state: ExitState, sent: Sequence[Sent], now: datetime) -> ExitState:
    executed = {e.name: e for e in state.executed}
    for s in sent:
        if s.error is None or s.status == "unknown":
            executed[s.name] = Executed(s.name, now, s.client_order_id, s.status, s.qty)
    return replace(state, executed=tuple(executed.values()))


# -- sending ----------------------------------------------------------------------------------


def intents_for(
    position: Position, fires: Sequence[tuple[Fire, str]], reason_codes: Sequence[str]
) -> list[OrderIntent]:
    crypto = is_crypto(position.symbol, position.asset_class)
    from pm.services.close import closing_side

    side = closing_side(position)
    return [
        OrderIntent(
            symbol=order_symbol(position.symbol, position.asset_class),
            side=side,
            qty=fire.qty,
            order_type="trailing_stop" if fire.trail_percent is not None else "market",
            time_in_force="gtc" if crypto or fire.trail_percent is not None else "day",
            reason_codes=tuple(reason_codes),
            client_order_id=cid,
            trail_percent=fire.trail_percent,
        )
        for fire, cid in fires
    ]


def execute(
    env: ExitsEnv,
    desk: OrderDesk,
    guard: Guard,
    account_id: str,
    *,
    equities: bool = True,
) -> ExitReport:
    """One pass that sends what fires, inside the order path's session: the order lock, then
    `settle` (an earlier command's unknown orders are looked up first), then the positions
    read under the lock, each exit through the pre-trade gate and `orders.submit` (origin
    ``exit``, the position key as origin_ref, the level's own client_order_id)."""
    from pm.services import orders
    from pm.services.close import closing_side
    from pm.services.validate import Fetched, ProposedOrder, validate_all

    with orders.session(desk, account_id):
        positions = desk.broker.get_positions()
        orders.sync_book(desk, account_id, positions)
        fetched: list[Fetched] = []

        def submit(
            account_id: str,
            position: Position,
            state: ExitState,
            named: Sequence[tuple[Fire, str]],
        ) -> list[Sent]:
            if not fetched:
                fetched.append(Fetched(desk.broker.get_account(), positions))
            side = closing_side(position)
            checks = validate_all(
                guard,
                [
                    ProposedOrder(
                        position.symbol,
                        side,
                        qty=f.qty,
                        price=position.current_price,
                        type="market" if f.trail_percent is None else "trailing_stop",
                    )
                    for f, _ in named
                ],
                fetched=fetched[0],
            )
            sent: list[Sent] = []
            approved: list[tuple[Fire, str]] = []
            codes: list[str] = []
            for (fire, cid), check in zip(named, checks, strict=True):
                if fire.trail_percent is not None and desk.broker.simulated:
                    why = "the demo account has no native trailing_stop orders"
                    sent.append(Sent(fire.name, cid, fire.qty, "refused", why))
                elif check.approved:
                    approved.append((fire, cid))
                    codes.extend(orders.reason_codes(check.decision))
                else:
                    why = "; ".join(f"{x.reason} [{x.code}]" for x in check.decision.rejections)
                    sent.append(Sent(fire.name, cid, fire.qty, "refused", f"gate: {why}"))
            if not approved:
                return sent
            intents = intents_for(position, approved, sorted(set(codes)))
            try:
                placed = orders.submit(
                    desk,
                    account_id,
                    intents,
                    origin="exit",
                    action="exit",
                    arguments={
                        "symbol": state.symbol,
                        "position_key": state.key,
                        "levels": [f.name for f, _ in approved],
                        "reasons": [f.reason for f, _ in approved],
                    },
                    origin_ref=state.key,
                )
            except PmError as error:  # one leg, refused or unknown (recorded already)
                ((fire, cid),) = approved
                status = "unknown" if isinstance(error, BrokerUnavailable) else "rejected"
                return [*sent, Sent(fire.name, cid, fire.qty, status, error.message)]
            for (fire, cid), leg in zip(approved, placed.legs, strict=True):
                sent.append(
                    Sent(
                        fire.name,
                        cid,
                        fire.qty,
                        leg.order.status,
                        leg.error.message if leg.error is not None else None,
                    )
                )
            return sent

        return run(env, account_id, positions=positions, submit=submit, equities=equities)
