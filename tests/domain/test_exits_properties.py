"""Exit rules' invariants, whatever the prices: the best price only moves in the position's
favour, the stop only tightens and never sits below entry + 0.5 % once breakeven was
crossed, and a level is sent at most once per position across restarts and several
checkers (the orders table, read under the order lock, is what each check trusts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pm.domain.exits import (
    ExitRule,
    ExitState,
    Level,
    Trail,
    due,
    exit_client_order_id,
    merge,
    new_state,
    observe,
    opened_since_flat,
    position_key,
    taken,
)
from pm.domain.pm_orders import PmOrder
from pm.services.exits import _executed

T0 = datetime(2026, 3, 2, 15, tzinfo=UTC)
ENTRY = Decimal(100)
RULE = ExitRule(
    take_profit=(Level(Decimal(5), Decimal(25)), Level(Decimal(12), Decimal(25))),
    trail=Trail(Decimal(3), Decimal(5), Decimal(10)),
)
prices = st.lists(
    st.decimals(min_value=Decimal(50), max_value=Decimal(160), places=2), min_size=1, max_size=40
)


def start(side: str = "long") -> ExitState:
    qty = Decimal(100) if side == "long" else Decimal(-100)
    state, _ = new_state("acct", "k1", "AAPL", side, ENTRY, qty, ENTRY, T0)  # type: ignore[arg-type]
    return state


@given(prices, st.sampled_from(["long", "short"]))
def test_the_best_price_only_moves_in_the_positions_favour(path: list[Decimal], side: str) -> None:
    state = start(side)
    for k, p in enumerate(path):
        before = state
        state, events = observe(state, [p], RULE, T0 + timedelta(minutes=k))
        if side == "long":
            assert state.hwm >= before.hwm
            assert state.hwm >= p
        else:
            assert state.hwm <= before.hwm
            assert state.hwm <= p
        if state.hwm != before.hwm:
            assert any(e.message.endswith(f"-> {state.hwm}") for e in events)


@given(prices, st.sampled_from(["long", "short"]))
def test_the_stop_only_tightens_and_holds_breakeven(path: list[Decimal], side: str) -> None:
    state = start(side)
    for k, p in enumerate(path):
        before = state
        state, _ = observe(state, [p], RULE, T0 + timedelta(minutes=k))
        if before.stop is not None:
            assert state.stop is not None
            assert state.stop >= before.stop if side == "long" else state.stop <= before.stop
        if state.breakeven:
            assert state.stop is not None
            if side == "long":
                assert state.stop >= ENTRY * Decimal("1.005")
            else:
                assert state.stop <= ENTRY * Decimal("0.995")


def test_breakeven_is_logged_with_its_reason() -> None:
    state = start()
    state, events = observe(state, [Decimal("110.5")], RULE, T0)
    assert state.stop == Decimal("107.1850")  # 3 % under 110.50 is above entry + 0.5 %
    state2, events2 = observe(start(), [Decimal(110)], replace(RULE, trail=Trail(Decimal(20))), T0)
    assert state2.stop == Decimal("100.5000")
    assert [e.message for e in events2 if e.kind == "stop"] == [
        "stop - -> 100.5000 (stop moved to breakeven + 0.5 %)"
    ]
    assert "hwm 100 -> 110.5" in [e.message for e in events]


def order_row(cid: str, name_qty: Decimal, status: str, n: int) -> PmOrder:
    return PmOrder(
        n,
        "acct",
        cid,
        "exit",
        "k1",
        n,
        "AAPL",
        "sell",
        name_qty,
        None,
        "market",
        None,
        "day",
        status,
        [],
        None,
        name_qty if status == "filled" else Decimal(0),
        None,
        [],
        T0,
        None,
        T0,
    )


step = st.one_of(
    st.tuples(
        st.just("price"), st.decimals(min_value=Decimal(80), max_value=Decimal(140), places=2)
    ),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(
        st.just("concurrent"), st.decimals(min_value=Decimal(80), max_value=Decimal(140), places=2)
    ),
    st.tuples(st.just("broker"), st.sampled_from(["filled", "rejected", "not_sent", "new"])),
)


@settings(max_examples=200)
@given(st.lists(step, min_size=1, max_size=40))
def test_a_level_fires_at_most_once_per_position(steps: list[tuple[str, object]]) -> None:
    """Each check, under the lock, rebuilds what executed from the orders table; a restart
    loses the memory (the stored state may be stale); two checkers start from one stored
    state; the broker may refuse or never receive an order (then the level may go again,
    as a new attempt)."""
    table: list[PmOrder] = []
    stored = start()
    memory: ExitState | None = stored
    held = Decimal(100)

    def check(state: ExitState, price: Decimal) -> ExitState:
        nonlocal held
        state, _ = observe(state, [price], RULE, T0)
        state, reserved, attempts = _executed(state, table)
        for fire in due(state, RULE, RULE.take_profit or (), price, held - reserved):
            cid = exit_client_order_id(state.key, fire.name, attempts.get(fire.name, 0))
            assert cid not in {o.client_order_id for o in table}  # the unique constraint
            live = [
                o
                for o in table
                if o.client_order_id.startswith(f"pm-exit-k1-{fire.name}")
                and taken(o.status, o.filled_qty)
            ]
            assert not live, f"{fire.name} fired twice"
            table.append(order_row(cid, fire.qty, "pending", len(table) + 1))
        return state

    for kind, value in steps:
        if kind == "restart":
            memory = None
            continue
        if kind == "broker":
            if table and table[-1].status == "pending":
                last = table[-1]
                table[-1] = replace(last, status=str(value))
                if value == "filled":
                    held -= last.qty or 0
            continue
        base = memory if memory is not None else stored
        assert isinstance(value, Decimal)
        if kind == "concurrent":
            a = check(stored, value)  # two checkers from the same stored state, one at a time
            b = check(stored, value)
            stored = merge(merge(stored, a), b)
        else:
            stored = merge(stored, check(base, value))
        memory = stored
    names = [o.client_order_id.split("-")[3] for o in table if taken(o.status, o.filled_qty)]
    assert len(names) == len(set(names))


def test_positions_reopened_get_a_new_key() -> None:
    t1, t2, t3 = T0, T0 + timedelta(days=1), T0 + timedelta(days=2)
    assert opened_since_flat([(t1, Decimal(5)), (t2, Decimal(-5)), (t3, Decimal(2))]) == t3
    assert opened_since_flat([(t1, Decimal(5)), (t2, Decimal(-2))]) == t1
    assert opened_since_flat([(t1, Decimal(5)), (t2, Decimal(-5))]) is None
    assert position_key("a", "AAPL", t1) != position_key("a", "AAPL", t3)
    assert exit_client_order_id("abc", "tp20") == "pm-exit-abc-tp20"
    assert exit_client_order_id("abc", "trail", 2) == "pm-exit-abc-trail-2"


def test_the_stop_fires_everything_left_and_a_level_its_share() -> None:
    state, _ = observe(start(), [Decimal(112)], RULE, T0)
    fires = due(state, RULE, RULE.take_profit or (), Decimal(112), Decimal(100))
    assert [(f.name, f.qty) for f in fires] == [("tp5", Decimal(25)), ("tp12", Decimal(25))]
    fires = due(state, RULE, RULE.take_profit or (), Decimal(108), Decimal(50))
    assert [(f.name, f.qty) for f in fires] == [("trail", Decimal(50))]  # 108 < 108.64
