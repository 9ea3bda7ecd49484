"""The activities sync against parsing: 100,000 FILL activities (a busy account's year).

Measures, in the same run on a fresh SQLite file: `pm.services.trades.sync` of N FILL
activities, served as 1,000 JSON pages of 100 (decoded and parsed as the adapter does,
each page committed with its cursor: one bulk ``executemany`` per page), then the FIFO lots
of everything stored (`pm.services.trades.lots`, read back from the database), against the
floor: decoding and parsing the same JSON pages into `Fill` records and nothing else.
Target: within 2x the parse. The default suite runs 20,000 activities and reports the ratio
without asserting it (two shared cores make a 2x margin noisy); --benchmark-enable runs
100,000 and asserts it.
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
PAGE = 100
SYMBOLS = [f"S{i:03d}" for i in range(200)]


def wire_pages(n: int) -> list[bytes]:
    """N fills over 200 symbols (buys, then sells of part of them), 100 a JSON page."""
    items: list[dict[str, Any]] = []
    for i in range(n):
        at = T0 + timedelta(seconds=37 * i)
        items.append(
            {"id": fill_activity_id(at, str(i)), "activity_type": "FILL",
             "transaction_time": at.isoformat().replace("+00:00", "Z"), "type": "fill",
             "price": f"{100 + i % 97}.{i % 100:02d}", "qty": str(1 + i % 7),
             "side": "sell" if i % 3 == 2 else "buy", "symbol": SYMBOLS[i % len(SYMBOLS)],
             "leaves_qty": "0", "order_id": f"order-{i}", "cum_qty": str(1 + i % 7),
             "order_status": "filled"}  # fmt: skip
        )
    return [json.dumps(items[i : i + PAGE]).encode() for i in range(0, n, PAGE)]


def decode(body: bytes) -> Any:
    return json.loads(body, parse_float=Decimal)


class PagedBroker:
    """Serves the JSON pages, decoded and parsed as `AlpacaBroker.get_activities` does."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages = pages
        self.ids = [decode(p)[-1]["id"] for p in pages]

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
        index = 0 if page_token is None else self.ids.index(page_token) + 1
        if index >= len(self.pages):
            return parse_activities([])
        return parse_activities(decode(self.pages[index]))


def parse_only(pages: list[bytes]) -> int:
    return sum(len(parse_activities(decode(p)).fills) for p in pages)


def sync_and_lots(pages: list[bytes], url: str) -> tuple[int, Decimal]:
    with open_database(url) as db:
        repo = db.repository()
        start = time.perf_counter()
        result = trades.sync(PagedBroker(pages), repo, "acct-bench", FakeClock(T0))  # type: ignore[arg-type]
        lots = trades.lots(repo, "acct-bench")
        elapsed = time.perf_counter() - start
    sync_and_lots.elapsed = elapsed  # type: ignore[attr-defined]
    return result.new_fills, lots.realized_pl


def test_sync_and_lots_within_2x_parsing(benchmark, record, tmp_path: Path) -> None:
    enabled = bool(getattr(benchmark, "enabled", False))
    n = 100_000 if enabled else 20_000
    pages = wire_pages(n)
    parse_times: list[float] = []
    sync_times: list[float] = []
    rounds = 2

    def one_round(k: int) -> None:
        start = time.perf_counter()
        assert parse_only(pages) == n
        parse_times.append(time.perf_counter() - start)
        stored, realized = sync_and_lots(pages, f"sqlite:///{tmp_path / f'bench{k}.db'}")
        sync_times.append(sync_and_lots.elapsed)  # type: ignore[attr-defined]
        assert stored == n
        assert realized != 0

    benchmark.pedantic(one_round, args=(0,), rounds=1, iterations=1)
    for k in range(1, rounds):
        one_round(k)
    ratio = min(sync_times) / min(parse_times)
    ok = ratio <= TARGET_RATIO
    record(
        f"trades sync + FIFO lots, {n:,} fill activities, sqlite: vs parsing the same JSON",
        f"{min(sync_times):.2f} s vs {min(parse_times):.2f} s: **{ratio:.2f}x**",
        f"within {TARGET_RATIO:.0f}x",
        ok,
    )
    if enabled:
        assert ok, f"sync + lots {min(sync_times):.2f} s is {ratio:.2f}x the parse"
