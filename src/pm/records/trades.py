"""The trade ledger's records: fills (`pm trades`), lots (`pm trades lots`), a sync's result."""

from __future__ import annotations

from datetime import date
from typing import Any

from pm.domain.ledger import Fill, LedgerSync
from pm.domain.lots import ClosedLot, OpenLot, term_of
from pm.domain.market_calendar import trade_date
from pm.services.trades import LotsResult, SyncResult

FILL_COLUMNS = (
    "fill_id",
    "symbol",
    "side",
    "qty",
    "price",
    "value",
    "transaction_time",
    "source",
    "broker_order_id",
)

LOT_COLUMNS = (
    "symbol",
    "status",
    "side",
    "qty",
    "open_price",
    "close_price",
    "opened_at",
    "closed_at",
    "holding_days",
    "term",
    "realized_pl",
    "open_fill_id",
    "close_fill_id",
)


def fill(f: Fill) -> dict[str, Any]:
    return {
        "fill_id": f.fill_id,
        "symbol": f.symbol,
        "side": f.side,
        "qty": f.qty,
        "price": f.price,
        "value": f.qty * f.price,
        "transaction_time": f.transaction_time,
        "source": f.source,
        "broker_order_id": f.broker_order_id,
    }


def closed_lot(lot: ClosedLot) -> dict[str, Any]:
    return {
        "symbol": lot.symbol,
        "status": "closed",
        "side": lot.side,
        "qty": lot.qty,
        "open_price": lot.open_price,
        "close_price": lot.close_price,
        "opened_at": lot.opened_at,
        "closed_at": lot.closed_at,
        "holding_days": lot.holding_days,
        "term": lot.term,
        "realized_pl": lot.realized_pl,
        "open_fill_id": lot.open_fill_id,
        "close_fill_id": lot.close_fill_id,
    }


def open_lot(lot: OpenLot, today: date) -> dict[str, Any]:
    """An open lot: held so far (until the trade date `today`), its term if it were closed
    today (New York trade dates, as `pm tax lots` counts them)."""
    return {
        "symbol": lot.symbol,
        "status": "open",
        "side": lot.side,
        "qty": lot.qty,
        "open_price": lot.price,
        "close_price": None,
        "opened_at": lot.opened_at,
        "closed_at": None,
        "holding_days": (today - trade_date(lot.opened_at)).days,
        "term": term_of(lot.side, lot.opened_at, today),
        "realized_pl": None,
        "open_fill_id": lot.fill_id,
        "close_fill_id": None,
    }


def lots(result: LotsResult, today: date) -> list[dict[str, Any]]:
    """The open lots (held `today`), then the closed ones."""
    return [open_lot(lot, today) for lot in result.open] + [
        closed_lot(lot) for lot in result.closed
    ]


def ledger_state(state: LedgerSync | None) -> dict[str, Any]:
    if state is None:
        return {
            "synced_at": None,
            "covers_from": None,
            "complete": False,
            "last_fill_id": None,
            "last_cash_id": None,
        }
    return {
        "synced_at": state.synced_at,
        "covers_from": state.covers_from,
        "complete": state.complete,
        "last_fill_id": state.last_fill_id,
        "last_cash_id": state.last_cash_id,
    }


def sync(result: SyncResult) -> dict[str, Any]:
    return {
        "account_id": result.state.account_id,
        "new_fills": result.new_fills,
        "new_cash_activities": result.new_cash,
        "pages": result.pages,
        **ledger_state(result.state),
    }
