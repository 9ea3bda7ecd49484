"""The one-pass JSON encoder writes exactly what the per-value encoder it replaced wrote.

`reference` is that former encoder (one `json.dumps` per value), kept here as the oracle.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from contextlib import redirect_stdout
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.cli import output
from pm.cli.output import json_text, print_json, print_jsonl
from pm.domain.timestamps import iso


def reference(value: Any) -> str:
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}: {reference(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(reference(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "null"
    if isinstance(value, datetime):
        return json.dumps(iso(value))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value)


decimals = st.decimals(allow_nan=True, allow_infinity=True) | st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6
)
times = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))
# text that looks like the encoder's own markers must survive too
texts = st.text() | st.sampled_from(["~", '~"', "~1.5~", "\\u0000", "\x00"])
scalars = (
    decimals | times | st.dates() | texts | st.integers() | st.floats() | st.booleans() | st.none()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_json_text_equals_the_per_value_encoder(value: Any) -> None:
    assert json_text(value) == reference(value)


def written(fn: Callable[[Any], None], value: Any) -> str:
    with patch.object(output, "_BATCH", 3), redirect_stdout(io.StringIO()) as out:
        fn(value)
    return out.getvalue()


@pytest.mark.slow
@given(st.lists(st.dictionaries(st.text(max_size=5), values, max_size=3), max_size=10))
def test_print_json_in_batches_equals_one_document(rows: list[dict[str, Any]]) -> None:
    assert written(print_json, rows) == reference(rows) + "\n"
    assert written(print_json, iter(rows)) == reference(rows) + "\n"


@pytest.mark.slow
@given(st.lists(st.dictionaries(st.text(max_size=5), values, max_size=3), max_size=10))
def test_print_jsonl_in_batches_is_one_document_per_line(rows: list[dict[str, Any]]) -> None:
    assert written(print_jsonl, iter(rows)) == "".join(reference(r) + "\n" for r in rows)


@given(st.lists(decimals, max_size=20))
def test_decimals_round_trip_exactly(numbers: list[Decimal]) -> None:
    decoded = json.loads(json_text({"n": numbers}), parse_float=Decimal)["n"]
    for got, sent in zip(decoded, numbers, strict=True):
        if not sent.is_finite():
            assert got is None
        elif isinstance(got, int):  # written without a point: the same integer
            assert got == sent
            assert sent.as_tuple().exponent >= 0  # type: ignore[operator]
        else:  # the same digits and exponent, not just the same value
            assert got.as_tuple() == sent.as_tuple()


def test_an_iterator_is_streamed_as_an_array(capsys: pytest.CaptureFixture[str]) -> None:
    rows = ({"i": i, "v": Decimal(i) / 4} for i in range(2345))
    print_json(rows)
    out = capsys.readouterr().out
    assert out == reference([{"i": i, "v": Decimal(i) / 4} for i in range(2345)]) + "\n"
    print_json(iter([]))
    assert capsys.readouterr().out == "[]\n"


def test_jsonl_writes_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"symbol": f"S{i}", "qty": Decimal("1.50") * i, "at": datetime(2026, 1, 1, tzinfo=UTC)}
            for i in range(2001)]  # fmt: skip
    print_jsonl(iter(rows))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [reference(r) for r in rows]
    assert json.loads(lines[3], parse_float=Decimal)["qty"] == Decimal("4.50")
    print_jsonl([])
    assert capsys.readouterr().out == ""
    print_jsonl({"one": Decimal("1.0")})  # a single record is one line
    assert capsys.readouterr().out == '{"one": 1.0}\n'


def test_a_string_holding_the_marker_is_encoded_again_with_a_new_tag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(output, "_token", lambda: next(tokens))
    value = {"text": "~aaaa7", "n": Decimal("2.50")}
    assert json_text(value) == '{"text": "~aaaa7", "n": 2.50}'
    assert next(tokens, None) is None, "the colliding tag was replaced"


# Records as list commands print them: the same keys in the same order in every row, columns
# of one type or mixed, and objects shared row after row (one `source`, one fetch time).
KEYS = ("symbol", "qty", "100%", "at", "source")
shared = st.shared(values, key="shared")
cells = st.one_of(texts, decimals, scalars, shared, values)
records = st.lists(st.tuples(*[cells] * len(KEYS)), max_size=12).map(
    lambda rows: [dict(zip(KEYS, row, strict=True)) for row in rows]
)
columns_of_one_type = st.lists(st.tuples(texts, decimals, decimals, times, shared), max_size=12)


@pytest.mark.slow
@given(records | columns_of_one_type.map(lambda rs: [dict(zip(KEYS, r, strict=True)) for r in rs]))
def test_records_encoded_column_by_column_equal_the_per_value_encoder(
    rows: list[dict[str, Any]],
) -> None:
    assert written(print_json, rows) == reference(rows) + "\n"
    assert written(print_jsonl, rows) == "".join(reference(r) + "\n" for r in rows)


def test_records_with_other_keys_or_types_take_the_general_path() -> None:
    rows: list[Any] = [{"a": Decimal("1")}, {"b": Decimal("2")}, {"a": 1, "b": 2}, ["a"], {}]
    assert written(print_json, rows) == reference(rows) + "\n"
    assert written(print_json, [{}, {}]) == "[{}, {}]\n"
