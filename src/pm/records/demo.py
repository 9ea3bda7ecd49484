"""The demo account after `pm demo reset`."""

from __future__ import annotations

from typing import Any

from pm.domain.models import Account


def account(a: Account) -> dict[str, Any]:
    return {
        "account_id": a.account_id,
        "equity": a.equity,
        "last_equity": a.last_equity,
        "cash": a.cash,
        "long_market_value": a.long_market_value,
        "short_market_value": a.short_market_value,
    }
