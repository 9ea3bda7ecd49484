"""A JSON array read element by element as its bytes arrive, each element parsed at once.

`GET /v2/positions` for a 100k-position account is a ~50 MB array. Decoding it whole holds the
body, its text and every element's dict at once (about 5x the body); here each element
becomes a domain object as soon as its closing brace arrives, so only the parsed objects and
one chunk of text stay in memory. Numbers decode straight to Decimal, as in `transport`.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from pm.broker.alpaca.parse import MalformedResponse

T = TypeVar("T")

_DECODER = json.JSONDecoder(parse_float=Decimal)
_SPACE = " \t\n\r"


def parse_array(chunks: Iterable[bytes], parse_item: Callable[[Any, int], T], what: str) -> list[T]:
    """The array in `chunks` (UTF-8 JSON), `parse_item(element, index)` applied to each.

    A body that is not a JSON array raises MalformedResponse, as does broken JSON.
    """
    reader = _Reader(chunks)
    if not reader.next_char("["):
        rest = reader.rest()
        try:
            kind = type(json.loads(rest)).__name__ if rest.strip() else "nothing"
        except ValueError:
            raise MalformedResponse(f"{what}: body is not JSON") from None
        raise MalformedResponse(f"{what}: expected a list, got {kind}")
    out: list[T] = []
    if reader.next_char("]"):
        return reader.end(out, what)
    while True:
        out.append(parse_item(reader.value(what), len(out)))
        if reader.next_char(","):
            continue
        if reader.next_char("]"):
            return reader.end(out, what)
        raise MalformedResponse(f"{what}: expected ',' or ']' after element {len(out) - 1}")


class _Reader:
    """The text decoded so far and a position in it; more is read when a value runs over."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._pos = 0
        self._done = False

    def _more(self) -> bool:
        """Append the next chunk (dropping what was consumed); False at the end of the body."""
        if self._done:
            return False
        chunk = next(self._chunks, None)
        try:
            if chunk is None:
                self._done = True
                added = self._utf8.decode(b"", final=True)
            else:
                added = self._utf8.decode(chunk)
        except UnicodeDecodeError:
            raise MalformedResponse("body is not UTF-8") from None
        self._text = self._text[self._pos :] + added
        self._pos = 0
        return True

    def _skip_space(self) -> bool:
        """Move past whitespace; False when the body ends first."""
        while True:
            text, pos = self._text, self._pos
            while pos < len(text) and text[pos] in _SPACE:
                pos += 1
            self._pos = pos
            if pos < len(text):
                return True
            if not self._more():
                return False

    def next_char(self, char: str) -> bool:
        """Consume `char` if it comes next (after whitespace)."""
        if self._skip_space() and self._text[self._pos] == char:
            self._pos += 1
            return True
        return False

    def value(self, what: str) -> Any:
        """The next JSON value; a value cut by the end of the text waits for more."""
        self._skip_space()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except ValueError:
                if self._more():
                    continue
                raise MalformedResponse(f"{what}: body is not JSON (cut short?)") from None
            # a number or literal at the very end of the text may continue in the next chunk
            if end < len(self._text) or not self._more():
                self._pos = end
                return value

    def rest(self) -> str:
        while self._more():
            pass
        return self._text[self._pos :]

    def end(self, out: list[T], what: str) -> list[T]:
        if self._skip_space():
            raise MalformedResponse(f"{what}: unexpected data after the array")
        return out
