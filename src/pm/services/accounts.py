"""Which broker account the configured credentials reach: decided once, at the edge.

Front ends (the CLI's `AppContext.account_id()`, later the MCP server) call `resolve` and
hand the id to every service, which takes ``account_id: str`` and never works it out itself.
"""

from __future__ import annotations

from pm.domain.errors import NotFound
from pm.ports import Broker, BrokerIdentity, Clock, Repository


def resolve(
    identity: BrokerIdentity, repo: Repository, clock: Clock, *, broker: Broker | None
) -> str:
    """The account `identity` reaches: remembered in the database, else known up front (the
    demo), else asked of `broker` once; remembered either way. Without a broker to ask, an
    account never seen here is NotFound."""
    known = repo.accounts.account_for(identity.key)
    if known is not None:
        return known
    if identity.account_id is not None:
        account_id = identity.account_id
    elif broker is None:
        raise NotFound(
            "pm does not know this account yet: run pm reconcile (or pm positions) first, "
            "so it learns which account these credentials reach"
        )
    else:
        account_id = broker.get_account().account_id
    repo.accounts.register_account(account_id, identity.key, clock.now())
    return account_id
