"""The activities sync on SQLite and PostgreSQL, against the real HTTP adapter and the fake
Alpaca server: idempotent, resumable after an interrupted page, provisional fills of pm's own
orders replaced by their executions, nothing stored from a malformed page."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from pm.broker.alpaca import AlpacaBroker
from pm.db.repository import SqlRepository
from pm.db.tables import ledger_sync
from pm.domain.errors import BrokerUnavailable
from pm.domain.ledger import ActivityPage, Fill, order_fill_id
from pm.domain.lots import match_fifo
from pm.services import trades
from tests.support.clocks import UtcClock
from tests.support.fake_alpaca import FakeAlpaca, Reply

ACCOUNT = "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"
LOT2_ORDER = "0f4b3e51-5a0e-4f1b-9b1c-2d0f1f7e4c22"


@pytest.fixture
def srv() -> Iterator[FakeAlpaca]:
    with FakeAlpaca() as fake:
        yield fake


@pytest.fixture
def broker(srv: FakeAlpaca) -> Iterator[AlpacaBroker]:
    b = AlpacaBroker(
        api_key="k", secret_key="s", base_url=srv.base_url, clock=UtcClock(), max_attempts=1
    )
    yield b
    b.close()


def _activity_requests(srv: FakeAlpaca) -> list[dict[str, list[str]]]:
    return [r.query for r in srv.requests if r.path == "/v2/account/activities"]


def test_sync_twice_stores_everything_once(
    broker: AlpacaBroker, repo: SqlRepository, srv: FakeAlpaca
) -> None:
    first = trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=5)
    assert (first.new_fills, first.new_cash) == (9, 6)
    assert first.state.complete
    assert first.state.covers_from == datetime(2024, 11, 4, tzinfo=UTC)  # the deposit
    again = trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=5)
    assert (again.new_fills, again.new_cash) == (0, 0)
    stored = repo.ledger.fills(ACCOUNT)
    assert len(stored) == 9 == len({f.fill_id for f in stored})
    assert len(repo.ledger.cash_activities(ACCOUNT)) == 6
    # the second run asked for fills after the newest one stored, oldest first
    fill_queries = [q for q in _activity_requests(srv) if q.get("activity_types") == ["FILL"]]
    assert fill_queries[-1]["page_token"] == [stored[-1].fill_id]
    assert fill_queries[-1]["direction"] == ["asc"]
    # FIFO over the synced fills: AAPL +96.00, TSLA short -75.50, BTC +18.1975
    assert match_fifo(stored).realized_pl == Decimal("38.6975")


@pytest.mark.parametrize("fault", [Reply(503), Reply.malformed()], ids=["503", "malformed"])
def test_an_interrupted_page_resumes_where_it_stopped(
    broker: AlpacaBroker, repo: SqlRepository, srv: FakeAlpaca, fault: Reply
) -> None:
    srv.script(200, fault, path="/v2/account/activities")  # page 1 answers, page 2 fails
    with pytest.raises(BrokerUnavailable):
        trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=4)
    kept = repo.ledger.fills(ACCOUNT)
    assert len(kept) == 4  # page 1 committed with its cursor
    state = repo.ledger.sync_state(ACCOUNT)
    assert state is not None
    assert not state.complete
    assert state.last_fill_id == max(f.fill_id for f in kept)
    resumed = trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=4)
    assert resumed.new_fills == 5
    assert resumed.state.complete
    assert _activity_requests(srv)[2]["page_token"] == [state.last_fill_id]
    assert len(repo.ledger.fills(ACCOUNT)) == 9


def test_a_malformed_number_stores_nothing_of_its_page(
    broker: AlpacaBroker, repo: SqlRepository, srv: FakeAlpaca
) -> None:
    bad = dict(srv.activities[0], qty="1e400")
    srv.activities = [a for a in srv.activities if a["activity_type"] != "FILL"] + [bad]
    with pytest.raises(BrokerUnavailable, match="malformed"):
        trades.sync(broker, repo, ACCOUNT, UtcClock())
    assert repo.ledger.fills(ACCOUNT) == []
    assert repo.ledger.sync_state(ACCOUNT) is None


def _provisional(qty: str) -> Fill:
    return Fill(
        fill_id=order_fill_id(LOT2_ORDER),
        symbol="AAPL",
        side="buy",
        qty=Decimal(qty),
        price=Decimal("225.98"),
        transaction_time=datetime(2024, 11, 7, 15, 1, 40, tzinfo=UTC),
        source="order",
        broker_order_id=LOT2_ORDER,
    )


def _execution(n: int, qty: str, price: str) -> Fill:
    return Fill(
        fill_id=f"2024110710014{n}000::exec-{n}",
        symbol="AAPL",
        side="buy",
        qty=Decimal(qty),
        price=Decimal(price),
        transaction_time=datetime(2024, 11, 7, 15, 1, 40 + n, tzinfo=UTC),
        source="activity",
        broker_order_id=LOT2_ORDER,
    )


def _page(*fills: Fill) -> ActivityPage:
    return ActivityPage(fills, (), fills[-1].fill_id if fills else None, len(fills))


def _qty(repo: SqlRepository) -> Decimal:
    return sum((f.qty for f in repo.ledger.fills(ACCOUNT)), Decimal(0))


def test_activities_replace_the_provisional_fill_of_pms_own_order(repo: SqlRepository) -> None:
    repo.accounts.register_account(ACCOUNT, "alpaca:test", datetime.now(UTC))
    now = datetime.now(UTC)
    assert repo.ledger.add_fills(ACCOUNT, [_provisional("30")]) == 1
    # the first execution alone: the provisional row keeps what it does not cover yet
    repo.ledger.commit_page(ACCOUNT, "fill", _page(_execution(1, "12", "225.95")), now)
    assert _qty(repo) == Decimal("30")
    by_id = {f.fill_id: f for f in repo.ledger.fills(ACCOUNT)}
    assert by_id[order_fill_id(LOT2_ORDER)].qty == Decimal("18")
    # the second: the provisional row is gone, the executions stand, the total is the same
    repo.ledger.commit_page(ACCOUNT, "fill", _page(_execution(2, "18", "226")), now)
    stored = repo.ledger.fills(ACCOUNT)
    assert [f.source for f in stored] == ["activity", "activity"]
    assert _qty(repo) == Decimal("30")
    # pm recording its order's fill after the activities were synced adds nothing
    assert repo.ledger.add_fills(ACCOUNT, [_provisional("30")]) == 0
    assert _qty(repo) == Decimal("30")


def test_pms_own_fill_recorded_after_part_of_its_executions_holds_only_the_rest(
    repo: SqlRepository,
) -> None:
    repo.accounts.register_account(ACCOUNT, "alpaca:test", datetime.now(UTC))
    now = datetime.now(UTC)
    repo.ledger.commit_page(ACCOUNT, "fill", _page(_execution(1, "12", "225.95")), now)
    assert repo.ledger.add_fills(ACCOUNT, [_provisional("30")]) == 1
    by_id = {f.fill_id: f for f in repo.ledger.fills(ACCOUNT)}
    assert by_id[order_fill_id(LOT2_ORDER)].qty == Decimal("18")
    assert _qty(repo) == Decimal("30")
    # the rest of the executions replace it
    repo.ledger.commit_page(ACCOUNT, "fill", _page(_execution(2, "18", "226")), now)
    assert [f.source for f in repo.ledger.fills(ACCOUNT)] == ["activity", "activity"]
    assert _qty(repo) == Decimal("30")


def test_bulk_inserted_fills_read_back_exactly(repo: SqlRepository) -> None:
    fills = [
        Fill(
            f"20241105{i:09d}::f{i}",
            "BTCUSD" if i % 2 else "AAPL",
            "buy" if i % 3 else "sell",
            Decimal("0.000000001") * (i + 1),
            Decimal("94210.123456789"),
            datetime(2024, 11, 5, 14, 0, i, i * 1000 if i % 2 else 0, tzinfo=UTC),
            "activity",
            None if i % 4 else f"o{i}",
        )
        for i in range(6)
    ]
    new, cash = repo.ledger.commit_page(ACCOUNT, "fill", _page(*fills), datetime.now(UTC))
    assert (new, cash) == (6, 0)
    assert repo.ledger.fills(ACCOUNT) == fills
    assert repo.ledger.fills(ACCOUNT, since=fills[3].transaction_time) == fills[3:]
    state = repo.ledger.sync_state(ACCOUNT)
    assert state is not None
    assert state.last_fill_id == fills[-1].fill_id
    # a page of older ids never moves the cursor back
    repo.ledger.commit_page(ACCOUNT, "fill", _page(fills[0]), datetime.now(UTC))
    again = repo.ledger.sync_state(ACCOUNT)
    assert again is not None
    assert again.last_fill_id == fills[-1].fill_id


def _wire(fill_id: str, **changes: Any) -> dict[str, Any]:
    item = {
        "id": fill_id,
        "activity_type": "FILL",
        "transaction_time": "2024-11-21T03:12:48.664021Z",
        "type": "fill",
        "price": "94210.5",
        "qty": "0.0125",
        "side": "buy",
        "symbol": "BTC/USD",
        "leaves_qty": "0",
        "order_id": "34e0cabf",
        "cum_qty": "0.0125",
        "order_status": "filled",
    }
    item.update(changes)
    return item


def test_crypto_symbol_forms_are_one_symbol(
    broker: AlpacaBroker, repo: SqlRepository, srv: FakeAlpaca
) -> None:
    srv.activities = [
        _wire("20241120221248664::a"),
        _wire("20241123094005118::b", side="sell", symbol="BTCUSD", qty="0.005", price="97850"),
    ]
    trades.sync(broker, repo, ACCOUNT, UtcClock())
    lots = match_fifo(repo.ledger.fills(ACCOUNT))
    assert [lot.symbol for lot in lots.open] == ["BTCUSD"]
    assert lots.open[0].qty == Decimal("0.0075")
    assert lots.realized_pl == Decimal("0.005") * (Decimal("97850") - Decimal("94210.5"))


def test_realized_pl_is_cached_until_the_fills_change(
    broker: AlpacaBroker, repo: SqlRepository
) -> None:
    trades.sync(broker, repo, ACCOUNT, UtcClock())
    assert repo.ledger.realized_pl(ACCOUNT) == Decimal("38.6975")
    with repo.ledger.engine.connect() as conn:
        cached = conn.execute(select(ledger_sync.c.realized_pl, ledger_sync.c.realized_fills)).one()
    assert tuple(cached) == (Decimal("38.6975"), 9)
    assert trades.realized(repo, ACCOUNT).pl == Decimal("38.6975")
    # pm's own sell of the remaining BTC: the cache is stale, realized P/L moves at once
    sell = Fill(
        order_fill_id("btc-close"),
        "BTCUSD",
        "sell",
        Decimal("0.0075"),
        Decimal("100000"),
        datetime(2024, 11, 26, tzinfo=UTC),
        "order",
        "btc-close",
    )
    repo.ledger.add_fills(ACCOUNT, [sell])
    gain = Decimal("0.0075") * (Decimal("100000") - Decimal("94210.5"))
    assert trades.realized(repo, ACCOUNT).pl == Decimal("38.6975") + gain


def test_two_syncs_at_once_store_each_fill_once(repo: SqlRepository, srv: FakeAlpaca) -> None:
    srv.latency_s = 0.02  # so that the two syncs' pages interleave
    brokers = [
        AlpacaBroker(
            api_key="k", secret_key="s", base_url=srv.base_url, clock=UtcClock(), max_attempts=1
        )
        for _ in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda b: trades.sync(b, repo, ACCOUNT, UtcClock(), page_size=2), brokers)
        )
    for b in brokers:
        b.close()
    assert sum(r.new_fills for r in results) == 9
    assert sum(r.new_cash for r in results) == 6
    assert len(repo.ledger.fills(ACCOUNT)) == 9
    assert len(repo.ledger.cash_activities(ACCOUNT)) == 6


class _Recording(AlpacaBroker):
    """The real adapter, noting whether the cyclic collector runs as each page is asked for."""

    collecting: list[bool]

    def get_activities(self, *args: Any, **kwargs: Any) -> ActivityPage:
        self.collecting.append(gc.isenabled())
        return super().get_activities(*args, **kwargs)


def test_the_collector_is_paused_while_a_batch_is_read_and_stored_and_resumed_after(
    repo: SqlRepository, srv: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trades, "COMMIT_ROWS", 4)  # several batches
    commits: list[bool] = []
    commit_page = repo.ledger.commit_page

    def recorded(*args: Any) -> tuple[int, int]:
        commits.append(gc.isenabled())
        return commit_page(*args)

    monkeypatch.setattr(repo.ledger, "commit_page", recorded)
    broker = _Recording(
        api_key="k", secret_key="s", base_url=srv.base_url, clock=UtcClock(), max_attempts=1
    )
    broker.collecting = []
    try:
        assert gc.isenabled()
        result = trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=2)
        assert (result.new_fills, result.new_cash) == (9, 6)
        assert gc.isenabled()
        assert len(commits) >= 4
        assert not any(commits)
        assert not any(broker.collecting)
        srv.script(200, Reply(503), path="/v2/account/activities")
        repo.ledger.forget(ACCOUNT)
        with pytest.raises(BrokerUnavailable):
            trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=2)
        assert gc.isenabled()  # resumed after a failed page too
        assert len(repo.ledger.fills(ACCOUNT)) == 2  # the page read before it was stored
    finally:
        broker.close()
