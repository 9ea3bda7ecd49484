"""Services name fields; the command line says them as flags."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pm.cli.flags import flagged
from pm.domain.errors import BadInput
from pm.services.book import BookInput, edit
from pm.services.validate import ProposedOrder
from tests.cli.conftest import PmRunner


def test_flagged_turns_backticked_fields_into_options() -> None:
    assert flagged("`qty` must be > 0") == "--qty must be > 0"
    assert flagged("give `entry_price` or `opened_at`") == "give --entry-price or --opened-at"
    assert flagged("qty and `` stay") == "qty and `` stay"


def test_services_speak_in_field_names() -> None:
    with pytest.raises(BadInput) as order:
        ProposedOrder("AAPL", "buy", qty=Decimal(0))
    assert order.value.message == "`qty` must be > 0"

    class NoStore:  # edit refuses before it touches the store
        pass

    with pytest.raises(BadInput) as nothing:
        edit(NoStore(), "acct", FixedClock(), 1, BookInput())  # type: ignore[arg-type]
    assert "--" not in nothing.value.message
    assert "`entry_price`" in nothing.value.message


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("close", "AAPL", "--qty", "0", "--yes"), "--qty must be > 0"),
        (("close", "AAPL", "--qty", "1", "--percentage", "5"), "give --qty or --percentage"),
        (("validate", "AAPL", "--side", "buy", "--qty", "1", "--notional", "5"), "--notional"),
    ],
)
def test_the_cli_says_flags(pm: PmRunner, args: tuple[str, ...], said: str) -> None:
    out = pm("--demo", *args, "--json")
    assert out.code == 2
    assert said in out.error()["message"]
    assert "`" not in out.stderr
