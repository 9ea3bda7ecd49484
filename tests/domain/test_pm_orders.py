"""pm's order records: client ids and the symbols orders name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pm.domain.pm_orders import (
    MAX_CLIENT_ORDER_ID,
    client_id_salt,
    is_final,
    new_client_order_id,
    order_symbol,
)


def test_client_order_ids_are_short_stable_and_differ_across_databases() -> None:
    at = datetime(2026, 11, 27, 15, tzinfo=UTC)
    salt = client_id_salt("acct", 1, at)
    assert salt == client_id_salt("acct", 1, at)  # the same inputs, the same id
    assert salt != client_id_salt("acct", 1, at.replace(microsecond=1))  # a new database
    cid = new_client_order_id("close-all", 123456789, 99, salt)
    assert cid == f"pm-close-all-123456789-99-{salt}"
    assert len(cid) <= MAX_CLIENT_ORDER_ID
    with pytest.raises(ValueError, match="longer than"):
        new_client_order_id("x" * 130, 1, 0, salt)


@pytest.mark.parametrize(
    ("symbol", "asset_class", "expected"),
    [
        ("BTCUSD", "crypto", "BTC/USD"),
        ("ETHUSDT", "crypto", "ETH/USDT"),
        ("ETHBTC", "crypto", "ETH/BTC"),
        ("BTC/USD", "crypto", "BTC/USD"),
        ("USD", "crypto", "USD"),
        ("AAPL", "us_equity", "AAPL"),
        ("BRK.B", "us_equity", "BRK.B"),
    ],
)
def test_crypto_orders_name_the_slash_form(symbol: str, asset_class: str, expected: str) -> None:
    assert order_symbol(symbol, asset_class) == expected


def test_final_statuses() -> None:
    assert is_final("filled")
    assert is_final("not_sent")
    assert not is_final("pending")
    assert not is_final("unknown")
    assert not is_final("partially_filled")
