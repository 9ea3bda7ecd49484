"""A JSON array read element by element as its bytes arrive, each element parsed at once.

`GET /v2/positions` for a 100k-position account is a ~50 MB array. Decoding it whole holds the
body, its text and every element's dict at once (about 5x the body); here each element
becomes a domain object as soon as it is complete, so only the parsed objects and about one
chunk of text stay in memory. Numbers decode straight to Decimal, as in `transport`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from json.scanner import make_scanner
from typing import Any, TypeVar

from pm.broker.alpaca.parse import MalformedResponse

T = TypeVar("T")

_SCAN = make_scanner(json.JSONDecoder(parse_float=Decimal))  # type: ignore[arg-type]
_SPACE = re.compile(r"[ \t\n\r]*")
_OPENING = re.compile(r"[ \t\n\r]*\[[ \t\n\r]*")
# what follows an element: a comma or the closing bracket, and the space after it
_AFTER = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")


def parse_array(chunks: Iterable[bytes], parse_item: Callable[[Any, int], T], what: str) -> list[T]:
    """The array in `chunks` (UTF-8 JSON), `parse_item(element, index)` applied to each.

    A body that is not a JSON array raises MalformedResponse, as does broken JSON. An
    element cut by the end of a chunk is read again once the next chunk is in.
    """
    text = _Text(chunks)
    while (opening := _OPENING.match(text.now)) is None or opening.end() == len(text.now):
        if not text.more(0):
            break
    if opening is None:
        raise MalformedResponse(f"{what}: expected a list, got {_kind(text.rest(0))}")
    now, pos = text.now, opening.end()
    out: list[T] = []
    if now.startswith("]", pos):
        return _end(text, pos + 1, out, what)
    append, scan, after = out.append, _SCAN, _AFTER.match
    while True:
        try:
            value, end = scan(now, pos)
            follows = after(now, end)
        except (StopIteration, ValueError):  # not a whole value (yet)
            follows = None
        if follows is None or follows.end() == len(now):  # cut short, or the last element
            if text.more(pos):
                now, pos = text.now, 0
                continue
            if follows is None:
                raise MalformedResponse(f"{what}: broken JSON at element {len(out)} (cut short?)")
        append(parse_item(value, len(out)))
        pos = follows.end()
        if follows.group(1) == "]":
            return _end(text, pos, out, what)


class _Text:
    """The body's text from where parsing stands; `more` appends the next chunk."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._done = False
        self.now = ""

    def more(self, keep_from: int) -> bool:
        """Drop the text before `keep_from` and append the next chunk; False at the end."""
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
        self.now = self.now[keep_from:] + added
        return True

    def rest(self, keep_from: int) -> str:
        while self.more(keep_from):
            keep_from = 0
        return self.now[keep_from:]


def _kind(text: str) -> str:
    if not text.strip():
        return "nothing"
    try:
        return type(json.loads(text)).__name__
    except ValueError:
        return "a body that is not JSON"


def _end(text: _Text, pos: int, out: list[T], what: str) -> list[T]:
    if text.rest(pos).strip():
        raise MalformedResponse(f"{what}: unexpected data after the array")
    return out
