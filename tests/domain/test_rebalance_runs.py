"""The pure rules of rebalance runs: buys sized to the cash there, client_order_ids that name
run and intent, the schedule of `rebalance-scheduled`, and the request pacer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pm.domain.rebalance_runs import (
    RunIntent,
    intent_from_json,
    intent_to_json,
    run_client_order_id,
    schedule_due,
    seq_of,
    size_buys,
)
from pm.services.rebalance_run import Pacer

T = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def buy(seq: int, qty: str, price: str, *, whole: bool = False) -> RunIntent:
    return RunIntent(
        seq, f"S{seq}", "buy", Decimal(qty), None, Decimal(price), "underweight_add",
        whole_shares=whole,
    )  # fmt: skip


def test_buys_that_fit_are_kept_and_the_rest_shrink_or_are_skipped() -> None:
    sized = size_buys(
        [buy(1, "10", "10"), buy(2, "10.5", "10"), buy(3, "3", "10", whole=True)],
        Decimal("160"),
        Decimal("1"),
    )
    assert [(i.seq, i.qty) for i in sized.intents] == [(1, Decimal(10)), (2, Decimal("6"))]
    assert sized.adjusted == {2: Decimal("10.5")}
    assert [(s.seq, s.reason) for s in sized.skipped] == [(3, "cash_limited")]


def test_whole_shares_stay_whole_when_cut() -> None:
    sized = size_buys([buy(1, "5", "30", whole=True)], Decimal("100"), Decimal("1"))
    assert [i.qty for i in sized.intents] == [Decimal(3)]


@given(
    st.lists(
        st.tuples(
            st.decimals("0.001", "500", places=3),
            st.decimals("0.5", "900", places=2),
            st.booleans(),
        ),
        max_size=12,
    ),
    st.decimals("-100", "20000", places=2),
    st.decimals("1", "50", places=2),
)
def test_sized_buys_never_spend_more_than_the_cash_nor_trade_below_the_minimum(
    raw: list[tuple[Decimal, Decimal, bool]], cash: Decimal, min_trade: Decimal
) -> None:
    buys = [
        buy(n, str(max(q.to_integral_value(), Decimal(1)) if w else q), str(p), whole=w)
        for n, (q, p, w) in enumerate(raw, 1)
    ]
    sized = size_buys(buys, cash, min_trade)
    spent = sum((i.est_value for i in sized.intents), Decimal(0))
    assert spent <= max(cash, Decimal(0))
    planned = {b.seq: b for b in buys}
    for i in sized.intents:
        assert i.qty is not None
        assert 0 < i.qty <= planned[i.seq].qty  # never more than planned
        if i.seq in sized.adjusted:
            assert i.est_value >= min_trade
        if planned[i.seq].whole_shares:
            assert i.qty == i.qty.to_integral_value()
    assert {i.seq for i in sized.intents} | {s.seq for s in sized.skipped} == set(planned)


def test_client_order_ids_name_the_run_and_the_intent() -> None:
    cid = run_client_order_id("acct", 12, T, 7, 1)
    assert cid.startswith("pm-rebalance-12-7.1-")
    assert seq_of(cid, 12) == 7
    assert seq_of(cid, 1) is None
    assert cid == run_client_order_id("acct", 12, T, 7, 1)  # deterministic
    assert cid != run_client_order_id("acct", 12, T, 7, 2)


def test_intents_survive_their_stored_form() -> None:
    i = buy(3, "1.123456789", "101.25", whole=False)
    assert intent_from_json(intent_to_json(i)) == i


def test_the_schedule() -> None:
    day = "2026-03-02"
    due = {"now": T, "market_open": True, "market_day": day, "last_scheduled_day": None}
    assert schedule_due("daily", last_completed=None, **due) is None
    assert schedule_due("daily", last_completed=T - timedelta(days=1), **due) is None
    assert schedule_due("daily", last_completed=T - timedelta(hours=1), **due) is not None
    assert schedule_due("weekly", last_completed=T - timedelta(days=6), **due) is not None
    assert schedule_due("weekly", last_completed=T - timedelta(days=7), **due) is None
    assert schedule_due("monthly", last_completed=T - timedelta(days=20), **due) is not None
    assert schedule_due("monthly", last_completed=T - timedelta(days=31), **due) is None
    closed = {**due, "market_open": False}
    assert schedule_due("daily", last_completed=None, **closed) == "the market is closed"
    again = {**due, "last_scheduled_day": day}
    assert "already" in (schedule_due("daily", last_completed=None, **again) or "")


def test_the_pacer_never_lets_more_than_the_limit_through_a_window() -> None:
    pacer = Pacer(5, window_s=0.2)
    for _ in range(12):
        pacer()
    assert pacer.count == 12
    assert pacer.peak == 5
