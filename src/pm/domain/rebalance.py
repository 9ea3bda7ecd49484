"""Rebalance planning as a pure function: an account, a policy's targets and limits in, order
intents out. Nothing here fetches; `pm.services.rebalance` gathers the inputs and passes the
plan through the pre-trade gate.

The rules (weights in percent of equity E):

- Effective targets: each target capped at min(policy max position, hard ``PM_MAX_POSITION_PCT``)
  (``capped_by_position_limit``); each sector's total at min(policy max sector, hard
  ``PM_MAX_SECTOR_PCT``), scaled down proportionally, the excess to cash
  (``capped_by_sector_limit``). A policy without targets: equal weight over the top
  ``rotation_top_n`` long holdings by market value, each capped, the rest cash.
- Sells first: long positions not in the targets are sold whole (``exit_not_in_targets``),
  positions above target are trimmed to it (``overweight_trim``). A ``threshold`` plan only
  trims targeted positions whose weight exceeds target x (1 + overweight/100), and exits
  nothing.
- Then buys, the largest drift first, with the cash after the sells minus the buffer
  (``cash_limited`` when the cash ran out before the target), never beyond what the gate
  allows (position and sector after the order against the account as it is now, and the
  buying power).
- Quantities: fractionable assets to 9 decimals, others in whole shares, crypto in its pair's
  increment and at least its minimum (``rounded_whole_shares`` when rounding cut a buy). A
  position never ends above its target: buys round down, sells round up (never past the qty
  held, so no sell ever opens a short). Shorts are left alone (a warning says so).
- No intent below the minimum trade: max($1, ``min_trade_pct`` of equity); such a drift is
  skipped and said in the warnings (``below_min_trade``), unless a target's drift is under $1
  (what a run leaves: no order could trade it, so it is in step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Literal, get_args

from pm.domain.book import SYMBOL_PATTERN
from pm.domain.models import OrderSide
from pm.domain.money import CENT, round_pct

Trigger = Literal["manual", "threshold", "scheduled"]
TRIGGERS: tuple[Trigger, ...] = ("manual", "threshold", "scheduled")
Reason = Literal[
    "overweight_trim",
    "underweight_add",
    "exit_not_in_targets",
    "capped_by_position_limit",
    "capped_by_sector_limit",
    "cash_limited",
    "below_min_trade",
    "rounded_whole_shares",
    "market_closed",
]

HUNDRED = Decimal(100)
ZERO = Decimal(0)
QTY_STEP = Decimal("0.000000001")  # Alpaca's fractional quantities: 9 decimal places
WHOLE = Decimal(1)
MIN_TRADE_FLOOR = Decimal(1)  # dollars
WEIGHT_STEP = Decimal("0.000001")  # scaled weights are cut to this (so a sum never grows)


@dataclass(frozen=True, slots=True)
class Holding:
    """A position as the plan sees it: `symbol` in the broker's position spelling."""

    symbol: str
    qty: Decimal
    price: Decimal
    market_value: Decimal
    asset_class: str = "us_equity"


@dataclass(frozen=True, slots=True)
class Tradability:
    """What the broker allows for a symbol's orders."""

    fractionable: bool = True
    tradable: bool = True
    is_crypto: bool = False
    min_order_size: Decimal | None = None
    min_trade_increment: Decimal | None = None

    @property
    def step(self) -> Decimal:
        if self.is_crypto:
            return self.min_trade_increment or QTY_STEP
        return QTY_STEP if self.fractionable else WHOLE


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """The policy's limits, the hard limits, and the plan's own settings (percent units)."""

    policy_max_position_pct: Decimal
    policy_max_sector_pct: Decimal
    hard_max_position_pct: Decimal
    hard_max_sector_pct: Decimal
    overweight_threshold_pct: Decimal = Decimal(50)
    rotation_top_n: int = 10
    cash_buffer_pct: Decimal = Decimal("0.25")
    min_trade_pct: Decimal = Decimal("0.1")

    @property
    def max_position_pct(self) -> Decimal:
        return min(self.policy_max_position_pct, self.hard_max_position_pct)

    @property
    def max_sector_pct(self) -> Decimal:
        return min(self.policy_max_sector_pct, self.hard_max_sector_pct)


@dataclass(frozen=True, slots=True)
class PlanInput:
    equity: Decimal
    cash: Decimal
    buying_power: Decimal
    holdings: Sequence[Holding]
    targets: Mapping[str, Decimal] | None  # explicit targets by holding key; None: equal weight
    prices: Mapping[str, Decimal]  # est. price of each symbol (held ones: the position's)
    sectors: Mapping[str, str]  # sector of every held and targeted symbol
    tradability: Mapping[str, Tradability]
    limits: PlanLimits
    trigger: Trigger = "manual"
    blocked: Mapping[str, str] = field(default_factory=dict)  # symbol -> why no order (gate)
    # symbol -> the most a trim may sell (`pm.domain.tax_plan`: tax-aware plans trim less)
    sell_caps: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EffectiveTarget:
    symbol: str
    requested_pct: Decimal
    target_pct: Decimal
    capped_by: Reason | None  # capped_by_position_limit / capped_by_sector_limit / None


@dataclass(frozen=True, slots=True)
class Intent:
    seq: int
    symbol: str
    side: OrderSide
    qty: Decimal
    est_price: Decimal
    est_value: Decimal  # qty x est_price, positive
    reason: Reason
    target_pct: Decimal
    current_pct: Decimal
    is_crypto: bool = False

    @property
    def order_type(self) -> str:
        return "market"

    @property
    def time_in_force(self) -> str:
        return "gtc" if self.is_crypto else "day"


@dataclass(frozen=True, slots=True)
class Skipped:
    symbol: str
    side: OrderSide
    reason: Reason
    detail: str


class SellsAndBuys:
    """`sells` and `buys` of a class's `intents`: a plan and a checked plan split them alike."""

    __slots__ = ()
    intents: tuple[Intent, ...]

    @property
    def sells(self) -> tuple[Intent, ...]:
        return tuple(i for i in self.intents if i.side == "sell")

    @property
    def buys(self) -> tuple[Intent, ...]:
        return tuple(i for i in self.intents if i.side == "buy")


@dataclass(frozen=True, slots=True)
class Plan(SellsAndBuys):
    intents: tuple[Intent, ...]
    targets: tuple[EffectiveTarget, ...]
    skipped: tuple[Skipped, ...]
    equity: Decimal
    cash_before: Decimal
    cash_after: Decimal
    cash_buffer: Decimal
    min_trade: Decimal
    turnover: Decimal
    drift_before_pct: Decimal
    drift_after_pct: Decimal
    warnings: tuple[str, ...] = field(default_factory=tuple)


def effective_targets(
    v: PlanInput,
) -> tuple[dict[str, EffectiveTarget], list[str]]:
    """The targets after the position and sector caps (see the module's rules)."""
    limits = v.limits
    warnings: list[str] = []
    if v.targets is None:
        longs = sorted(
            (h for h in v.holdings if h.qty > 0), key=lambda h: (-h.market_value, h.symbol)
        )[: limits.rotation_top_n]
        if not longs:
            return {}, ["the policy has no targets and the account holds nothing to weight"]
        each = (HUNDRED / len(longs)).quantize(WEIGHT_STEP, rounding=ROUND_DOWN)
        requested = {h.symbol: each for h in longs}
    else:
        requested = dict(v.targets)
    cap = limits.max_position_pct
    out: dict[str, EffectiveTarget] = {}
    for symbol, pct in requested.items():
        capped = min(pct, cap)
        out[symbol] = EffectiveTarget(
            symbol, pct, capped, "capped_by_position_limit" if capped < pct else None
        )
    by_sector: dict[str, list[str]] = {}
    for symbol in out:
        by_sector.setdefault(v.sectors.get(symbol, "Unknown"), []).append(symbol)
    sector_cap = limits.max_sector_pct
    for sector, symbols in by_sector.items():
        total = sum((out[s].target_pct for s in symbols), ZERO)
        if total <= sector_cap:
            continue
        factor = sector_cap / total
        for s in symbols:
            t = out[s]
            scaled = (t.target_pct * factor).quantize(WEIGHT_STEP, rounding=ROUND_DOWN)
            out[s] = EffectiveTarget(s, t.requested_pct, scaled, "capped_by_sector_limit")
        warnings.append(
            f"sector {sector}: targets of {total.normalize():f} % scaled to "
            f"{sector_cap.normalize():f} %, the rest to cash"
        )
    return out, warnings


def to_step(qty: Decimal, step: Decimal, *, up: bool) -> Decimal:
    """`qty` on a multiple of `step` (an asset's tradable increment), rounded up or down."""
    units = (qty / step).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return units * step


def plan(v: PlanInput) -> Plan:
    """The order intents that bring the account towards its effective targets."""
    equity, limits = v.equity, v.limits
    min_trade = max(MIN_TRADE_FLOOR, (equity * limits.min_trade_pct / HUNDRED)).quantize(CENT)
    buffer = (max(equity, ZERO) * limits.cash_buffer_pct / HUNDRED).quantize(CENT)
    if equity <= 0:
        message = f"equity is {equity}: nothing can be weighted against it"
        return Plan(
            (), (), (), equity, v.cash, v.cash, buffer, min_trade, ZERO, ZERO, ZERO, (message,)
        )
    targets, warnings = effective_targets(v)
    planner = _Planner(v, targets, min_trade)
    for h in v.holdings:
        if h.qty < 0:
            warnings.append(f"{h.symbol}: a short position; the plan leaves it alone")
    sells = planner.sells()
    cash_after_sells = v.cash + sum((s.est_value for s in sells), ZERO)
    buys = planner.buys(max(ZERO, cash_after_sells - buffer))
    intents = tuple(replace(i, seq=n) for n, i in enumerate([*sells, *buys], 1))
    warnings.extend(planner.warnings)
    for s in planner.skipped:
        warnings.append(f"{s.symbol}: {s.side} skipped, {s.reason} ({s.detail})")
    before = _drift({h.symbol: h.market_value for h in v.holdings if h.qty > 0}, targets, equity)
    after = _drift(
        {k: x for k, x in planner.value_after.items() if planner.qty_after.get(k, ZERO) > 0},
        targets,
        equity,
    )
    spent = sum((b.est_value for b in buys), ZERO)
    return Plan(
        intents=intents,
        targets=tuple(targets[k] for k in sorted(targets)),
        skipped=tuple(planner.skipped),
        equity=equity,
        cash_before=v.cash,
        cash_after=cash_after_sells - spent,
        cash_buffer=buffer,
        min_trade=min_trade,
        turnover=sum((i.est_value for i in intents), ZERO),
        drift_before_pct=before,
        drift_after_pct=after,
        warnings=tuple(warnings),
    )


class _Planner:
    """The state of one plan while its sells and then its buys are sized."""

    def __init__(
        self, v: PlanInput, targets: Mapping[str, EffectiveTarget], min_trade: Decimal
    ) -> None:
        self.v, self.targets, self.min_trade = v, targets, min_trade
        self.equity = v.equity
        self.held = {h.symbol: h for h in v.holdings}
        self.value_after = {h.symbol: h.market_value for h in v.holdings}
        self.qty_after = {h.symbol: h.qty for h in v.holdings}
        self.skipped: list[Skipped] = []
        self.warnings: list[str] = []
        self.sold: set[str] = set()

    def pct_of(self, value: Decimal) -> Decimal:
        return round_pct(value / self.equity * HUNDRED)

    def trade(self, symbol: str) -> Tradability:
        return self.v.tradability.get(symbol, Tradability())

    def refused(self, symbol: str) -> bool:
        """Not tradable, or an order of it refused by the gate: no intent (and said why)."""
        why = self.v.blocked.get(symbol)
        if why is None and not self.trade(symbol).tradable:
            why = "not tradable"
        if why is not None:
            self.warnings.append(f"{symbol}: no order ({why})")
        return why is not None

    def sector(self, symbol: str) -> str:
        return self.v.sectors.get(symbol, "Unknown")

    def _too_small(
        self,
        symbol: str,
        side: OrderSide,
        qty: Decimal,
        price: Decimal,
        why: Reason = "below_min_trade",
    ) -> bool:
        """Below the minimum trade or the pair's minimum: skipped (and said), `why` being
        what made it small (a limit, the cash) when the drift itself was not."""
        value = qty * price
        if qty <= 0 or value < self.min_trade:
            detail = f"{value.quantize(CENT)} < {self.min_trade}"
            self.skipped.append(Skipped(symbol, side, why, detail))
            return True
        tr = self.trade(symbol)
        if tr.is_crypto and tr.min_order_size is not None and qty < tr.min_order_size:
            detail = f"qty {qty} < the pair's minimum {tr.min_order_size}"
            self.skipped.append(Skipped(symbol, side, "below_min_trade", detail))
            return True
        return False

    def _trims(self, h: Holding) -> bool:
        """Whether a threshold plan trims `h` (a manual plan trims whatever is above target)."""
        if self.v.trigger != "threshold":
            return True
        t = self.targets.get(h.symbol)
        if t is None:
            return False  # a threshold plan exits nothing
        band = t.target_pct * (1 + self.v.limits.overweight_threshold_pct / HUNDRED)
        return h.market_value / self.equity * HUNDRED > band

    def sells(self) -> list[Intent]:
        out: list[Intent] = []
        for h in sorted(self.v.holdings, key=lambda h: h.symbol):
            if h.qty <= 0 or h.price <= 0 or not self._trims(h):
                continue
            t = self.targets.get(h.symbol)
            target_pct = t.target_pct if t is not None else ZERO
            excess = h.market_value - self.equity * target_pct / HUNDRED
            tr = self.trade(h.symbol)
            if excess <= 0 or (t is not None and excess < MIN_TRADE_FLOOR):
                continue  # in step: no order could trade less than a dollar
            if self.refused(h.symbol):
                continue
            reason: Reason
            if t is None:
                qty, reason = h.qty, "exit_not_in_targets"
            else:
                qty = min(to_step(excess / h.price, tr.step, up=True), h.qty)
                qty = min(qty, self.v.sell_caps.get(h.symbol, qty))
                if qty <= 0:
                    continue  # a tax-aware plan leaves this trim for later (and says so)
                within_request = h.market_value <= self.equity * t.requested_pct / HUNDRED
                reason = t.capped_by if t.capped_by and within_request else "overweight_trim"
            if self._too_small(h.symbol, "sell", qty, h.price):
                continue
            value = qty * h.price
            out.append(
                Intent(
                    0,
                    h.symbol,
                    "sell",
                    qty,
                    h.price,
                    value,
                    reason,
                    target_pct,
                    self.pct_of(h.market_value),
                    tr.is_crypto,
                )
            )
            self.qty_after[h.symbol] = h.qty - qty
            self.sold.add(h.symbol)
            self.value_after[h.symbol] = h.market_value - value
        return out

    def buys(self, available: Decimal) -> list[Intent]:
        v, limits, equity = self.v, self.v.limits, self.equity
        if v.trigger == "threshold":
            return []  # a threshold plan only trims
        self.buying_power = max(ZERO, v.buying_power)
        self.available = available
        self.hard_position_value = equity * limits.hard_max_position_pct / HUNDRED - CENT
        self.hard_sector_value = equity * limits.hard_max_sector_pct / HUNDRED - CENT
        self.sector_cap_value = equity * limits.max_sector_pct / HUNDRED
        # |market value| per sector now (what the gate sees) and after the plan so far
        self.current_sector: dict[str, Decimal] = {}
        self.planned_sector: dict[str, Decimal] = {}
        for h in v.holdings:
            sector = self.sector(h.symbol)
            self.current_sector[sector] = self.current_sector.get(sector, ZERO) + abs(
                h.market_value
            )
        for symbol, value in self.value_after.items():
            sector = self.sector(symbol)
            self.planned_sector[sector] = self.planned_sector.get(sector, ZERO) + abs(value)
        wants: list[tuple[Decimal, str]] = []
        for symbol, t in self.targets.items():
            deficit = equity * t.target_pct / HUNDRED - self.value_after.get(symbol, ZERO)
            # in step below a dollar: no order could trade it
            if deficit >= MIN_TRADE_FLOOR and self.qty_after.get(symbol, ZERO) >= 0:
                wants.append((deficit, symbol))
        wants.sort(key=lambda w: (-w[0], w[1]))
        out: list[Intent] = []
        for deficit, symbol in wants:
            intent = self._buy(symbol, deficit)
            if intent is not None:
                out.append(intent)
        return out

    def _room(self, symbol: str) -> dict[Reason, Decimal]:
        """How much more of `symbol` may be bought, by what would stop it."""
        sector = self.sector(symbol)
        own_now = abs(self.held[symbol].market_value) if symbol in self.held else ZERO
        after_sells = abs(self.value_after.get(symbol, ZERO))
        others_now = self.current_sector.get(sector, ZERO) - own_now
        return {
            "cash_limited": min(self.available, self.buying_power),
            "capped_by_position_limit": self.hard_position_value - after_sells,
            "capped_by_sector_limit": min(
                # what the gate checks: the sector as it is now, with this position after
                self.hard_sector_value - others_now - after_sells,
                # and the policy's sector limit after the whole plan
                self.sector_cap_value - self.planned_sector.get(sector, ZERO),
            ),
        }

    def _buy(self, symbol: str, deficit: Decimal) -> Intent | None:
        t = self.targets[symbol]
        price = self.held[symbol].price if symbol in self.held else self.v.prices.get(symbol)
        if price is None or price <= 0:
            self.warnings.append(f"{symbol}: no price, no buy")
            return None
        tr = self.trade(symbol)
        if symbol in self.sold or self.refused(symbol):
            return None
        amount: Decimal = deficit
        reason: Reason = t.capped_by or "underweight_add"
        for why, limit in self._room(symbol).items():
            if limit < amount:
                if amount - limit > CENT:  # not the cent kept below a hard limit
                    reason = why
                amount = limit
        qty = to_step(max(amount, ZERO) / price, tr.step, up=False)
        if tr.step == WHOLE and qty * price < amount and reason == "underweight_add":
            reason = "rounded_whole_shares"
        small = "below_min_trade" if deficit < self.min_trade else reason
        if self._too_small(symbol, "buy", qty, price, small):
            return None
        value = qty * price
        self.available -= value
        self.buying_power -= value
        self.value_after[symbol] = self.value_after.get(symbol, ZERO) + value
        self.qty_after[symbol] = self.qty_after.get(symbol, ZERO) + qty
        sector = self.sector(symbol)
        self.planned_sector[sector] = self.planned_sector.get(sector, ZERO) + value
        current = self.held[symbol].market_value if symbol in self.held else ZERO
        return Intent(
            0,
            symbol,
            "buy",
            qty,
            price,
            value,
            reason,
            t.target_pct,
            self.pct_of(current),
            tr.is_crypto,
        )


def _drift(
    values: Mapping[str, Decimal], targets: Mapping[str, EffectiveTarget], equity: Decimal
) -> Decimal:
    """The total absolute drift: sum over symbols of |weight - target|, in percent."""
    total = ZERO
    for symbol in set(values) | set(targets):
        weight = values.get(symbol, ZERO) / equity * HUNDRED
        target = targets[symbol].target_pct if symbol in targets else ZERO
        total += abs(weight - target)
    return round_pct(total)


# -- a plan read back (`pm rebalance run --plan FILE|-`) ---------------------------------------

ORDER_TYPES = ("market", "limit")
TIMES_IN_FORCE = ("day", "gtc", "opg", "cls", "ioc", "fok")
REASONS: tuple[str, ...] = get_args(Reason)  # the reasons a plan file may name


@dataclass(frozen=True, slots=True)
class PlanPosition:
    """A position as a plan saw it (``based_on.positions``)."""

    symbol: str
    qty: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """An intent as a plan document states it (possibly edited by hand or by a program)."""

    seq: int
    symbol: str
    side: OrderSide
    qty: Decimal | None
    notional: Decimal | None
    order_type: str = "market"
    time_in_force: str = "day"
    limit_price: Decimal | None = None
    reason: str = "underweight_add"
    target_pct: Decimal | None = None
    current_pct: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """A plan read back: what it was based on, and its intents."""

    plan_id: str | None
    account_id: str
    policy_name: str | None
    trigger: str
    equity: Decimal
    cash: Decimal
    positions: tuple[PlanPosition, ...]
    intents: tuple[PlannedOrder, ...]
    edited: bool = False  # its plan_id does not match its content (changed after it was made)


def document_problems(doc: PlanDocument) -> list[str]:
    """Why `doc` is not a plan pm can run (empty when it is): every problem at once."""
    problems: list[str] = []
    if doc.trigger not in TRIGGERS:
        problems.append(f"trigger {doc.trigger!r} is not one of {', '.join(TRIGGERS)}")
    seqs = [i.seq for i in doc.intents]
    if len(set(seqs)) != len(seqs):
        problems.append("intent seq numbers repeat")
    held = {p.symbol: p.qty for p in doc.positions}
    sold: dict[str, Decimal] = {}
    for i in doc.intents:
        problems.extend(_intent_problems(i))
        if i.side == "sell" and i.qty is not None:
            sold[i.symbol] = sold.get(i.symbol, ZERO) + i.qty
    for symbol, qty in sorted(sold.items()):
        if qty > held.get(symbol, ZERO):
            problems.append(
                f"sells of {symbol} total {qty}, more than the {held.get(symbol, ZERO)} held "
                "(a rebalance never opens a short)"
            )
    return problems


def _intent_problems(i: PlannedOrder) -> list[str]:
    where = f"intent {i.seq} ({i.symbol})"
    problems: list[str] = []
    if not SYMBOL_PATTERN.match(i.symbol):
        problems.append(f"{where}: not a symbol")
    if (i.qty is None) == (i.notional is None):
        problems.append(f"{where}: give exactly one of qty and notional")
    elif (i.qty if i.qty is not None else i.notional or ZERO) <= 0:
        problems.append(f"{where}: qty or notional must be > 0")
    if i.side not in ("buy", "sell"):
        problems.append(f"{where}: side must be buy or sell")
    if i.order_type not in ORDER_TYPES:
        problems.append(f"{where}: order_type must be market or limit")
    elif (i.order_type == "limit") != (i.limit_price is not None):
        problems.append(f"{where}: a limit order needs a limit_price, a market order none")
    if i.limit_price is not None and i.limit_price <= 0:
        problems.append(f"{where}: limit_price must be > 0")
    if i.time_in_force not in TIMES_IN_FORCE:
        problems.append(f"{where}: time_in_force {i.time_in_force!r} is not known")
    if i.reason not in REASONS:
        problems.append(f"{where}: reason {i.reason!r} is not a reason code")
    if i.side == "sell" and i.notional is not None:
        problems.append(f"{where}: a sell gives a qty (a notional sell could go short)")
    return problems


def stale_reasons(
    based_on: Sequence[PlanPosition],
    live: Sequence[PlanPosition],
    max_price_move_pct: Decimal | None,
) -> list[str]:
    """How the live positions differ from those a plan was based on: quantities must be
    equal, prices within `max_price_move_pct` of the plan's (None: quantities only, as when
    a run starts under the order lock). Empty when the plan is fresh."""
    reasons: list[str] = []
    planned = {p.symbol: p for p in based_on}
    now = {p.symbol: p for p in live}
    for symbol in sorted(set(planned) | set(now)):
        was, is_ = planned.get(symbol), now.get(symbol)
        if was is None or is_ is None:
            state = "is new" if was is None else "is gone"
            reasons.append(f"{symbol} {state} since the plan")
            continue
        if was.qty != is_.qty:
            reasons.append(f"{symbol} qty {was.qty} -> {is_.qty}")
        if max_price_move_pct is not None and was.price > 0:
            move = abs(is_.price - was.price) / was.price * HUNDRED
            if move > max_price_move_pct:
                reasons.append(
                    f"{symbol} price {was.price} -> {is_.price} "
                    f"({round_pct(move).normalize():f} % > {max_price_move_pct.normalize():f} %)"
                )
    return reasons
