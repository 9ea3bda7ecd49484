"""`pm exits`: rules, each position's exit status, and what a check fired or sent."""

from __future__ import annotations

from typing import Any

from pm.domain.exits import ALL_SYMBOLS, Executed, ExitEvent, ExitRule, Level
from pm.records.common import pct
from pm.services.exits import ExitReport, PositionExit

RULE_COLUMNS = (
    "symbol",
    "take_profit",
    "ladder_from_policy",
    "trail_pct",
    "activate_at_pct",
    "breakeven_at_pct",
    "native",
    "updated_at",
)

EVENT_COLUMNS = ("at", "symbol", "kind", "message", "position_key")

STATUS_COLUMNS = (
    "symbol",
    "side",
    "qty",
    "entry",
    "price",
    "gain_pct",
    "hwm",
    "stop",
    "distance_pct",
    "breakeven",
    "next_level",
    "executed",
    "rule",
    "position_key",
    "skipped",
)


def _level(level: Level | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return {"gain_pct": pct(level.gain_pct), "share_pct": pct(level.share_pct)}


def executed(e: Executed) -> dict[str, Any]:
    """A level sent, as records write times (UTC, Z) and numbers (not the stored JSON's text)."""
    return {
        "name": e.name,
        "at": e.at,
        "client_order_id": e.client_order_id,
        "status": e.status,
        "qty": e.qty,
    }


def rule(r: ExitRule, ladder: tuple[Level, ...]) -> dict[str, Any]:
    return {
        "symbol": r.symbol,
        "take_profit": [_level(lv) for lv in ladder],
        "ladder_from_policy": r.take_profit is None,
        "trail_pct": pct(r.trail.trail_pct) if r.trail is not None else None,
        "activate_at_pct": pct(r.trail.activate_at_pct) if r.trail is not None else None,
        "breakeven_at_pct": pct(r.trail.breakeven_at_pct) if r.trail is not None else None,
        "native": r.native,
        "updated_at": r.updated_at,
    }


def status(p: PositionExit) -> dict[str, Any]:
    s = p.state
    return {
        "symbol": p.symbol,
        "side": s.side if s is not None else ("long" if p.position.qty > 0 else "short"),
        "qty": p.position.qty,
        "entry": s.entry if s is not None else p.position.avg_entry_price,
        "price": p.price,
        "gain_pct": pct(p.gain_pct),
        "hwm": s.hwm if s is not None else None,
        "stop": s.stop if s is not None else None,
        "distance_pct": pct(p.distance_pct),
        "breakeven": s.breakeven if s is not None else False,
        "next_level": _level(p.next_level),
        "executed": (
            [executed(e) for e in s.executed] if s is not None and p.rule is not None else []
        ),
        "rule": (p.rule.symbol if p.rule.symbol != ALL_SYMBOLS else "*") if p.rule else None,
        "position_key": s.key if s is not None and p.rule is not None else None,
        "skipped": p.skipped,
    }


def fires(report: ExitReport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p, f in report.fires:
        sent = next((x for x in p.sent if x.name == f.name), None)
        out.append(
            {
                "symbol": p.symbol,
                "position_key": p.state.key if p.state is not None else None,
                "level": f.name,
                "qty": f.qty,
                "reason": f.reason,
                "client_order_id": sent.client_order_id if sent is not None else None,
                "status": sent.status if sent is not None else None,
                "error": sent.error if sent is not None else None,
            }
        )
    return out


def check(report: ExitReport) -> dict[str, Any]:
    return {
        "account_id": report.account_id,
        "at": report.at,
        "executed": report.executed,
        "fires": fires(report),
        "positions": [status(p) for p in report.positions],
    }


def event(e: ExitEvent) -> dict[str, Any]:
    return {
        "at": e.at,
        "symbol": e.symbol,
        "kind": e.kind,
        "message": e.message,
        "position_key": e.key,
    }
