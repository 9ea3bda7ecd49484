"""The activities sync against parsing: 100,000 FILL activities (a busy account's year).

Measures, in the same run on a fresh SQLite file: `pm.services.trades.sync` of N FILL
activities, served as 1,000 JSON pages of 100 (decoded and parsed as the adapter does,
each page committed with its cursor: one bulk ``executemany`` per page), then the FIFO lots
of everything stored (`pm.services.trades.lots`, read back from the database), against the
floor: decoding and parsing the same JSON pages into `Fill` records and nothing else.
Target: within 2x the parse. Also reported: the database's own floor, with none of pm's
work: the parse, then the driver's bare ``executemany`` of the same rows (ready in stored
form) into the `fills` table in one transaction, then the driver's bare fetch of them in the
order lots need (the store's query, no conversion).

Why the target cannot be met on SQLite: that floor alone is about 2x the parse, before a
single fill is matched. Measured by this benchmark on the shared 2-core machine (wall time,
best of 2, 100,000 activities): parse 0.63-0.64 s, bare executemany 0.46-0.47 s, bare fetch
0.23-0.24 s: 2.09x-2.11x; pm's sync and lots 1.83-2.04 s: 3.04x-3.27x (five runs
interleaved with the code before the changes below, at 1.96-2.28 s: 3.35x-3.66x, 0.3x-0.5x
more in each pair; the floor 2.05x-2.20x in those runs). Without the time index the insert
is 0.37 s and the fetch (sorted by SQLite) 0.21 s: 1.94x, which leaves 0.04 s for matching,
against 0.18-0.20 s for FIFO over the 100,000 fills alone; without the unique index too
(the sync would no longer be idempotent) 1.69x plus the matching. Of pm's own work beyond
that floor, measured apart (CPU, pages parsed beforehand): the sync 0.68-0.76 s (the insert
0.34-0.37 s and twenty commits 0.1 s of it; the UTC text of the times 0.1 s, `isoformat` in
C: formatting in Python is no faster, and SQLite's strftime in the insert 0.016 s faster at
best; the numbers' text, the range checks and each commit's six small statements the rest),
reading the fills back as the tuples FIFO reads 0.30-0.33 s (the driver's fetch 0.21-0.23 s
of it), FIFO 0.18-0.20 s, and the one collection after it, which walks the 90,682 lots
once, 0.05-0.065 s. The cyclic garbage collector is paused while each batch of pages is
read and stored (with it on, the batch's records were promoted and counted towards full
collections of the whole process) and while the lots are built (its full collections walked
them four or five times: 0.35-0.42 s more, 4.1x-4.4x before). The records are built through
their slots (`pm.domain.frozen`), not the frozen dataclass's ``__init__``, and the lots
come from the rows with no `Fill` per fill in between.

Keeping the FIFO state in the database instead (the sync matching each page's fills as it
commits them, `lots` reading the lots back) was measured in a prototype and not done: in a
compact form (each fill's fields once, the closed lots as references to them), matching
and encoding in the sync cost 0.39 s and decoding the 57,263 closed lots alone 0.26-0.28 s,
against 0.54-0.60 s now for the lots as they are (0.67-0.70 s then): nothing saved, paid by
every sync. Any design that stores the fills and has the lots in the database pays the
parse, the fills' insert and a write or a read of the lots on top: over 2x by the floor
above.

The ratio is reported against the target and asserted against a regression guard
(`GUARD_RATIO`: per-row inserts or a quadratic FIFO would cross it); the results (every
fill stored once, the lots' realized P/L) are checked. The default suite runs 20,000
activities, --benchmark-enable 100,000.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pm.broker.alpaca.activities import parse_activities
from pm.broker.demo.activities import fill_activity_id
from pm.db.engine import open_database
from pm.domain.ledger import ActivityKind, ActivityPage
from pm.services import trades
from tests.support.clocks import FakeClock

T0 = datetime(2025, 1, 2, 14, 30, tzinfo=UTC)
TARGET_RATIO = 2.0
#: Asserted: a regression guard, well above the 3.0x-3.7x measured (see the module doc).
GUARD_RATIO = 8.0
PAGE = 100
SYMBOLS = [f"S{i:03d}" for i in range(200)]


def wire_pages(n: int) -> list[bytes]:
    """N fills over 200 symbols (buys, then sells of part of them), 100 a JSON page."""
    items: list[dict[str, Any]] = []
    for i in range(n):
        at = T0 + timedelta(seconds=37 * i)
        items.append(
            {
                "id": fill_activity_id(at, str(i)),
                "activity_type": "FILL",
                "transaction_time": at.isoformat().replace("+00:00", "Z"),
                "type": "fill",
                "price": f"{100 + i % 97}.{i % 100:02d}",
                "qty": str(1 + i % 7),
                "side": "sell" if i % 3 == 2 else "buy",
                "symbol": SYMBOLS[i % len(SYMBOLS)],
                "leaves_qty": "0",
                "order_id": f"order-{i}",
                "cum_qty": str(1 + i % 7),
                "order_status": "filled",
            }
        )
    return [json.dumps(items[i : i + PAGE]).encode() for i in range(0, n, PAGE)]


def decode(body: bytes) -> Any:
    return json.loads(body, parse_float=Decimal)


class PagedBroker:
    """Serves the JSON pages, decoded and parsed as `AlpacaBroker.get_activities` does."""

    def __init__(self, pages: list[bytes], last_ids: list[str]) -> None:
        self.pages = pages
        # page k+1 follows the token of page k's last id (known beforehand: not timed)
        self.next_page = {last: k + 1 for k, last in enumerate(last_ids)}

    def get_activities(
        self,
        kind: ActivityKind,
        *,
        page_token: str | None,
        after: date | None = None,
        page_size: int = PAGE,
    ) -> ActivityPage:
        if kind == "cash":
            return parse_activities([])
        index = 0 if page_token is None else self.next_page[page_token]
        if index >= len(self.pages):
            return parse_activities([])
        return parse_activities(decode(self.pages[index]))


def parse_only(pages: list[bytes]) -> int:
    return sum(len(parse_activities(decode(p)).fills) for p in pages)


def last_ids(pages: list[bytes]) -> list[str]:
    return [decode(p)[-1]["id"] for p in pages]


def sync_and_lots(pages: list[bytes], url: str) -> tuple[int, Decimal]:
    broker = PagedBroker(pages, last_ids(pages))
    with open_database(url) as db:
        repo = db.repository()
        start = time.perf_counter()
        result = trades.sync(broker, repo, "acct-bench", FakeClock(T0))  # type: ignore[arg-type]
        lots = trades.lots(repo, "acct-bench")
        elapsed = time.perf_counter() - start
    sync_and_lots.elapsed = elapsed  # type: ignore[attr-defined]
    return result.new_fills, lots.realized_pl


def bare_store_and_read(pages: list[bytes], url: str) -> tuple[float, float]:
    """The database's floor: the driver's executemany of the same fills, in stored form, one
    transaction; then the driver's fetch of them in the order lots need (the store's query),
    with no conversion. Returns (insert, read-back) seconds."""
    fills = [f for p in pages for f in parse_activities(decode(p)).fills]
    rows = [
        ("acct-bare", f.fill_id, f.broker_order_id, f.symbol, f.side, str(f.qty), str(f.price),
         f.transaction_time.isoformat(" ", "microseconds")[:26], f.source)
        for f in fills
    ]  # fmt: skip
    with open_database(url) as db:
        db.repository().accounts.register_account("acct-bare", "bench", T0)
        conn = db.engine.raw_connection()
        try:
            cursor = conn.cursor()
            start = time.perf_counter()
            cursor.execute("BEGIN")
            cursor.executemany(
                "INSERT INTO fills (account_id, fill_id, broker_order_id, symbol, side, qty, "
                "price, transaction_time, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.commit()
            inserted = time.perf_counter() - start
            start = time.perf_counter()
            cursor.execute(
                "SELECT fill_id, symbol, side, qty, price, transaction_time, source, "
                "broker_order_id FROM fills WHERE account_id = ? "
                "ORDER BY transaction_time, fill_id",
                ("acct-bare",),
            )
            assert len(cursor.fetchall()) == len(rows)
            return inserted, time.perf_counter() - start
        finally:
            conn.close()


def test_sync_and_lots_within_2x_parsing(benchmark, record, tmp_path: Path) -> None:
    enabled = bool(getattr(benchmark, "enabled", False))
    n = 100_000 if enabled else 20_000
    pages = wire_pages(n)
    parse_times: list[float] = []
    sync_times: list[float] = []
    bare_times: list[float] = []
    read_times: list[float] = []
    rounds = 2 if enabled else 3

    def one_round(k: int) -> None:
        start = time.perf_counter()
        assert parse_only(pages) == n
        parse_times.append(time.perf_counter() - start)
        stored, realized = sync_and_lots(pages, f"sqlite:///{tmp_path / f'bench{k}.db'}")
        sync_times.append(sync_and_lots.elapsed)  # type: ignore[attr-defined]
        assert stored == n
        assert realized != 0
        inserted, read = bare_store_and_read(pages, f"sqlite:///{tmp_path / f'bare{k}.db'}")
        bare_times.append(inserted)
        read_times.append(read)

    benchmark.pedantic(one_round, args=(0,), rounds=1, iterations=1)
    for k in range(1, rounds):
        one_round(k)
    parse = min(parse_times)
    ratio = min(sync_times) / parse
    floor = (parse + min(bare_times) + min(read_times)) / parse
    ok = ratio <= TARGET_RATIO
    record(
        f"trades sync + FIFO lots, {n:,} fill activities, sqlite: vs parsing the same JSON",
        f"{min(sync_times):.2f} s vs {parse:.2f} s: **{ratio:.2f}x**; the database's floor "
        f"(the parse, then a bare executemany of the same rows, {min(bare_times):.2f} s, and "
        f"a bare fetch of them in time order, {min(read_times):.2f} s): {floor:.2f}x",
        f"within {TARGET_RATIO:.0f}x (asserted: within {GUARD_RATIO:.0f}x; see the "
        "benchmark's docstring)",
        ok,
    )
    assert ratio <= GUARD_RATIO, (
        f"sync + lots took {min(sync_times):.2f} s, {ratio:.2f}x the {parse:.2f} s "
        f"parse (guard {GUARD_RATIO:g}x)"
    )
