"""Reading a JSON array element by element, however its bytes are cut into chunks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.broker.alpaca.json_array import parse_array
from pm.broker.alpaca.parse import MalformedResponse

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False).map(str).map(Decimal)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, start = [], 0
    for size in sizes:
        chunks.append(data[start : start + size])
        start += size
    chunks.append(data[start:])
    return chunks


def pair(value: Any, index: int) -> tuple[int, Any]:
    return index, value


@given(
    st.lists(json_values, max_size=8),
    st.lists(st.integers(min_value=0, max_value=7), max_size=60),
    st.sampled_from(["", " ", "\n  "]),
)
def test_any_chunking_reads_what_json_loads_reads(
    items: list[Any], sizes: list[int], space: str
) -> None:
    separators = ("," + space, ":" + space)
    text = space + json.dumps(items, ensure_ascii=False, default=str, separators=separators)
    data = (text + space).encode()
    expected = json.loads(data, parse_float=Decimal)
    got = parse_array(cut(data, sizes), pair, "things")
    assert got == list(enumerate(expected))


def test_a_number_cut_at_a_chunk_edge_is_read_whole() -> None:
    assert parse_array([b"[12", b"34.5", b"0, 7]"], pair, "n") == [
        (0, Decimal("1234.50")),
        (1, 7),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"message": "no"}', "things: expected a list, got dict"),
        (b"<html>oops</html>", "things: expected a list, got a body that is not JSON"),
        (b"", "things: expected a list, got nothing"),
        (b'[{"a": 1}, {"a": ', "cut short"),
        (b"[1 2]", "broken JSON at element 0"),
        (b"[1] [2]", "unexpected data after the array"),
        (b'["\xff"]', "not UTF-8"),
    ],
)
def test_broken_bodies_are_malformed(body: bytes, message: str) -> None:
    with pytest.raises(MalformedResponse, match=message):
        parse_array([body[:3], body[3:]], pair, "things")


def test_an_element_parser_error_stops_the_read() -> None:
    def reject(value: Any, index: int) -> Any:
        raise MalformedResponse(f"things[{index}]: bad")

    with pytest.raises(MalformedResponse, match=r"things\[0\]: bad"):
        parse_array([b"[1, 2]"], reject, "things")
