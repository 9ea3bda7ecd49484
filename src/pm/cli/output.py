"""Data as text: numbers, JSON, JSON Lines and CSV on stdout (the Terminal decides which)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from json.encoder import encode_basestring_ascii as _string  # what the C encoder uses
from typing import Any

from pm.domain.timestamps import iso


def number(value: Decimal) -> str:
    """A Decimal's own digits, in positional notation (never via float)."""
    return format(value, "f")


def json_text(value: Any) -> str:
    """JSON where Decimals are numbers written from their decimal text, times ISO with Z."""
    return _JsonPass().text(value)


def print_json(value: Any) -> None:
    """`value` as one JSON document; a top-level list, tuple or iterator is written in
    batches as it is encoded, so a 100k-row answer never exists as one string."""
    out = sys.stdout
    if isinstance(value, list | tuple | Iterator):
        encoding = _JsonPass()
        out.write("[")
        separator = ""
        for batch in _batches(value):
            out.write(separator + encoding.items(batch))
            separator = ", "
        out.write("]\n")
    else:
        out.write(json_text(value) + "\n")
    out.flush()


def print_jsonl(records: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> None:
    """NDJSON: one JSON object per line, written batch by batch as the records come (a list,
    a generator, or one record), so a pipeline can start working before the end."""
    out = sys.stdout
    encoding = _JsonPass()
    for batch in _batches([records] if isinstance(records, Mapping) else records):
        out.write(encoding.lines(batch) + "\n")
        out.flush()


_BATCH = 1000


def _batches(values: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(values)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


class _JsonPass:
    """JSON through the standard library's C encoder: one pass, no call per plain value.

    The C encoder cannot write a Decimal as a bare number, so `default` writes a finite
    Decimal as a string with a random tag on both sides of its digits, and two plain string
    replacements over the encoded text take the quotes and tags away. The pass counts the
    Decimals it tagged; if the tags found differ from that count (a string in the data itself
    held a tag, which a random tag makes practically impossible), the text is encoded again
    with a new tag, so the output is always exact.
    """

    def __init__(self) -> None:
        self._new_tag()

    def _new_tag(self) -> None:
        import json

        tag = "~" + _token()  # nothing in it that JSON escapes
        self._opening, self._closing = '"' + tag, tag + '"'  # how tagged strings come out
        self._tagged = tagged = [0]
        last_time: list[Any] = [None, ""]  # a list's rows often share one time

        def default(value: Any) -> Any:
            if isinstance(value, Decimal):
                text = str(value)  # faster than format(); right unless it has an exponent
                if "E" in text or "e" in text or not text[-1].isdigit():
                    if not value.is_finite():
                        return None
                    text = number(value)
                tagged[0] += 1
                return tag + text + tag
            if isinstance(value, datetime):
                if last_time[0] is not value:
                    last_time[:] = value, iso(value)
                return last_time[1]
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, Mapping):
                return dict(value)
            raise TypeError(f"{type(value).__name__} is not JSON serializable")

        self._encoder = json.JSONEncoder(default=default, check_circular=False)

    def text(self, value: Any) -> str:
        return self._exact(lambda: self._encoder.encode(value))

    def items(self, values: list[Any]) -> str:
        """The values as the inside of a JSON array (the list encoded without its brackets)."""
        rows = self._records(values)
        if rows is not None:
            return ", ".join(rows)
        return self._exact(lambda: self._encoder.encode(values)[1:-1])

    def lines(self, values: list[Any]) -> str:
        """One value per line."""
        rows = self._records(values)
        if rows is not None:
            return "\n".join(rows)
        return self._exact(lambda: "\n".join(map(self._encoder.encode, values)))

    def _records(self, values: list[Any]) -> list[str] | None:
        """A batch of records (dicts with the same keys in the same order), encoded column by
        column: a column of strings or plain Decimals in one C-level pass, anything else value
        by value, where a value repeated row after row (one `source` object, one fetch time)
        is encoded once. None for any other batch."""
        if not values or type(values[0]) is not dict:
            return None
        keys = tuple(values[0])
        if (
            not keys
            or not all(type(k) is str for k in keys)
            or any(type(r) is not dict or tuple(r) != keys for r in values)
        ):
            return None
        template = "{" + ", ".join(_string(k).replace("%", "%%") + ": %s" for k in keys) + "}"
        columns = [self._column(c) for c in zip(*[r.values() for r in values], strict=True)]
        return [template % row for row in zip(*columns, strict=True)]

    def _column(self, column: tuple[Any, ...]) -> list[str]:
        types = set(map(type, column))
        if types == {str}:
            return list(map(_string, column))
        if types == {Decimal}:
            texts = list(map(str, column))
            joined = "".join(texts)
            if not any(letter in joined for letter in "EeIN"):  # no exponent, NaN or Infinity
                return texts
        texts, last, text = [], object(), ""
        for value in column:
            if value is not last:
                scalar = _SCALARS.get(type(value))
                last, text = value, self.text(value) if scalar is None else scalar(value)
            texts.append(text)
        return texts

    def _exact(self, encode: Callable[[], str]) -> str:
        while True:
            self._tagged[0] = 0
            text = encode()
            # the tags never overlap themselves, so these counts are exact
            if text.count(self._opening) == text.count(self._closing) == self._tagged[0]:
                return text.replace(self._opening, "").replace(self._closing, "")
            self._new_tag()


def _decimal(value: Decimal) -> str:
    return number(value) if value.is_finite() else "null"


_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _string,
    Decimal: _decimal,
    datetime: lambda v: '"' + iso(v) + '"',
    date: lambda v: '"' + v.isoformat() + '"',
    bool: lambda v: "true" if v else "false",
    int: int.__repr__,
    type(None): lambda _: "null",
}


def _token() -> str:
    return os.urandom(6).hex()  # (`secrets` would cost a few ms of start-up)


def cell(value: Any) -> str:
    """A value as CSV or table text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json_text(value)  # a nested object is one cell of JSON text
    return str(value)


def print_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    sys.stdout.flush()
