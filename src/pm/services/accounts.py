"""Which broker account the current credentials reach, as the book remembers it."""

from __future__ import annotations

from pm.domain.errors import NotFound
from pm.ports import Broker, Clock, Repository


def account_id_of(broker: Broker, repo: Repository, clock: Clock) -> str:
    """The account `broker` reaches: remembered in the book, else asked once and remembered."""
    known = repo.accounts.account_for(broker.identity)
    if known is not None:
        return known
    account = broker.get_account()
    repo.accounts.register_account(account.account_id, broker.identity, clock.now())
    return account.account_id


def known_account_id(repo: Repository, identity: str) -> str:
    """The account these credentials reach, from the book only (no broker call); NotFound
    before any command has learned it."""
    account_id = repo.accounts.account_for(identity)
    if account_id is None:
        raise NotFound(
            "pm does not know this account yet: run pm reconcile (or pm positions) first, "
            "so it learns which account these credentials reach"
        )
    return account_id
