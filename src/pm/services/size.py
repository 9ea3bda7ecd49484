"""`pm size`: how much to buy of a symbol, by fractional Kelly and the market regime.

The win rate and average win / loss come from the caller or from the ledger's closed lots
(FIFO, `pm.domain.lots`) of the symbol, or of the whole account with `all_trades`. The
suggested order then goes through the pre-trade gate (`services.validate`), and its verdict is
part of the answer; nothing is sent to the broker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from pm.domain.book import SYMBOL_PATTERN
from pm.domain.errors import BadInput
from pm.domain.lots import match_fifo
from pm.domain.models import Position, Source
from pm.domain.portfolio import holding_key
from pm.domain.sizing import Sizing, TradeStats, size, stats_of
from pm.ports import LedgerStore
from pm.services.live import source_of
from pm.services.regime import RegimeReport
from pm.services.validate import (
    QTY_PLACES,
    Fetched,
    Guard,
    PriceSource,
    ProposedOrder,
    ValidationResult,
    held,
    validate,
)

StatsFrom = Literal["given", "symbol", "account"]


@dataclass(frozen=True, slots=True)
class SizeReport:
    account_id: str
    symbol: str
    stats: TradeStats
    stats_from: StatsFrom
    sizing: Sizing
    regime: RegimeReport
    equity: Decimal
    buying_power: Decimal
    price: Decimal
    price_source: PriceSource
    fractionable: bool
    qty: Decimal
    gate: ValidationResult | None  # None when there is nothing to order
    source: Source


def checked_symbol(text: str) -> str:
    """The symbol to size, stripped; a malformed one (empty, two words, ...) is bad input
    before any lookup, which would otherwise fail for the wrong reason ("no price for ")."""
    symbol = text.strip()
    if not SYMBOL_PATTERN.match(symbol.upper()):
        raise BadInput(
            f"{text[:40]!r} is not a symbol (a ticker like AAPL or BRK.B, "
            "or a crypto pair like BTC/USD)"
        )
    return symbol


def given_stats(
    win_rate: Decimal | None,
    avg_win: Decimal | None,
    avg_loss: Decimal | None,
    *,
    all_trades: bool = False,
) -> TradeStats | None:
    """The caller's stats when all three are given, None when none is (the ledger's then;
    `all_trades` picks which of the ledger's, so it cannot go with given stats)."""
    explicit = (win_rate, avg_win, avg_loss)
    if all(v is None for v in explicit):
        return None
    if win_rate is None or avg_win is None or avg_loss is None:
        raise BadInput("give all of `win_rate`, `avg_win` and `avg_loss`, or none")
    if all_trades:
        raise BadInput(
            "give `all_trades` (the ledger's trades) or `win_rate`, `avg_win` and "
            "`avg_loss`, not both"
        )
    return TradeStats(win_rate=win_rate, avg_win=avg_win, avg_loss=avg_loss, trades=None)


def kelly_fraction(given: Decimal | None, default: Decimal) -> Decimal:
    """The share of full Kelly: `fraction` when given (above 0, at most 1), else `default`."""
    if given is None:
        return default
    if not Decimal(0) < given <= 1:
        raise BadInput(f"`fraction` must be above 0 and at most 1, got {given}")
    return given


def trade_stats(
    ledger: LedgerStore, account_id: str, symbol: str | None
) -> tuple[TradeStats, StatsFrom]:
    """Stats of the closed lots of `symbol` (or of every symbol with None)."""
    fills = ledger.fills(account_id)
    if symbol is not None:
        key = holding_key(symbol)
        fills = [f for f in fills if holding_key(f.symbol) == key]
    stats = stats_of(match_fifo(fills).closed)
    if stats is None:
        whose = f"of {symbol.upper()}" if symbol is not None else "in the account"
        hint = " or `all_trades`" if symbol is not None else ""
        unsynced = (
            "; the trade ledger was never synced (run pm trades sync)"
            if ledger.sync_state(account_id) is None
            else ""
        )
        raise BadInput(
            f"no closed trades {whose} in the ledger: give `win_rate`, `avg_win` and "
            f"`avg_loss`{hint}{unsynced}"
        )
    return stats, "symbol" if symbol is not None else "account"


def suggest(
    guard: Guard,
    ledger: LedgerStore,
    regime: RegimeReport,
    symbol: str,
    *,
    given: TradeStats | None,
    all_trades: bool,
    fraction: Decimal,
    price: Decimal | None = None,
) -> SizeReport:
    broker = guard.broker
    account = broker.get_account()
    positions = broker.get_positions()
    stats_from: StatsFrom = "given"
    if given is not None:
        stats = given
    else:
        stats, stats_from = trade_stats(ledger, account.account_id, None if all_trades else symbol)
    position = held(positions, symbol)
    held_value = abs(position.market_value) if position is not None else Decimal(0)
    sizing = size(
        stats,
        fraction=fraction,
        multiplier=regime.call.multiplier,
        equity=account.equity,
        buying_power=account.buying_power,
        held_value=held_value,
        max_position_pct=guard.limits.max_position_pct,
    )
    the_price, price_source = _price(guard, symbol, price, position)
    asset = broker.get_asset(symbol)
    units = sizing.suggested_value / the_price
    step = QTY_PLACES if asset.fractionable else Decimal(1)
    qty = units.quantize(step, rounding=ROUND_DOWN)
    if qty == 0 and sizing.suggested_value > 0:
        why = (
            f"{sizing.suggested_value:.2f} at {the_price:.2f} is less than the smallest "
            f"quantity, {step:f}: nothing to order"
        )
        sizing = replace(sizing, reasons=(*sizing.reasons, why))
    gate = None
    if qty > 0:
        gate = validate(
            guard,
            ProposedOrder(symbol, "buy", qty=qty, price=the_price),
            fetched=Fetched(account, positions),
        )
    return SizeReport(
        account_id=account.account_id,
        symbol=position.symbol if position is not None else asset.symbol,
        stats=stats,
        stats_from=stats_from,
        sizing=sizing,
        regime=regime,
        equity=account.equity,
        buying_power=account.buying_power,
        price=the_price,
        price_source=price_source,
        fractionable=asset.fractionable,
        qty=qty,
        gate=gate,
        source=source_of(broker, guard.clock),
    )


def _price(
    guard: Guard, symbol: str, given: Decimal | None, position: Position | None
) -> tuple[Decimal, PriceSource]:
    if given is not None:
        if given <= 0:
            raise BadInput("`price` must be > 0")
        return given, "option"
    if position is not None and position.current_price > 0:
        return position.current_price, "position"
    latest = guard.prices.latest_price(symbol) if guard.prices is not None else None
    if latest is None or latest <= 0:
        raise BadInput(f"no price for {symbol.upper()}: give a `price`")
    return latest, "market"
