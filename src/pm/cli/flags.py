"""Services name the fields they check in backticks ("`qty` must be > 0"), because the MCP
server calls them too; at the command line those fields are flags ("--qty must be > 0")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from pm.domain.errors import PmError

_FIELD = re.compile(r"`([a-z][a-z0-9_]*)`")


def flagged(message: str) -> str:
    """Every backticked field name as its option: `entry_price` becomes --entry-price."""
    return _FIELD.sub(lambda m: "--" + m.group(1).replace("_", "-"), message)


@contextmanager
def speaking_flags() -> Iterator[None]:
    """Inside the block, a `PmError` leaves with its field names said as flags."""
    try:
        yield
    except PmError as error:
        error.message = flagged(error.message)
        error.args = (error.message,)
        raise
