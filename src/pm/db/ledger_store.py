"""The ledger's fills and cash activities (`fills`, `cash_activities`): what lots, realized
P/L and the performance report are computed from.

Implements `pm.ports.LedgerStore`. Reads return records oldest first, the order FIFO needs.
Writes skip rows already stored (the same ``fill_id`` / ``activity_id``), so recording the same
activities twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, delete, func, select, type_coerce, update
from sqlalchemy.engine import Connection

from pm.db.bulk import StoredForm, executemany
from pm.db.rows import records
from pm.db.tables import cash_activities, fills, ledger_sync
from pm.db.transactions import Transactions, ensure_account, upsert_insert
from pm.domain.frozen import constructor
from pm.domain.gc_pause import gc_paused
from pm.domain.ledger import (
    ActivityKind,
    ActivityPage,
    CashActivity,
    Fill,
    LedgerSync,
    order_fill_id,
)
from pm.domain.lots import FillRow, Lots, match_fifo_rows

_FILL_COLUMNS = (
    "account_id",
    "fill_id",
    "broker_order_id",
    "symbol",
    "side",
    "qty",
    "price",
    "transaction_time",
    "source",
)

#: `Fill(...)` for the fills read back (100,000 for the lots of a busy account's year).
_new_fill = constructor(Fill)


class SqlLedgerStore(Transactions):
    def fills(
        self, account_id: str, *, symbol: str | None = None, since: datetime | None = None
    ) -> list[Fill]:
        # the rows are gone before the collector resumes, so it walks only the records
        with gc_paused(), self.read() as conn:
            new = _new_fill
            return [new(*row) for row in _fill_rows(conn, account_id, symbol, since)]

    def lots(self, account_id: str, *, symbol: str | None = None) -> Lots:
        """FIFO lots of the stored fills, matched from the rows as read (no `Fill` records
        in between: a busy account's year is 100,000 of them)."""
        # the rows are gone before the collector resumes, so it walks only the lots
        with gc_paused(), self.read() as conn:
            return match_fifo_rows(_fill_rows(conn, account_id, symbol, None))

    def cash_activities(self, account_id: str, *, since: date | None = None) -> list[CashActivity]:
        query = (
            select(cash_activities)
            .where(cash_activities.c.account_id == account_id)
            .order_by(cash_activities.c.date, cash_activities.c.activity_id)
        )
        if since is not None:
            query = query.where(cash_activities.c.date >= since)
        with self.read() as conn:
            return records(CashActivity, conn.execute(query))

    def add_fills(self, account_id: str, new: Sequence[Fill]) -> int:
        """Store the fills not stored yet (by `fill_id`) in one transaction; returns how many.

        A fill of pm's own order is stored only for what the activities sync has not
        stored already (`uncovered_fills`).
        """
        with self.write() as conn:
            known = set(
                conn.scalars(
                    select(fills.c.fill_id).where(
                        fills.c.account_id == account_id,
                        fills.c.fill_id.in_({f.fill_id for f in new}),
                    )
                )
            )
            fresh = [f for f in new if f.fill_id not in known]
            rows = [
                {"account_id": account_id, **_fill_row(f)}
                for f in uncovered_fills(conn, account_id, fresh)
            ]
            if rows:
                conn.execute(fills.insert(), rows)
        return len(rows)

    def add_cash_activities(self, account_id: str, new: Sequence[CashActivity]) -> int:
        """Store the activities not stored yet (by `activity_id`); returns how many."""
        with self.write() as conn:
            return _insert_new_cash(conn, account_id, new)

    # -- the activities sync -----------------------------------------------------------------

    def sync_state(self, account_id: str) -> LedgerSync | None:
        with self.read() as conn:
            row = conn.execute(
                select(ledger_sync).where(ledger_sync.c.account_id == account_id)
            ).one_or_none()
        return None if row is None else records(LedgerSync, [row])[0]

    def commit_page(
        self, account_id: str, kind: ActivityKind, page: ActivityPage, now: datetime
    ) -> tuple[int, int]:
        """One transaction: the page's new fills (bulk, one executemany), its new cash
        activities, provisional `order:<id>` fills replaced by their executions, the cursor."""
        with gc_paused(), self.write() as conn:
            ensure_account(conn, account_id, now)
            _lock_sync(conn, account_id, now)
            new_fills = _insert_new_fills(conn, account_id, page.fills)
            _replace_provisional(conn, account_id, new_fills)
            new_cash = _insert_new_cash(conn, account_id, page.cash)
            _advance(conn, account_id, kind, page, now)
        return len(new_fills), new_cash

    def realized_pl(self, account_id: str) -> Decimal:
        """The realized P/L of the account's FIFO lots: from the cache in `ledger_sync` while
        the fills are those it was computed from, else computed and cached."""
        fingerprint = (
            select(func.count(), func.max(fills.c.id))
            .select_from(fills)
            .where(fills.c.account_id == account_id)
        )
        cached = select(
            ledger_sync.c.realized_pl,
            ledger_sync.c.realized_fills,
            ledger_sync.c.realized_last_id,
        ).where(ledger_sync.c.account_id == account_id)
        with self.read() as conn:
            count, last_id = conn.execute(fingerprint).one()
            row = conn.execute(cached).one_or_none()
        if row is not None and row[0] is not None and (row[1], row[2]) == (count, last_id):
            pl: Decimal = row[0]
            return pl
        pl = self.lots(account_id).realized_pl
        with self.write() as conn:
            conn.execute(
                update(ledger_sync)
                .where(ledger_sync.c.account_id == account_id)
                .values(realized_pl=pl, realized_fills=count, realized_last_id=last_id)
            )
        return pl

    def forget(self, account_id: str) -> None:
        with self.write() as conn:
            for table in (fills, cash_activities, ledger_sync):
                conn.execute(delete(table).where(table.c.account_id == account_id))

    def finish_sync(self, account_id: str, now: datetime) -> LedgerSync:
        with self.write() as conn:
            ensure_account(conn, account_id, now)
            stmt = upsert_insert(conn)(ledger_sync).values(
                account_id=account_id, synced_at=now, complete=True
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["account_id"], set_={"synced_at": now, "complete": True}
                )
            )
            row = conn.execute(
                select(ledger_sync).where(ledger_sync.c.account_id == account_id)
            ).one()
        return records(LedgerSync, [row])[0]


def _fill_rows(
    conn: Connection, account_id: str, symbol: str | None, since: datetime | None
) -> list[FillRow]:
    """The account's fills as `FillRow` tuples, oldest first (by time, then id). On SQLite
    the stored text is converted here, once, not by the column types row by row."""
    sqlite = conn.dialect.name == "sqlite"
    raw = [type_coerce(c, Text()) if sqlite else c for c in (fills.c.qty, fills.c.price)]
    when = type_coerce(fills.c.transaction_time, Text()) if sqlite else fills.c.transaction_time
    query = (
        select(
            fills.c.fill_id,
            fills.c.symbol,
            fills.c.side,
            *raw,
            when,
            fills.c.source,
            fills.c.broker_order_id,
        )
        .where(fills.c.account_id == account_id)
        .order_by(fills.c.transaction_time, fills.c.fill_id)
    )
    if symbol is not None:
        query = query.where(fills.c.symbol == symbol)
    if since is not None:
        query = query.where(fills.c.transaction_time >= since)
    if not sqlite:
        return list(conn.execute(query).tuples())
    result = conn.execute(query)  # the driver's rows as they are: every column converted below
    rows = result.cursor.fetchall()
    result.close()
    at = datetime.fromisoformat  # the stored UTC wall time, read as UTC
    return [
        (f, s, d, Decimal(q), Decimal(p), at(t + "+00:00"), o, b) for f, s, d, q, p, t, o, b in rows
    ]


def _lock_sync(conn: Connection, account_id: str, now: datetime) -> None:
    """Create the account's `ledger_sync` row if needed and lock it for this transaction, so
    two syncs of one account (a watch and a reconcile) store a page one after the other and
    the second finds the first's fills (SQLite: the write transaction already does this)."""
    stmt = upsert_insert(conn)(ledger_sync).values(
        account_id=account_id, synced_at=now, complete=False
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["account_id"]))
    conn.execute(
        select(ledger_sync.c.account_id)
        .where(ledger_sync.c.account_id == account_id)
        .with_for_update()
    ).one()


def uncovered_fills(conn: Connection, account_id: str, new: Sequence[Fill]) -> list[Fill]:
    """What of `new` to store: a fill of pm's own order (`source` "order") whose executions
    the activities sync already stored keeps only the quantity they do not cover (and is
    dropped when they cover it all), so the order's fill is never counted twice whichever
    comes first. Other fills are kept as they are."""
    covered = _activity_qty_by_order(
        conn,
        account_id,
        {f.broker_order_id for f in new if f.source == "order" and f.broker_order_id},
    )
    kept = []
    for f in new:
        if f.source == "order" and f.broker_order_id in covered:
            left = f.qty - covered[f.broker_order_id]
            if left > 0:
                kept.append(replace(f, qty=left))
        else:
            kept.append(f)
    return kept


def _activity_qty_by_order(
    conn: Connection, account_id: str, order_ids: set[str]
) -> dict[str, Decimal]:
    """Quantity the stored FILL activities of each of `order_ids` cover."""
    if not order_ids:
        return {}
    rows = conn.execute(
        select(fills.c.broker_order_id, fills.c.qty).where(
            fills.c.account_id == account_id,
            fills.c.source == "activity",
            fills.c.broker_order_id.in_(order_ids),
        )
    )
    covered: dict[str, Decimal] = {}
    for order_id, qty in rows:
        covered[order_id] = covered.get(order_id, Decimal(0)) + qty
    return covered


def _insert_new_fills(conn: Connection, account_id: str, page: Sequence[Fill]) -> list[Fill]:
    """Insert the fills of `page` not stored yet, in one executemany; returns them."""
    if not page:
        return []
    ids = [f.fill_id for f in page]
    # one range over the unique index (a page's ids are close together), not 100 parameters
    known = set(
        conn.scalars(
            select(fills.c.fill_id).where(
                fills.c.account_id == account_id,
                fills.c.fill_id >= min(ids),
                fills.c.fill_id <= max(ids),
            )
        )
    )
    new = [f for f in page if f.fill_id not in known]
    if not new:
        return []
    form = StoredForm(conn, fills)
    qtys = form.decimals([f.qty for f in new])
    prices = form.decimals([f.price for f in new])
    if form.sqlite:
        times: list[Any] = [_sqlite_time(f.transaction_time) for f in new]
    else:
        times = [f.transaction_time.astimezone(UTC) for f in new]
    rows = [
        (account_id, f.fill_id, f.broker_order_id, f.symbol, f.side, q, p, t, f.source)
        for f, q, p, t in zip(new, qtys, prices, times, strict=True)
    ]
    executemany(conn, form.insert(_FILL_COLUMNS), rows)
    return new


def _sqlite_time(at: datetime) -> str:
    """What `UTCDateTime` stores on SQLite: the UTC wall time, always with microseconds."""
    if at.tzinfo is UTC:  # what the broker adapters give: no conversion needed
        return at.isoformat(" ", "microseconds")[:26]
    if at.tzinfo is None:
        raise ValueError(f"naive datetime refused (use timezone-aware UTC): {at}")
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _replace_provisional(conn: Connection, account_id: str, new: Sequence[Fill]) -> None:
    """A fill pm recorded from its own order (`order:<id>`, source "order") stands for
    executions the broker reports later: the new FILL activities of that order take its
    place. What they do not cover yet stays provisional (its quantity reduced), so the
    order's total is the same before and after."""
    if not new:
        return
    # Provisional rows are few (pm's own fills not yet seen as activities): read them all,
    # through the unique index's range of `order:` ids, before looking at the page's fills
    # (usually there are none, and a page of 5,000 fills need not be summed).
    prefix = order_fill_id("")
    provisional = conn.execute(
        select(fills.c.id, fills.c.broker_order_id, fills.c.qty).where(
            fills.c.account_id == account_id,
            fills.c.fill_id >= prefix,
            fills.c.fill_id < prefix[:-1] + chr(ord(prefix[-1]) + 1),
            fills.c.source == "order",
        )
    ).all()
    if not provisional:
        return
    waiting = {order_id for _, order_id, _ in provisional if order_id}
    executed: dict[str, Decimal] = {}
    for f in new:
        order = f.broker_order_id
        if order is not None and order in waiting:
            executed[order] = executed.get(order, Decimal(0)) + f.qty
    for row_id, order_id, qty in provisional:
        if order_id not in executed:
            continue
        left = qty - executed.get(order_id, Decimal(0))
        if left <= 0:
            conn.execute(delete(fills).where(fills.c.id == row_id))
        else:
            conn.execute(update(fills).where(fills.c.id == row_id).values(qty=left))


def _insert_new_cash(conn: Connection, account_id: str, page: Sequence[CashActivity]) -> int:
    if not page:
        return 0
    known = set(
        conn.scalars(
            select(cash_activities.c.activity_id).where(
                cash_activities.c.account_id == account_id,
                cash_activities.c.activity_id.in_({a.activity_id for a in page}),
            )
        )
    )
    rows = [
        {"account_id": account_id, **_activity_row(a)} for a in page if a.activity_id not in known
    ]
    if rows:
        conn.execute(cash_activities.insert(), rows)
    return len(rows)


def _page_start(page: ActivityPage) -> datetime | None:
    times = [f.transaction_time for f in page.fills] + [
        datetime(a.date.year, a.date.month, a.date.day, tzinfo=UTC) for a in page.cash
    ]
    return min(times, default=None)


def _advance(
    conn: Connection, account_id: str, kind: ActivityKind, page: ActivityPage, now: datetime
) -> None:
    """Move the stream's cursor to the page's last id (never back) and widen `covers_from`."""
    column = "last_fill_id" if kind == "fill" else "last_cash_id"
    cursor, covers_from = conn.execute(
        select(ledger_sync.c[column], ledger_sync.c.covers_from).where(
            ledger_sync.c.account_id == account_id
        )
    ).one()
    start = _page_start(page)
    values: dict[str, Any] = {"synced_at": now}
    if page.last_id is not None and (cursor is None or page.last_id > cursor):
        values[column] = page.last_id
    if start is not None and (covers_from is None or start < covers_from):
        values["covers_from"] = start
    conn.execute(update(ledger_sync).where(ledger_sync.c.account_id == account_id).values(**values))


def _fill_row(fill: Fill) -> dict[str, object]:
    return {
        "fill_id": fill.fill_id,
        "broker_order_id": fill.broker_order_id,
        "symbol": fill.symbol,
        "side": fill.side,
        "qty": fill.qty,
        "price": fill.price,
        "transaction_time": fill.transaction_time,
        "source": fill.source,
    }


def _activity_row(activity: CashActivity) -> dict[str, object]:
    return {
        "activity_id": activity.activity_id,
        "activity_type": activity.activity_type,
        "activity_sub_type": activity.activity_sub_type,
        "date": activity.date,
        "net_amount": activity.net_amount,
        "symbol": activity.symbol,
        "qty": activity.qty,
        "per_share_amount": activity.per_share_amount,
        "description": activity.description,
        "status": activity.status,
    }
