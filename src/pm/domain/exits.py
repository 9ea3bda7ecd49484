"""Exit rules and the state of each open position under them: pure records and rules.

A rule (per account, optionally overridden per symbol) has a take-profit ladder (levels of
gain over the average entry, each closing a share of the position's original size) and a
trailing stop (activation gain, trail percent, breakeven trigger). `pm.services.exits` reads
positions and prices, and uses this module to move each position's state and to say what
should fire.

A position's state is keyed by its lot history (`position_key`: the account, the symbol and
the moment the position last opened from flat), so a position closed and reopened starts
fresh. Its best price (`hwm`: the high-water mark of a long, the low-water mark of a short)
only moves in the position's favour, its stop only tightens, and once the breakeven trigger
was crossed the stop sits at least 0.5 % on the profitable side of the entry.

Each exit order's client_order_id is a function of (position key, rule, level) and the
attempt (`exit_client_order_id`), so a level is sent at most once whatever the restarts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any, Literal

from pm.domain.errors import BadInput
from pm.domain.money import CENT, parse_input

ExitSide = Literal["long", "short"]

#: The symbol of an account's default rule (a symbol's own rule overrides it).
ALL_SYMBOLS = "*"
DEFAULT_TRAIL_PCT = Decimal(3)
DEFAULT_ACTIVATE_AT_PCT = Decimal(5)
DEFAULT_BREAKEVEN_AT_PCT = Decimal(10)
#: Once the breakeven trigger was crossed, the stop is at least this far past the entry.
BREAKEVEN_BUFFER_PCT = Decimal("0.5")
#: The ladder without `--take-profit`: one level at the policy's threshold closing a third.
DEFAULT_SHARE_PCT = Decimal(100) / Decimal(3)
DEFAULT_THRESHOLD_PCT = Decimal(20)
STOP_PLACES = Decimal("0.0001")
QTY_PLACES = Decimal("0.000000001")
STOP = "trail"
NATIVE = "native"
#: Exit orders that did not take effect (the level may be sent again, with the next attempt).
_NOT_TAKEN = frozenset({"not_sent", "rejected"})
_UNFILLED_END = frozenset({"canceled", "expired", "done_for_day", "replaced"})


@dataclass(frozen=True, slots=True)
class Level:
    """Close `share_pct` % of the original position when the gain reaches `gain_pct` %."""

    gain_pct: Decimal
    share_pct: Decimal

    @property
    def name(self) -> str:
        """``tp20``, ``tp12.5``: the level's name in client_order_ids and the state."""
        return f"tp{_plain(self.gain_pct)}"


@dataclass(frozen=True, slots=True)
class Trail:
    trail_pct: Decimal = DEFAULT_TRAIL_PCT
    activate_at_pct: Decimal = DEFAULT_ACTIVATE_AT_PCT
    breakeven_at_pct: Decimal = DEFAULT_BREAKEVEN_AT_PCT


@dataclass(frozen=True, slots=True)
class ExitRule:
    """A stored rule. `take_profit` None: the policy's default ladder; () no ladder.
    `trail` None: no trailing stop. `native`: Alpaca's own trailing_stop order instead."""

    symbol: str = ALL_SYMBOLS
    take_profit: tuple[Level, ...] | None = None
    trail: Trail | None = field(default_factory=Trail)
    native: bool = False
    updated_at: datetime | None = None

    def ladder(self, threshold_pct: Decimal | None) -> tuple[Level, ...]:
        if self.take_profit is not None:
            return self.take_profit
        gain = threshold_pct if threshold_pct is not None else DEFAULT_THRESHOLD_PCT
        return (Level(gain, DEFAULT_SHARE_PCT),)


def parse_level(text: str) -> Level:
    """``GAIN:SHARE`` (percent each), e.g. ``20:33``."""
    gain_s, sep, share_s = text.partition(":")
    if not sep:
        raise BadInput(f"`take_profit` {text!r} is not GAIN:SHARE (percent each)")
    try:  # in the range a person could mean, like every number typed on the command line
        gain = parse_input(gain_s, "`take_profit` GAIN")
        share = parse_input(share_s, "`take_profit` SHARE")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if gain <= 0 or not 0 < share <= 100:
        raise BadInput(f"`take_profit` {text!r}: GAIN must be > 0 and SHARE in (0, 100]")
    return Level(gain, share)


def check_rule(rule: ExitRule) -> ExitRule:
    """`BadInput` for a rule that cannot work."""
    ladder = rule.take_profit or ()
    if len({lv.gain_pct for lv in ladder}) != len(ladder):
        raise BadInput("`take_profit` levels must have distinct gains")
    if sum((lv.share_pct for lv in ladder), Decimal(0)) > 100:
        raise BadInput("`take_profit` shares add up to more than 100 %")
    if rule.trail is not None:
        t = rule.trail
        if not 0 < t.trail_pct < 100:
            raise BadInput("`trail` must be in (0, 100)")
        if t.activate_at_pct < 0 or t.breakeven_at_pct < 0:
            raise BadInput("`activate_at` and `breakeven_at` must be >= 0")
    if rule.native and (rule.trail is None or rule.take_profit):
        raise BadInput("`native` places one trailing stop: give `trail` and no `take_profit`")
    if rule.take_profit is not None:
        rule = replace(rule, take_profit=tuple(sorted(ladder, key=lambda lv: lv.gain_pct)))
    return rule


def rule_for(rules: Mapping[str, ExitRule], symbol: str) -> ExitRule | None:
    """The symbol's own rule, else the account's default, else None."""
    return rules.get(symbol) or rules.get(ALL_SYMBOLS)


# -- the state of one position --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Executed:
    """A level (or the stop) sent: when, its order and the status pm last knew."""

    name: str
    at: datetime
    client_order_id: str
    status: str
    qty: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ExitState:
    account_id: str
    key: str
    symbol: str
    side: ExitSide
    entry: Decimal
    original_qty: Decimal  # the largest size seen (positive); ladder shares are of it
    hwm: Decimal  # best price seen: highest of a long, lowest of a short
    stop: Decimal | None
    breakeven: bool  # the breakeven trigger was crossed once
    executed: tuple[Executed, ...]
    bars_until: datetime  # minute bars up to here are in `hwm`
    created_at: datetime
    updated_at: datetime

    def done(self, name: str) -> bool:
        return any(e.name == name for e in self.executed)


@dataclass(frozen=True, slots=True)
class ExitEvent:
    key: str
    symbol: str
    at: datetime
    kind: str  # opened, hwm, stop, breakeven, fire, order, closed
    message: str


@dataclass(frozen=True, slots=True)
class Fire:
    """An exit that should be sent now: close `qty` (positive) of the position."""

    name: str  # a level's name, ``trail``, or ``native`` (Alpaca's trailing_stop order)
    qty: Decimal
    reason: str
    trail_percent: Decimal | None = None  # set for ``native``


def position_key(
    account_id: str, symbol: str, opened_at: datetime | None, generation: int = 0
) -> str:
    """12 hex digits from the account, the symbol and when the position last opened from
    flat; when the ledger does not know, how many earlier positions of the symbol were
    tracked and closed (`generation`). Either way the same for every process that computes
    it, so a check killed before it stored the state finds the same key (and orders) again."""
    opened = opened_at.isoformat() if opened_at is not None else f"held#{generation}"
    seed = f"{account_id}|{symbol}|{opened}".encode()
    return hashlib.blake2b(seed, digest_size=6).hexdigest()


def exit_client_order_id(key: str, name: str, attempt: int = 0) -> str:
    """``pm-exit-<position key>-<level>[-<attempt>]``: the same for the same level of the
    same position whoever computes it; a next attempt only after the last was not taken."""
    return f"pm-exit-{key}-{name}" + (f"-{attempt}" if attempt else "")


def exit_level_name(key: str, client_order_id: str) -> str | None:
    """The level an `exit_client_order_id` of position `key` names (its attempt dropped);
    None for another position's or a non-exit order."""
    prefix = f"pm-exit-{key}-"
    if not client_order_id.startswith(prefix):
        return None
    rest = client_order_id[len(prefix) :]
    head, _, tail = rest.rpartition("-")
    return head if head and tail.isdigit() else rest


def opened_since_flat(fills: Iterable[tuple[datetime, Decimal]]) -> datetime | None:
    """When the position last opened from flat, from its signed fills (oldest first)."""
    running = Decimal(0)
    opened: datetime | None = None
    for at, signed_qty in fills:
        before = running
        running += signed_qty
        if (before == 0 and running != 0) or before * running < 0:
            opened = at
        elif running == 0:
            opened = None
    return opened


def gain_pct(side: ExitSide, entry: Decimal, price: Decimal) -> Decimal:
    if entry <= 0:
        return Decimal(0)
    move = (price - entry) / entry * 100
    return move if side == "long" else -move


def better(side: ExitSide, a: Decimal, b: Decimal) -> Decimal:
    """The price more in the position's favour."""
    return max(a, b) if side == "long" else min(a, b)


def tighter(side: ExitSide, a: Decimal | None, b: Decimal | None) -> Decimal | None:
    """The stop closer to the price (a long's higher stop, a short's lower)."""
    if a is None or b is None:
        return a if b is None else b
    return max(a, b) if side == "long" else min(a, b)


def new_state(
    account_id: str,
    key: str,
    symbol: str,
    side: ExitSide,
    entry: Decimal,
    qty: Decimal,
    price: Decimal,
    now: datetime,
) -> tuple[ExitState, ExitEvent]:
    hwm = better(side, entry, price)
    state = ExitState(
        account_id, key, symbol, side, entry, abs(qty), hwm, None, False, (), now, now, now
    )
    word = "hwm" if side == "long" else "lwm"
    return state, ExitEvent(
        key, symbol, now, "opened", f"tracking {side} {abs(qty)} @ {entry}, {word} {hwm}"
    )


def observe(
    state: ExitState,
    prices: Sequence[Decimal],
    rule: ExitRule,
    now: datetime,
    *,
    entry: Decimal | None = None,
    qty: Decimal | None = None,
    bars_until: datetime | None = None,
) -> tuple[ExitState, list[ExitEvent]]:
    """Move the best price by `prices` (the current price and the bar extremes since the last
    check), then the stop; every change is an event with its reason."""
    events: list[ExitEvent] = []

    def event(kind: str, message: str) -> None:
        events.append(ExitEvent(state.key, state.symbol, now, kind, message))

    side = state.side
    if entry is not None and entry > 0 and entry != state.entry:
        state = replace(state, entry=entry)
    if qty is not None and abs(qty) > state.original_qty:
        state = replace(state, original_qty=abs(qty))
    best = state.hwm
    for p in prices:
        best = better(side, best, p)
    if best != state.hwm:
        word = "hwm" if side == "long" else "lwm"
        event("hwm", f"{word} {state.hwm} -> {best}")
        state = replace(state, hwm=best)
    if bars_until is not None and bars_until > state.bars_until:
        state = replace(state, bars_until=bars_until)
    stop, breakeven, reason = trail_stop(state, rule.trail)
    if breakeven and not state.breakeven:
        state = replace(state, breakeven=True)
    new = tighter(side, state.stop, stop)
    if new != state.stop:
        event("stop", f"stop {state.stop if state.stop is not None else '-'} -> {new} ({reason})")
        state = replace(state, stop=new)
    return replace(state, updated_at=now), events


def trail_stop(state: ExitState, trail: Trail | None) -> tuple[Decimal | None, bool, str]:
    """The stop the best price asks for (None: not active yet), whether the breakeven
    trigger is crossed, and why."""
    if trail is None:
        return None, state.breakeven, ""
    side, entry = state.side, state.entry
    best_gain = gain_pct(side, entry, state.hwm)
    stop: Decimal | None = None
    reason = ""
    if best_gain >= trail.activate_at_pct:
        factor = 1 - trail.trail_pct / 100 if side == "long" else 1 + trail.trail_pct / 100
        stop = _round_stop(side, state.hwm * factor)
        where = "under the hwm" if side == "long" else "over the lwm"
        reason = f"trail {_plain(trail.trail_pct)} % {where}"
    breakeven = state.breakeven or best_gain >= trail.breakeven_at_pct
    if breakeven:
        buffer = BREAKEVEN_BUFFER_PCT / 100
        floor = _round_stop(side, entry * (1 + buffer if side == "long" else 1 - buffer))
        if stop is None or (tighter(side, stop, floor) == floor and stop != floor):
            stop = floor
            reason = f"stop moved to breakeven + {_plain(BREAKEVEN_BUFFER_PCT)} %"
    return stop, breakeven, reason


def _round_stop(side: ExitSide, value: Decimal) -> Decimal:
    """Rounded towards the price (never looser than computed)."""
    return value.quantize(STOP_PLACES, rounding=ROUND_CEILING if side == "long" else ROUND_FLOOR)


def stop_hit(state: ExitState, price: Decimal) -> bool:
    if state.stop is None:
        return False
    return price <= state.stop if state.side == "long" else price >= state.stop


def due(
    state: ExitState, rule: ExitRule, ladder: Sequence[Level], price: Decimal, available: Decimal
) -> list[Fire]:
    """What should be sent now for this position at `price`, given `available` (positive)
    quantity not held by open exit orders: the trailing stop (all of it), else every level
    reached and not executed yet, smallest first. A native rule: one trailing_stop order for
    all of it, once (the broker trails it)."""
    if available <= 0:
        return []
    if rule.native and rule.trail is not None:
        if state.done(NATIVE):
            return []
        pct = rule.trail.trail_pct
        return [Fire(NATIVE, available, f"native trailing stop, trail {_plain(pct)} %", pct)]
    if (
        rule.trail is not None
        and not rule.native
        and not state.done(STOP)
        and stop_hit(state, price)
    ):
        return [Fire(STOP, available, f"price {price} crossed the stop {state.stop}")]
    fires: list[Fire] = []
    left = available
    gain = gain_pct(state.side, state.entry, price)
    for level in sorted(ladder, key=lambda lv: lv.gain_pct):
        if state.done(level.name) or gain < level.gain_pct:
            continue
        qty = min(
            left, (state.original_qty * level.share_pct / 100).quantize(QTY_PLACES, ROUND_DOWN)
        )
        if qty <= 0:
            continue
        fires.append(
            Fire(
                level.name,
                qty.normalize(),
                f"gain {gain.quantize(CENT)} % reached take-profit "
                f"{_plain(level.gain_pct)} % ({_plain(level.share_pct.quantize(CENT))} %)",
            )
        )
        left -= qty
    return fires


def next_level(state: ExitState, ladder: Sequence[Level]) -> Level | None:
    for level in sorted(ladder, key=lambda lv: lv.gain_pct):
        if not state.done(level.name):
            return level
    return None


def taken(status: str, filled_qty: Decimal) -> bool:
    """Whether an exit order took effect (or still may): then its level is executed."""
    if status in _NOT_TAKEN:
        return False
    return not (status in _UNFILLED_END and filled_qty == 0)


def merge(stored: ExitState, computed: ExitState) -> ExitState:
    """Two views of one position (another watcher wrote meanwhile): the better best price,
    the tighter stop, every executed level, the later bar cursor."""
    side = stored.side
    names = {e.name for e in computed.executed}
    return replace(
        computed,
        hwm=better(side, stored.hwm, computed.hwm),
        stop=tighter(side, stored.stop, computed.stop),
        breakeven=stored.breakeven or computed.breakeven,
        original_qty=max(stored.original_qty, computed.original_qty),
        executed=computed.executed + tuple(e for e in stored.executed if e.name not in names),
        bars_until=max(stored.bars_until, computed.bars_until),
        created_at=min(stored.created_at, computed.created_at),
    )


def executed_json(executed: Sequence[Executed]) -> list[dict[str, Any]]:
    return [
        {
            "name": e.name,
            "at": e.at.isoformat(),
            "client_order_id": e.client_order_id,
            "status": e.status,
            "qty": str(e.qty) if e.qty is not None else None,
        }
        for e in executed
    ]


def executed_from_json(raw: Any) -> tuple[Executed, ...]:
    out: list[Executed] = []
    for item in raw or []:
        out.append(
            Executed(
                name=str(item["name"]),
                at=datetime.fromisoformat(str(item["at"])),
                client_order_id=str(item["client_order_id"]),
                status=str(item["status"]),
                qty=Decimal(item["qty"]) if item.get("qty") is not None else None,
            )
        )
    return tuple(out)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
