"""How `pm demo reset` reports the restored account: one line, or one JSON object."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stdout_console
from pm.cli.views.common import money
from pm.domain.models import Account


def as_json(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "equity": account.equity,
        "last_equity": account.last_equity,
        "cash": account.cash,
        "long_market_value": account.long_market_value,
        "short_market_value": account.short_market_value,
    }


def show_reset(account: Account, json_: bool) -> None:
    if json_:
        print_json(as_json(account))
        return
    stdout_console().print(
        f"demo account {account.account_id} reset: equity {money(account.equity)}, "
        f"cash {money(account.cash)}. Run pm --demo reconcile to bring the local book along.",
        soft_wrap=True,
    )
