"""The pure reconciliation diff and the due-time rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial

from hypothesis import given
from hypothesis import strategies as st

from pm.domain.portfolio import drop_dust
from pm.domain.reconcile import BookPosition, StoredBook, diff, diff_stored, is_due, next_due
from tests.support.clocks import T0
from tests.support.positions import position

pos = partial(position, entry="90")


def book(symbol: str, qty: str = "10", price: str = "100", entry: str = "90", id_: int = 1):
    return BookPosition(id_, symbol, Decimal(qty), Decimal(entry), Decimal(price))


def test_each_kind_of_difference() -> None:
    result = diff(
        [pos("NEW"), pos("QTY", qty="11"), pos("PX", price="101"), pos("SAME")],
        [book("GONE", id_=1), book("QTY", id_=2), book("PX", id_=3), book("SAME", id_=4)],
    )
    assert [p.symbol for p in result.added] == ["NEW"]
    assert [(r.symbol, r.id) for r in result.removed] == [("GONE", 1)]
    [conflict] = result.conflicts
    assert (conflict.position_id, conflict.db_qty, conflict.broker_qty) == (2, 10, 11)
    assert [(u.position_id, u.broker.current_price) for u in result.updated] == [(3, 101)]
    assert result.unchanged == 1
    assert result.changes == 4


def test_entry_price_change_is_an_update_and_equal_decimals_are_equal() -> None:
    assert len(diff([pos("A", entry="91")], [book("A")]).updated) == 1
    assert diff([pos("A", qty="10.00")], [book("A", qty="10")]).empty


def test_dust_at_the_broker_counts_as_not_held() -> None:
    result = diff([pos("NEE", qty="0.00004")], [book("NEE", qty="0.00004")])
    assert [r.symbol for r in result.removed] == ["NEE"]
    assert result.added == ()


def test_due_rule() -> None:
    interval = timedelta(minutes=5)
    assert is_due(None, interval, T0)
    assert next_due(None, interval) is None
    assert not is_due(T0, interval, T0 + timedelta(minutes=4, seconds=59))
    assert is_due(T0, interval, T0 + interval)


symbols = st.sampled_from(["A", "B", "C", "D", "E"])
quantities = st.sampled_from(["0.00001", "1", "2", "-1", "10"])
prices = st.sampled_from(["1", "2", "3"])


@given(
    broker=st.lists(st.tuples(symbols, quantities, prices)),
    stored=st.dictionaries(symbols, st.tuples(quantities, prices)),
)
def test_applying_the_diff_yields_the_broker_view(broker, stored) -> None:
    live = [pos(s, q, p) for s, q, p in broker]
    rows = [book(s, q, p, id_=i) for i, (s, (q, p)) in enumerate(sorted(stored.items()))]
    result = diff(live, rows)
    by_id = {r.id: (r.symbol, r.qty, r.current_price) for r in rows}
    for r in result.removed:
        del by_id[r.id]
    for c in result.conflicts:
        by_id[c.position_id] = (c.symbol, c.broker_qty, c.broker.current_price)
    for u in result.updated:
        by_id[u.position_id] = (u.broker.symbol, u.broker.qty, u.broker.current_price)
    final = set(by_id.values()) | {(p.symbol, p.qty, p.current_price) for p in result.added}
    expected = {p.symbol: p for p in drop_dust(live)}
    assert final == {(p.symbol, p.qty, p.current_price) for p in expected.values()}


# Numbers as a book may store them: the broker's own spelling, or an equal one spelled
# otherwise ("1.0", "1E+1"), which only a Decimal comparison finds equal.
spelled = st.sampled_from(["0.00001", "1", "1.0", "2", "2.00", "-1", "10", "1E+1", "3"])


def text_row(row: BookPosition) -> tuple[object, ...]:
    return (row.id, row.symbol, *map(str, (row.qty, row.avg_entry_price, row.current_price)))


def from_text(row: tuple[object, ...]) -> BookPosition:
    i, symbol, *numbers = row
    qty, entry, price = (Decimal(str(n)) for n in numbers)
    return BookPosition(int(str(i)), str(symbol), qty, entry, price)


@given(
    broker=st.lists(st.tuples(symbols, quantities, prices, prices)),
    stored=st.lists(st.tuples(symbols, spelled, spelled, spelled)),
    chunk=st.integers(1, 4),
    as_text=st.booleans(),
)
def test_diff_in_stored_form_is_the_diff(broker, stored, chunk, as_text) -> None:
    """`diff_stored` finds exactly what `diff` finds over the same rows made records, however
    the rows are chunked, in text (SQLite) or as Decimals (PostgreSQL), the numbers spelled
    as the broker spells them or otherwise, a symbol open twice in the book included."""
    live = [pos(s, q, p, entry=e) for s, q, p, e in broker]
    rows = [book(s, q, p, e, id_=i) for i, (s, q, p, e) in enumerate(stored)]
    raw = [
        text_row(r) if as_text else (r.id, r.symbol, r.qty, r.avg_entry_price, r.current_price)
        for r in rows
    ]
    chunks = [raw[i : i + chunk] for i in range(0, len(raw), chunk)]
    stored_book = StoredBook(
        chunks=iter(chunks),
        stored=str if as_text else None,
        record=from_text if as_text else (lambda r: BookPosition(*r)),
    )
    assert diff_stored(live, stored_book) == diff(live, rows)


def test_diff_in_stored_form_counts_equal_text_unchanged_without_records() -> None:
    """A row whose stored numbers are the broker's own text is unchanged and never becomes
    a record; one spelled otherwise is made a record and compared as Decimals."""
    made: list[tuple[object, ...]] = []

    def record(row: tuple[object, ...]) -> BookPosition:
        made.append(row)
        return from_text(row)

    live = [pos("A", "10", "100", entry="90"), pos("B", "10", "100", entry="90")]
    rows = [(1, "A", "10", "90", "100"), (2, "B", "10.0", "90", "100")]
    result = diff_stored(live, StoredBook([rows], str, record))
    assert result.unchanged == 2
    assert result.empty
    assert made == [(2, "B", "10.0", "90", "100")]
