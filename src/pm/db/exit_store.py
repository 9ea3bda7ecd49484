"""Exit rules, exit states and their change log (`exit_rules`, `exit_states`,
`exit_events`); implements `pm.ports.ExitStore`.

`save` reads the stored states of the positions it writes under a row lock (``FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are exclusive) and merges (`pm.domain.exits.merge`):
two watchers writing the same position keep the better best price, the tighter stop and
every executed level, whatever the order of their writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row

from pm.db.queries import chunks, newest_first
from pm.db.rows import records
from pm.db.tables import exit_events, exit_rules, exit_states, orders
from pm.db.transactions import Transactions, ensure_account
from pm.domain.exits import (
    ExitEvent,
    ExitRule,
    ExitState,
    Level,
    Trail,
    executed_from_json,
    executed_json,
    merge,
)
from pm.domain.pm_orders import PmOrder


def _rule(row: Row[Any]) -> ExitRule:
    ladder = (
        None
        if row.take_profit is None
        else tuple(Level(Decimal(str(g)), Decimal(str(s))) for g, s in row.take_profit)
    )
    trail = (
        None
        if row.trail_pct is None
        else Trail(row.trail_pct, row.activate_at_pct, row.breakeven_at_pct)
    )
    return ExitRule(row.symbol, ladder, trail, bool(row.native), row.updated_at)


def _state(row: Row[Any]) -> ExitState:
    return ExitState(
        account_id=row.account_id,
        key=row.position_key,
        symbol=row.symbol,
        side="short" if row.side == "short" else "long",
        entry=row.entry,
        original_qty=row.original_qty,
        hwm=row.hwm,
        stop=row.stop,
        breakeven=bool(row.breakeven),
        executed=executed_from_json(row.executed),
        bars_until=row.bars_until,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _state_values(state: ExitState) -> dict[str, Any]:
    return {
        "symbol": state.symbol,
        "side": state.side,
        "entry": state.entry,
        "original_qty": state.original_qty,
        "hwm": state.hwm,
        "stop": state.stop,
        "breakeven": state.breakeven,
        "executed": executed_json(state.executed),
        "bars_until": state.bars_until,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
    }


class SqlExitStore(Transactions):
    def rules(self, account_id: str) -> dict[str, ExitRule]:
        with self.read() as conn:
            rows = conn.execute(
                select(exit_rules).where(exit_rules.c.account_id == account_id)
            ).all()
        return {row.symbol: _rule(row) for row in rows}

    def set_rule(self, account_id: str, rule: ExitRule, who: str, now: datetime) -> ExitRule:
        values: dict[str, Any] = {
            "take_profit": None
            if rule.take_profit is None
            else [[str(lv.gain_pct), str(lv.share_pct)] for lv in rule.take_profit],
            "trail_pct": rule.trail.trail_pct if rule.trail is not None else None,
            "activate_at_pct": (rule.trail or Trail()).activate_at_pct,
            "breakeven_at_pct": (rule.trail or Trail()).breakeven_at_pct,
            "native": rule.native,
            "updated_by": who[:128],
            "updated_at": now,
        }
        with self.write() as conn:
            ensure_account(conn, account_id, now)
            done = conn.execute(
                update(exit_rules)
                .where(exit_rules.c.account_id == account_id, exit_rules.c.symbol == rule.symbol)
                .values(values)
            )
            if not done.rowcount:
                conn.execute(
                    insert(exit_rules).values(account_id=account_id, symbol=rule.symbol, **values)
                )
            row = conn.execute(
                select(exit_rules).where(
                    exit_rules.c.account_id == account_id, exit_rules.c.symbol == rule.symbol
                )
            ).one()
        return _rule(row)

    def remove_rule(self, account_id: str, symbol: str) -> bool:
        with self.write() as conn:
            done = conn.execute(
                delete(exit_rules).where(
                    exit_rules.c.account_id == account_id, exit_rules.c.symbol == symbol
                )
            )
        return bool(done.rowcount)

    def states(self, account_id: str) -> dict[str, ExitState]:
        """The states of positions not closed, by position key."""
        with self.read() as conn:
            rows = conn.execute(
                select(exit_states).where(
                    exit_states.c.account_id == account_id, exit_states.c.closed_at.is_(None)
                )
            ).all()
        return {row.position_key: _state(row) for row in rows}

    def generations(self, account_id: str) -> dict[str, int]:
        """How many closed states each symbol has (the generation of its next position)."""
        with self.read() as conn:
            rows = conn.execute(
                select(exit_states.c.symbol, func.count())
                .where(exit_states.c.account_id == account_id, exit_states.c.closed_at.is_not(None))
                .group_by(exit_states.c.symbol)
            ).all()
        return {str(symbol): int(n) for symbol, n in rows}

    def save(
        self,
        account_id: str,
        states: Sequence[ExitState],
        events: Sequence[ExitEvent],
        closed: Sequence[str],
        now: datetime,
    ) -> list[ExitState]:
        """Write `states` (merged with what is stored), append `events`, mark the positions
        `closed` gone; one transaction. Returns the states as stored."""
        keys = [s.key for s in states]
        saved: list[ExitState] = []
        with self.write() as conn:
            ensure_account(conn, account_id, now)
            stored: dict[str, ExitState] = {}
            for chunk in chunks(keys):
                query = select(exit_states).where(
                    exit_states.c.account_id == account_id,
                    exit_states.c.position_key.in_(chunk),
                )
                if conn.dialect.name == "postgresql":
                    query = query.with_for_update()
                stored.update({r.position_key: _state(r) for r in conn.execute(query)})
            inserts: list[dict[str, Any]] = []
            for state in states:
                old = stored.get(state.key)
                if old is None:
                    inserts.append(
                        {"account_id": account_id, "position_key": state.key} | _state_values(state)
                    )
                    saved.append(state)
                    continue
                new = merge(old, state)
                if new != old:
                    conn.execute(
                        update(exit_states)
                        .where(
                            exit_states.c.account_id == account_id,
                            exit_states.c.position_key == state.key,
                        )
                        .values(_state_values(new) | {"closed_at": None})
                    )
                saved.append(new)
            if inserts:
                conn.execute(insert(exit_states), inserts)
            if closed:
                conn.execute(
                    update(exit_states)
                    .where(
                        exit_states.c.account_id == account_id,
                        exit_states.c.position_key.in_(list(closed)),
                    )
                    .values(closed_at=now, updated_at=now)
                )
            if events:
                conn.execute(
                    insert(exit_events),
                    [
                        {
                            "account_id": account_id,
                            "position_key": e.key,
                            "symbol": e.symbol,
                            "at": e.at,
                            "kind": e.kind,
                            "message": e.message,
                        }
                        for e in events
                    ],
                )
        return saved

    def events(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[ExitEvent]:
        """Newest first."""
        query = newest_first(exit_events, "at", account_id, since=since, limit=limit)
        with self.read() as conn:
            rows = conn.execute(query).all()
        return [ExitEvent(r.position_key, r.symbol, r.at, r.kind, r.message) for r in rows]

    def exit_orders(self, account_id: str, keys: Sequence[str]) -> list[PmOrder]:
        """pm's exit orders of these positions (``origin`` exit, ``origin_ref`` the key),
        oldest first."""
        found: list[PmOrder] = []
        keys = list(keys)
        with self.read() as conn:
            for chunk in chunks(keys):
                found.extend(
                    records(
                        PmOrder,
                        conn.execute(
                            select(orders)
                            .where(
                                orders.c.account_id == account_id,
                                orders.c.origin == "exit",
                                orders.c.origin_ref.in_(chunk),
                            )
                            .order_by(orders.c.id)
                        ),
                    )
                )
        return found
