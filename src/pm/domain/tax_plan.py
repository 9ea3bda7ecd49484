"""Tax-aware rebalance plans (`pm rebalance plan --tax-aware`), on top of
`pm.domain.rebalance.plan`.

The broker relieves a position's oldest lots first, so the only lever a trim has is how much
it sells. Each trim of the plain plan may stop anywhere between the quantity that leaves the
position `tolerance_pct` percentage points above its target and the plain plan's quantity;
`pm.domain.tax.best_trim` picks the one realizing the smallest short-term gain (losses and
long-term gains are sold, short-term gains left for later; among equals the larger trim).
Exits (`exit_not_in_targets`) and buys are the plain plan's. A trim of a position whose lots
the ledger does not fully account for is left as planned (its gain is not known).

The tax-aware plan is kept only when its total drift after the plan is at most the plain
plan's plus `tolerance_pct`; otherwise the plain plan is used (and said). Every plan, tax
aware or not, can be annotated (`annotate`): each sell's estimated realized gain (short and
long term), and each buy that would wash a loss sale of the last 30 days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from pm.domain.lots import ClosedLot, OpenLot
from pm.domain.rebalance import HUNDRED, Intent, Plan, PlanInput, Tradability, plan, to_step
from pm.domain.tax import RealizedEstimate, WashSale, best_trim, estimate_sell, fifo_long_lots
from pm.domain.tax import wash_sale_of_buy as wash_of

ZERO = Decimal(0)
DEFAULT_TOLERANCE_PCT = Decimal(1)


def sell_caps(
    v: PlanInput, plain: Plan, lots: Sequence[OpenLot], today: date, tolerance_pct: Decimal
) -> dict[str, Decimal]:
    """The trims a tax-aware plan makes smaller: symbol -> the quantity to sell instead."""
    caps: dict[str, Decimal] = {}
    held = {h.symbol: h for h in v.holdings}
    for intent in plain.sells:
        h = held.get(intent.symbol)
        if h is None or intent.reason == "exit_not_in_targets" or h.price <= 0:
            continue
        fifo = fifo_long_lots(lots, h.symbol)
        if sum((lot.qty for lot in fifo), ZERO) < h.qty:
            continue  # the ledger does not account for every unit held: the gain is unknown
        step = v.tradability.get(h.symbol, Tradability()).step
        allowed = v.equity * (intent.target_pct + tolerance_pct) / HUNDRED
        least = to_step((h.market_value - allowed) / h.price, step, up=True)
        least = min(max(least, ZERO), intent.qty)
        qty = best_trim(fifo, least, intent.qty, h.price, today, step)
        if qty < intent.qty:
            caps[h.symbol] = qty
    return caps


@dataclass(frozen=True, slots=True)
class TaxAwareResult:
    plan: Plan
    plain: Plan
    caps: dict[str, Decimal]
    fell_back: bool  # the tax-aware plan drifted too far: the plain plan was kept


def tax_aware_plan(
    v: PlanInput, lots: Sequence[OpenLot], today: date, tolerance_pct: Decimal
) -> TaxAwareResult:
    """The plan with its trims sized for taxes (see the module doc)."""
    plain = plan(v)
    caps = sell_caps(v, plain, lots, today, tolerance_pct)
    if not caps:
        return TaxAwareResult(plain, plain, {}, False)
    taxed = plan(replace(v, sell_caps=caps))
    if taxed.drift_after_pct > plain.drift_after_pct + tolerance_pct:
        return TaxAwareResult(plain, plain, {}, True)
    return TaxAwareResult(taxed, plain, caps, False)


class TaxAwarePlanner:
    """`tax_aware_plan` as a planner function (`PlanInput -> Plan`) that remembers its last
    result, for the service's loop that plans again without what the gate refused."""

    def __init__(self, lots: Sequence[OpenLot], today: date, tolerance_pct: Decimal) -> None:
        self.lots, self.today, self.tolerance_pct = tuple(lots), today, tolerance_pct
        self.last: TaxAwareResult | None = None

    def __call__(self, v: PlanInput) -> Plan:
        self.last = tax_aware_plan(v, self.lots, self.today, self.tolerance_pct)
        return self.last.plan


# -- what a plan realizes ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentTax:
    seq: int
    symbol: str
    estimate: RealizedEstimate | None  # a sell's
    wash_sale: WashSale | None  # a buy's
    plain_qty: Decimal | None = None  # a trim made smaller: what the plain plan sold


@dataclass(frozen=True, slots=True)
class PlanTax:
    tax_aware: bool
    tolerance_pct: Decimal
    intents: tuple[IntentTax, ...]
    plain_drift_after_pct: Decimal
    plain_short_term_gain: Decimal
    warnings: tuple[str, ...]

    def _sum(self, part: str) -> Decimal:
        return sum(
            (getattr(i.estimate, part) for i in self.intents if i.estimate is not None), ZERO
        )

    @property
    def short_term(self) -> Decimal:
        return self._sum("short_term")

    @property
    def long_term(self) -> Decimal:
        return self._sum("long_term")

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term

    @property
    def complete(self) -> bool:
        """Every sell's quantity is accounted for by the ledger's lots."""
        return all(i.estimate.complete for i in self.intents if i.estimate is not None)

    @property
    def wash_sales(self) -> tuple[IntentTax, ...]:
        return tuple(i for i in self.intents if i.wash_sale is not None)

    def of(self, seq: int) -> IntentTax | None:
        return next((i for i in self.intents if i.seq == seq), None)


def realized(intents: Iterable[Intent], lots: Sequence[OpenLot], today: date) -> Decimal:
    """The short-term gain the sells of `intents` realize (FIFO)."""
    return sum(
        (
            estimate_sell(fifo_long_lots(lots, i.symbol), i.qty, i.est_price, today).short_term
            for i in intents
            if i.side == "sell"
        ),
        ZERO,
    )


def annotate(
    result: Plan,
    lots: Sequence[OpenLot],
    closed: Sequence[ClosedLot],
    today: date,
    *,
    tolerance_pct: Decimal,
    tax_aware: TaxAwareResult | None = None,
) -> PlanTax:
    """Each sell's estimated realized gain, each buy's wash sale, and what the tax-aware
    sizing changed compared with the plain plan."""
    plain = tax_aware.plain if tax_aware is not None else result
    plain_sells = {i.symbol: i.qty for i in plain.sells}
    out: list[IntentTax] = []
    warnings: list[str] = []
    for i in result.intents:
        if i.side == "sell":
            fifo = fifo_long_lots(lots, i.symbol)
            estimate = estimate_sell(fifo, i.qty, i.est_price, today)
            was = plain_sells.get(i.symbol)
            out.append(IntentTax(i.seq, i.symbol, estimate, None, was if was != i.qty else None))
            if not estimate.complete:
                warnings.append(
                    f"{i.symbol}: the ledger's lots account for {estimate.covered:f} of the "
                    f"{i.qty:f} sold; the realized gain is estimated for that part only "
                    "(run pm trades sync)"
                )
        else:
            wash = wash_of(closed, i.symbol, today)
            out.append(IntentTax(i.seq, i.symbol, None, wash))
            if wash is not None:
                warnings.append(f"{i.symbol}: buy: {wash.sentence()}")
    if tax_aware is not None:
        for symbol in sorted(tax_aware.caps):
            sold = next((i.qty for i in result.sells if i.symbol == symbol), ZERO)
            warnings.append(
                f"{symbol}: trim of {plain_sells[symbol]:f} cut to {sold:f} (tax-aware: "
                "short-term gains left for later, within the drift tolerance)"
            )
        if tax_aware.fell_back:
            warnings.append(
                "tax-aware sizing would drift more than the tolerance allows: the plain plan "
                "is shown"
            )
    return PlanTax(
        tax_aware=tax_aware is not None,
        tolerance_pct=tolerance_pct,
        intents=tuple(out),
        plain_drift_after_pct=plain.drift_after_pct,
        plain_short_term_gain=realized(plain.intents, lots, today),
        warnings=tuple(warnings),
    )
